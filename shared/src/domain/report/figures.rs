//! A report: what the stored totals of a range say, figure by figure, with n, intervals and
//! the targets. Pure: it takes the slots a Query read and the survey's definition, and gives
//! what the JSON, CSV and HTML forms show.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::settings::Targets;
use super::slots::{Breakdown, Slot};
use super::stats::{self, Cell, Correlation, Difference, Estimate, Quadrant, Thresholds};
use super::sums::{TicketCounts, Totals};
use crate::domain::change::Tally;
use crate::domain::survey::{Localized, QuestionKind, SurveyDefinition};

/// Most keywords a report lists.
pub const TOP_KEYWORDS: usize = 20;

/// What the trend is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(text: &str) -> Option<Granularity> {
        match text {
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }

    /// The first day of the bucket `day` falls in (weeks start on Monday).
    pub fn bucket(self, day: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => day,
            Granularity::Week => {
                day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
            }
            Granularity::Month => day.with_day(1).expect("day 1 exists"),
        }
    }

    /// The natural grouping for a range: days up to five weeks, weeks up to half a year.
    pub fn for_range(first: NaiveDate, last: NaiveDate) -> Granularity {
        match (last - first).num_days() {
            ..=35 => Granularity::Day,
            36..=186 => Granularity::Week,
            _ => Granularity::Month,
        }
    }
}

/// One stored slot, as a Query read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotTotals {
    pub slot: Slot,
    pub totals: Totals,
}

/// What a report is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub survey_id: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Only this breakdown's cross-table (all of them when none).
    pub group_by: Option<Breakdown>,
    pub granularity: Granularity,
    pub time_zone: String,
    pub generated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub survey_id: String,
    pub title: Localized,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub time_zone: String,
    pub generated_at: DateTime<Utc>,
    /// Stream changes that could not be applied in the range: until a rebuild the figures
    /// are incomplete, and the report says so.
    pub missed_changes: i64,
    pub responses: i64,
    pub complete_responses: i64,
    pub headline: Headline,
    pub questions: Vec<QuestionFigure>,
    pub dimensions: Vec<DimensionFigure>,
    /// The thresholds the quadrant was drawn with (the means of the plotted dimensions).
    pub quadrant_thresholds: Option<Thresholds>,
    pub granularity: Granularity,
    pub trend: Vec<TrendPoint>,
    pub cross: Vec<CrossTable>,
    pub keywords: Vec<KeywordCount>,
    pub low_keywords: Vec<KeywordCount>,
    pub kpis: Kpis,
    pub tickets: TicketFigures,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    /// Top-2-box of the outcome question, percent, Wilson 95 % interval.
    pub csat: Option<Estimate>,
    pub nps: Option<NpsFigure>,
    /// The weighted satisfaction index, 0–100, over the dimensions answered.
    pub index: Option<f64>,
    /// The mean of the outcome question (1–5).
    pub outcome_mean: Option<Estimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NpsFigure {
    pub score: Estimate,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionFigure {
    pub id: String,
    pub label: Localized,
    pub n: i64,
    pub missing: i64,
    pub mean: Option<Estimate>,
    /// With the outcome question, over the answers that have both.
    pub correlation: Option<Correlation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionFigure {
    pub id: String,
    pub label: Localized,
    pub weight: f64,
    pub n: i64,
    pub mean: Option<Estimate>,
    /// Derived importance: Pearson's r with the outcome.
    pub importance: Option<Correlation>,
    pub quadrant: Option<Quadrant>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// The first day of the bucket.
    pub from: NaiveDate,
    pub responses: i64,
    pub csat: Option<f64>,
    pub nps: Option<f64>,
    pub index: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossTable {
    pub breakdown: Breakdown,
    pub rows: Vec<CrossRow>,
}

/// One breakdown value. Values with fewer than [`stats::MIN_SHOWN`] responses are hidden
/// (`cell: hidden`, figures none) and those under [`stats::MIN_RELIABLE`] carry a warning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossRow {
    pub value: String,
    pub n: i64,
    pub cell: Cell,
    pub csat: Option<f64>,
    pub nps: Option<f64>,
    pub index: Option<f64>,
    /// Each dimension's mean.
    pub dimensions: BTreeMap<String, Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeywordCount {
    pub word: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// Percent; none without a denominator.
    pub value: Option<f64>,
    pub numerator: i64,
    pub denominator: i64,
    /// Percent, at least.
    pub target: f64,
    pub met: Option<bool>,
}

impl Kpi {
    fn of(numerator: i64, denominator: i64, target: f64) -> Kpi {
        let value = (denominator > 0).then(|| 100.0 * numerator as f64 / denominator as f64);
        Kpi {
            value,
            numerator,
            denominator,
            target,
            met: value.map(|v| v >= target),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    /// Answered ÷ sent invitations (sent in the range).
    pub collection_rate: Kpi,
    /// Level-1 tickets opened in the range whose first response met its deadline, of those
    /// responded to.
    pub level_1_responded_in_time: Kpi,
    /// The level-1 first-response time the deadline holds, hours (from the settings).
    pub level_1_respond_hours: f64,
    /// All levels.
    pub responded_in_time: Kpi,
    /// Resolved ÷ opened tickets (opened in the range).
    pub fix_rate: Kpi,
    /// From an answer to its new ticket's first notice (tickets opened in the range).
    pub answer_to_notice: NoticeTimes,
}

/// Answer-to-notice times, from their buckets: the median and the 95th percentile are each
/// given as the bucket bound they fall at or under ("at most N seconds").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeTimes {
    pub n: i64,
    pub median_at_most_seconds: Option<u32>,
    pub p95_at_most_seconds: Option<u32>,
}

impl NoticeTimes {
    pub fn of(buckets: &BTreeMap<String, i64>) -> NoticeTimes {
        let mut counts: Vec<(u32, i64)> = buckets
            .iter()
            .filter_map(|(bound, n)| Some((bound.parse().ok()?, *n)))
            .filter(|(_, n)| *n > 0)
            .collect();
        counts.sort();
        let n: i64 = counts.iter().map(|(_, c)| c).sum();
        // The nearest-rank percentile: the first bucket whose running count reaches p·n.
        let at = |p: f64| {
            let rank = ((p * n as f64).ceil() as i64).max(1);
            let mut seen = 0;
            counts.iter().find_map(|(bound, c)| {
                seen += c;
                (seen >= rank).then_some(*bound)
            })
        };
        NoticeTimes {
            n,
            median_at_most_seconds: at(0.5),
            p95_at_most_seconds: at(0.95),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketFigures {
    pub total: TicketCounts,
    pub by_level: BTreeMap<String, TicketCounts>,
    pub by_category: BTreeMap<String, i64>,
}

/// The weighted index (0–100) of dimension means.
fn index_of(definition: &SurveyDefinition, totals: &Totals) -> Option<f64> {
    let points: Vec<(f64, Option<f64>)> = definition
        .dimensions
        .iter()
        .map(|d| {
            let mean = totals
                .dimensions
                .get(d.id.as_str())
                .and_then(|s| stats::mean(&s.all));
            (d.weight, mean)
        })
        .collect();
    stats::weighted_index(&points)
}

fn csat_value(t: &Totals) -> Option<f64> {
    stats::csat(t.csat_satisfied, t.csat_answered).map(|e| e.value)
}

fn nps_value(t: &Totals) -> Option<f64> {
    stats::nps(&t.nps).map(|e| e.value)
}

fn top(words: &BTreeMap<String, i64>) -> Vec<KeywordCount> {
    let mut all: Vec<KeywordCount> = words
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(word, count)| KeywordCount {
            word: word.clone(),
            count: *count,
        })
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.cmp(&b.word)));
    all.truncate(TOP_KEYWORDS);
    all
}

/// Every slot's totals for everyone, summed over the range.
pub fn overall<'a>(slots: impl IntoIterator<Item = &'a SlotTotals>) -> Totals {
    Totals::sum(
        slots
            .into_iter()
            .filter(|s| s.slot.group.is_none())
            .map(|s| &s.totals),
    )
}

pub fn build(
    request: &ReportRequest,
    definition: &SurveyDefinition,
    slots: &[SlotTotals],
    tickets: &[SlotTotals],
    targets: &Targets,
) -> Report {
    let in_range =
        |s: &&SlotTotals| s.slot.day >= request.first_day && s.slot.day <= request.last_day;
    let slots: Vec<&SlotTotals> = slots.iter().filter(in_range).collect();
    let total = overall(slots.iter().copied());
    let ticket_total = Totals::sum(tickets.iter().filter(in_range).map(|s| &s.totals));

    let questions = definition
        .questions
        .iter()
        .filter(|q| matches!(q.kind, QuestionKind::Rating { .. } | QuestionKind::Nps))
        .map(|q| {
            let sums = total
                .questions
                .get(q.id.as_str())
                .copied()
                .unwrap_or_default();
            QuestionFigure {
                id: q.id.to_string(),
                label: q.label.clone(),
                n: sums.all.n,
                missing: sums.missing,
                mean: stats::mean_estimate(&sums.all),
                correlation: stats::pearson(&sums.with_outcome),
            }
        })
        .collect();

    let mut dimensions: Vec<DimensionFigure> = definition
        .dimensions
        .iter()
        .map(|d| {
            let sums = total
                .dimensions
                .get(d.id.as_str())
                .copied()
                .unwrap_or_default();
            DimensionFigure {
                id: d.id.to_string(),
                label: d.label.clone(),
                weight: d.weight,
                n: sums.all.n,
                mean: stats::mean_estimate(&sums.all),
                importance: stats::pearson(&sums.with_outcome),
                quadrant: None,
            }
        })
        .collect();
    let points: Vec<(f64, f64)> = dimensions
        .iter()
        .filter_map(|d| Some((d.importance?.r, d.mean?.value)))
        .collect();
    let thresholds = stats::quadrant_thresholds(&points);
    if let Some(t) = thresholds {
        for d in &mut dimensions {
            if let (Some(importance), Some(mean)) = (d.importance, d.mean) {
                d.quadrant = Some(stats::quadrant((importance.r, mean.value), t));
            }
        }
    }

    let mut buckets: BTreeMap<NaiveDate, Totals> = BTreeMap::new();
    for s in slots.iter().filter(|s| s.slot.group.is_none()) {
        buckets
            .entry(request.granularity.bucket(s.slot.day))
            .or_default()
            .merge(&s.totals, 1);
    }
    let trend = buckets
        .iter()
        .map(|(from, t)| TrendPoint {
            from: *from,
            responses: t.responses,
            csat: csat_value(t),
            nps: nps_value(t),
            index: index_of(definition, t),
        })
        .collect();

    let mut groups: BTreeMap<(Breakdown, String), Totals> = BTreeMap::new();
    for s in &slots {
        if let Some(group) = &s.slot.group {
            groups.entry(group.clone()).or_default().merge(&s.totals, 1);
        }
    }
    let breakdowns: Vec<Breakdown> = match request.group_by {
        Some(b) => vec![b],
        None => Breakdown::ALL.to_vec(),
    };
    let cross = breakdowns
        .into_iter()
        .map(|breakdown| CrossTable {
            breakdown,
            rows: groups
                .iter()
                .filter(|((b, _), _)| *b == breakdown)
                .map(|((_, value), t)| cross_row(definition, value, t))
                .collect(),
        })
        .filter(|table| request.group_by.is_some() || !table.rows.is_empty())
        .collect();

    let mut ticket_sum = TicketCounts::default();
    for counts in ticket_total.tickets.by_level.values() {
        ticket_sum.merge(counts, 1);
    }
    let level_1 = ticket_total
        .tickets
        .by_level
        .get("1")
        .copied()
        .unwrap_or_default();
    let kpis = Kpis {
        collection_rate: Kpi::of(
            total.invitations_answered,
            total.invitations_sent,
            targets.collection_rate_percent,
        ),
        level_1_responded_in_time: Kpi::of(
            level_1.responded_in_time,
            level_1.responded,
            targets.responded_in_time_percent,
        ),
        level_1_respond_hours: targets.level_1_respond_hours,
        responded_in_time: Kpi::of(
            ticket_sum.responded_in_time,
            ticket_sum.responded,
            targets.responded_in_time_percent,
        ),
        fix_rate: Kpi::of(
            ticket_sum.resolved,
            ticket_sum.created,
            targets.fix_rate_percent,
        ),
        answer_to_notice: NoticeTimes::of(&ticket_total.answer_to_notice),
    };

    Report {
        survey_id: request.survey_id.clone(),
        title: definition.title.clone(),
        first_day: request.first_day,
        last_day: request.last_day,
        time_zone: request.time_zone.clone(),
        generated_at: request.generated_at,
        missed_changes: total.missed_changes + ticket_total.missed_changes,
        responses: total.responses,
        complete_responses: total.complete,
        headline: Headline {
            csat: stats::csat(total.csat_satisfied, total.csat_answered),
            nps: stats::nps(&total.nps).map(|score| NpsFigure {
                score,
                promoters: total.nps.promoters,
                passives: total.nps.passives,
                detractors: total.nps.detractors,
            }),
            index: index_of(definition, &total),
            outcome_mean: definition
                .outcome
                .as_ref()
                .and_then(|q| total.questions.get(q.as_str()))
                .and_then(|s| stats::mean_estimate(&s.all)),
        },
        questions,
        dimensions,
        quadrant_thresholds: thresholds,
        granularity: request.granularity,
        trend,
        cross,
        keywords: top(&total.keywords),
        low_keywords: top(&total.low_keywords),
        kpis,
        tickets: TicketFigures {
            total: ticket_sum,
            by_level: ticket_total.tickets.by_level.clone(),
            by_category: ticket_total.tickets.by_category.clone(),
        },
    }
}

fn cross_row(definition: &SurveyDefinition, value: &str, t: &Totals) -> CrossRow {
    let cell = stats::cell(t.responses);
    let shown = cell != Cell::Hidden;
    CrossRow {
        value: value.to_string(),
        n: t.responses,
        cell,
        csat: csat_value(t).filter(|_| shown),
        nps: nps_value(t).filter(|_| shown),
        index: index_of(definition, t).filter(|_| shown),
        dimensions: definition
            .dimensions
            .iter()
            .map(|d| {
                let mean = t
                    .dimensions
                    .get(d.id.as_str())
                    .and_then(|s| stats::mean(&s.all))
                    .filter(|_| shown);
                (d.id.to_string(), mean)
            })
            .collect(),
    }
}

/// Two ranges side by side: the same survey measured before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub survey_id: String,
    pub before: (NaiveDate, NaiveDate),
    pub after: (NaiveDate, NaiveDate),
    pub responses: (i64, i64),
    /// Two-proportion z test, percent points.
    pub csat: Option<Difference>,
    /// z test on NPS with SE = 100·√((p + d − (p − d)²)/n) each.
    pub nps: Option<Difference>,
    /// Welch's t test on the outcome's mean.
    pub outcome_mean: Option<Difference>,
    /// Welch's t test on each dimension's mean.
    pub dimensions: Vec<DimensionDifference>,
    /// Either range has missed changes: rebuild before trusting the difference.
    pub missed_changes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionDifference {
    pub id: String,
    pub label: Localized,
    pub difference: Option<Difference>,
}

pub fn compare(
    survey_id: &str,
    definition: &SurveyDefinition,
    before: ((NaiveDate, NaiveDate), &Totals),
    after: ((NaiveDate, NaiveDate), &Totals),
) -> Comparison {
    let (b, a) = (before.1, after.1);
    let outcome = |t: &Totals| {
        definition
            .outcome
            .as_ref()
            .and_then(|q| t.questions.get(q.as_str()))
            .map(|s| s.all)
            .unwrap_or_default()
    };
    Comparison {
        survey_id: survey_id.to_string(),
        before: before.0,
        after: after.0,
        responses: (b.responses, a.responses),
        csat: stats::compare_proportions(
            (b.csat_satisfied, b.csat_answered),
            (a.csat_satisfied, a.csat_answered),
        ),
        nps: stats::compare_nps(&b.nps, &a.nps),
        outcome_mean: stats::compare_means(&outcome(b), &outcome(a)),
        dimensions: definition
            .dimensions
            .iter()
            .map(|d| {
                let of = |t: &Totals| {
                    t.dimensions
                        .get(d.id.as_str())
                        .map(|s| s.all)
                        .unwrap_or_default()
                };
                DimensionDifference {
                    id: d.id.to_string(),
                    label: d.label.clone(),
                    difference: stats::compare_means(&of(b), &of(a)),
                }
            })
            .collect(),
        missed_changes: b.missed_changes + a.missed_changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_times_are_read_from_their_buckets_by_nearest_rank() {
        let buckets: BTreeMap<String, i64> = [("2", 30), ("5", 40), ("60", 25), ("3600", 5)]
            .into_iter()
            .map(|(b, n)| (b.to_string(), n))
            .collect();
        let times = NoticeTimes::of(&buckets);
        assert_eq!(times.n, 100);
        assert_eq!(times.median_at_most_seconds, Some(5));
        assert_eq!(times.p95_at_most_seconds, Some(60));
        let none = NoticeTimes::of(&BTreeMap::new());
        assert_eq!((none.n, none.median_at_most_seconds), (0, None));
        assert_eq!(super::super::sums::notice_bucket(4), 5);
        assert_eq!(super::super::sums::notice_bucket(0), 1);
        assert_eq!(super::super::sums::notice_bucket(10_000_000), u32::MAX);
    }
}
