//! Running totals as exact integers.
//!
//! Every score is kept in ten-thousandths ([`SCALE`], the unit of
//! [`FixedScore`](crate::domain::response::FixedScore)): a rating of 4 is 40 000, a dimension
//! average of 2.3333 is 23 333. Sums, sums of squares and cross products of such integers are
//! exact, so totals of days and groups add up to the totals of the whole range to the last
//! digit, whatever the order they were added in, and a contribution can be taken away again
//! (new minus old) without drift.
//!
//! A [`Totals`] is stored flat, as named counters ([`Totals::counters`]): a stored day is one
//! DynamoDB item whose numeric attributes are these counters, added to with `ADD`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::change::Tally;
use crate::domain::response::SurveyResponse;

/// Units per score point: scores are kept in ten-thousandths.
pub const SCALE: i64 = 10_000;

/// n, Σx and Σx² of one score over the answers that have it (x in units of 1/[`SCALE`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moments {
    pub n: i64,
    pub sum: i64,
    pub sum_sq: i64,
}

impl Moments {
    pub fn of(x: i64) -> Moments {
        Moments {
            n: 1,
            sum: x,
            sum_sq: x * x,
        }
    }

    pub fn merge(&mut self, other: &Moments, sign: i64) {
        self.n += sign * other.n;
        self.sum += sign * other.sum;
        self.sum_sq += sign * other.sum_sq;
    }
}

/// The sums of a score x and the outcome y over the answers that have both: what Pearson's r
/// needs (both in units of 1/[`SCALE`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paired {
    pub n: i64,
    pub sx: i64,
    pub sy: i64,
    pub sxx: i64,
    pub syy: i64,
    pub sxy: i64,
}

impl Paired {
    pub fn of(x: i64, y: i64) -> Paired {
        Paired {
            n: 1,
            sx: x,
            sy: y,
            sxx: x * x,
            syy: y * y,
            sxy: x * y,
        }
    }

    pub fn merge(&mut self, other: &Paired, sign: i64) {
        self.n += sign * other.n;
        self.sx += sign * other.sx;
        self.sy += sign * other.sy;
        self.sxx += sign * other.sxx;
        self.syy += sign * other.syy;
        self.sxy += sign * other.sxy;
    }
}

/// Net Promoter answers by bucket.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpsCounts {
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

impl NpsCounts {
    pub fn n(&self) -> i64 {
        self.promoters + self.passives + self.detractors
    }

    pub fn merge(&mut self, other: &NpsCounts, sign: i64) {
        self.promoters += sign * other.promoters;
        self.passives += sign * other.passives;
        self.detractors += sign * other.detractors;
    }
}

/// What one score (a question, or a dimension's average) adds up to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreSums {
    /// Over every answer with the score.
    pub all: Moments,
    /// Over the answers that also answered the outcome question.
    pub with_outcome: Paired,
    /// Complete responses where it was shown and left unanswered (questions only).
    pub missing: i64,
}

impl ScoreSums {
    fn merge(&mut self, other: &ScoreSums, sign: i64) {
        self.all.merge(&other.all, sign);
        self.with_outcome.merge(&other.with_outcome, sign);
        self.missing += sign * other.missing;
    }

    fn is_zero(&self) -> bool {
        *self == ScoreSums::default()
    }
}

/// The outcome answers at or above this are satisfied (top-2-box of a 1–5 scale).
pub const CSAT_SATISFIED_FROM: u8 = 4;

/// Running totals of answers, invitations and tickets: of one survey on one business day, for
/// everyone or for one breakdown value; or any sum of those.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Responses, complete or partial (a one-tap rating not yet followed by the form).
    pub responses: i64,
    pub complete: i64,
    /// Changes that could not be applied because an earlier change of the same item was lost
    /// after all retries: the figures are incomplete until the range is rebuilt.
    pub missed_changes: i64,
    /// Per numeric question (ratings, NPS).
    pub questions: BTreeMap<String, ScoreSums>,
    /// Per dimension, of each response's average of that dimension.
    pub dimensions: BTreeMap<String, ScoreSums>,
    /// The satisfaction index of each response that has one.
    pub index: Moments,
    /// Outcome answers (CSAT's denominator is `csat_answered`).
    pub csat_answered: i64,
    /// Outcome answers of 4 or 5.
    pub csat_satisfied: i64,
    pub nps: NpsCounts,
    /// Invitations sent (counted on the business day they were sent).
    pub invitations_sent: i64,
    /// Of those, answered.
    pub invitations_answered: i64,
    /// Tickets, counted on the business day they were opened.
    pub tickets: TicketSums,
    /// Seconds from an answer to its new ticket's first notice, counted per bucket (the
    /// bucket's upper bound in seconds, see [`NOTICE_BUCKETS`]), on the ticket's day.
    pub answer_to_notice: BTreeMap<String, i64>,
    /// Keyword counts of open answers, and of the open answers of unhappy responses.
    pub keywords: BTreeMap<String, i64>,
    pub low_keywords: BTreeMap<String, i64>,
}

/// The buckets of the answer-to-notice times, by upper bound in seconds; the last holds
/// everything slower.
pub const NOTICE_BUCKETS: [u32; 16] = [
    1,
    2,
    3,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    1800,
    3600,
    14400,
    86400,
    u32::MAX,
];

/// The bucket of a time in seconds.
pub fn notice_bucket(seconds: i64) -> u32 {
    NOTICE_BUCKETS
        .into_iter()
        .find(|bound| seconds <= i64::from(*bound))
        .unwrap_or(u32::MAX)
}

/// Ticket figures, per level (`"1"`, `"2"`, `"3"`) and category.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSums {
    pub by_level: BTreeMap<String, TicketCounts>,
    pub by_category: BTreeMap<String, i64>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketCounts {
    pub created: i64,
    /// First response recorded.
    pub responded: i64,
    /// First response recorded by its deadline.
    pub responded_in_time: i64,
    /// Resolved (or closed after resolving).
    pub resolved: i64,
    pub resolved_in_time: i64,
    /// A deadline passed before it was met (an escalation breach step, or met late).
    pub breached: i64,
    /// Reopened at least once.
    pub reopened: i64,
}

impl TicketCounts {
    pub fn merge(&mut self, other: &TicketCounts, sign: i64) {
        self.created += sign * other.created;
        self.responded += sign * other.responded;
        self.responded_in_time += sign * other.responded_in_time;
        self.resolved += sign * other.resolved;
        self.resolved_in_time += sign * other.resolved_in_time;
        self.breached += sign * other.breached;
        self.reopened += sign * other.reopened;
    }
}

fn merge_map<V: Default + PartialEq>(
    into: &mut BTreeMap<String, V>,
    from: &BTreeMap<String, V>,
    mut merge: impl FnMut(&mut V, &V),
) {
    for (key, value) in from {
        let slot = into.entry(key.clone()).or_default();
        merge(slot, value);
        if *slot == V::default() {
            into.remove(key);
        }
    }
}

impl Tally for Totals {
    fn merge(&mut self, other: &Self, sign: i64) {
        self.responses += sign * other.responses;
        self.complete += sign * other.complete;
        self.missed_changes += sign * other.missed_changes;
        merge_map(&mut self.questions, &other.questions, |a, b| {
            a.merge(b, sign)
        });
        merge_map(&mut self.dimensions, &other.dimensions, |a, b| {
            a.merge(b, sign)
        });
        self.index.merge(&other.index, sign);
        self.csat_answered += sign * other.csat_answered;
        self.csat_satisfied += sign * other.csat_satisfied;
        self.nps.merge(&other.nps, sign);
        self.invitations_sent += sign * other.invitations_sent;
        self.invitations_answered += sign * other.invitations_answered;
        merge_map(
            &mut self.tickets.by_level,
            &other.tickets.by_level,
            |a, b| a.merge(b, sign),
        );
        merge_map(
            &mut self.tickets.by_category,
            &other.tickets.by_category,
            |a, b| *a += sign * b,
        );
        merge_map(
            &mut self.answer_to_notice,
            &other.answer_to_notice,
            |a, b| *a += sign * b,
        );
        merge_map(&mut self.keywords, &other.keywords, |a, b| *a += sign * b);
        merge_map(&mut self.low_keywords, &other.low_keywords, |a, b| {
            *a += sign * b
        });
    }
}

impl Totals {
    /// One response's answers. Keywords are added by the caller ([`Totals::with_keywords`]),
    /// since finding them needs the segmenter.
    pub fn of_response(response: &SurveyResponse) -> Totals {
        let mut totals = Totals {
            responses: 1,
            complete: i64::from(response.complete),
            ..Totals::default()
        };
        let outcome = response.outcome.map(|y| i64::from(y) * SCALE);
        let sums = |x: i64| ScoreSums {
            all: Moments::of(x),
            with_outcome: outcome.map(|y| Paired::of(x, y)).unwrap_or_default(),
            missing: 0,
        };
        for (question, answer) in &response.answers {
            if let crate::domain::survey::Answer::Number(x) = answer {
                totals
                    .questions
                    .insert(question.to_string(), sums(i64::from(*x) * SCALE));
            }
        }
        for question in &response.missing {
            totals
                .questions
                .entry(question.to_string())
                .or_default()
                .missing += 1;
        }
        for (dimension, score) in &response.dimension_scores {
            totals.dimensions.insert(
                dimension.to_string(),
                sums(i64::from(score.ten_thousandths())),
            );
        }
        if let Some(index) = response.satisfaction_index {
            totals.index = Moments::of(i64::from(index.ten_thousandths()));
        }
        if let Some(outcome) = response.outcome {
            totals.csat_answered = 1;
            totals.csat_satisfied = i64::from(outcome >= CSAT_SATISFIED_FROM);
        }
        if let Some(bucket) = response.nps_bucket {
            use crate::domain::response::NpsBucket;
            match bucket {
                NpsBucket::Promoter => totals.nps.promoters = 1,
                NpsBucket::Passive => totals.nps.passives = 1,
                NpsBucket::Detractor => totals.nps.detractors = 1,
            }
        }
        totals
    }

    /// What a breakdown value's slot keeps: the counts, CSAT, NPS, the index and the
    /// dimensions' means (what the cross-analysis shows), not the per-question sums, the
    /// correlations or the keywords, which only the whole day keeps. Smaller items are cheaper
    /// to write.
    pub fn for_group(&self) -> Totals {
        let dimensions = self
            .dimensions
            .iter()
            .map(|(id, sums)| {
                let slim = ScoreSums {
                    all: sums.all,
                    ..ScoreSums::default()
                };
                (id.clone(), slim)
            })
            .filter(|(_, sums)| !sums.is_zero())
            .collect();
        Totals {
            responses: self.responses,
            complete: self.complete,
            missed_changes: self.missed_changes,
            dimensions,
            index: self.index,
            csat_answered: self.csat_answered,
            csat_satisfied: self.csat_satisfied,
            nps: self.nps,
            invitations_sent: self.invitations_sent,
            invitations_answered: self.invitations_answered,
            ..Totals::default()
        }
    }

    /// Answers' figures recomputed by a rebuild, with what answers do not make (the invitation
    /// counts) kept from the stored slot.
    pub fn rebuilt(recomputed: Option<&Totals>, stored: Option<&Totals>) -> Totals {
        let mut totals = recomputed.cloned().unwrap_or_default();
        if let Some(stored) = stored {
            totals.invitations_sent = stored.invitations_sent;
            totals.invitations_answered = stored.invitations_answered;
        }
        totals
    }

    /// A change that could not be applied.
    pub fn missed() -> Totals {
        Totals {
            missed_changes: 1,
            ..Totals::default()
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Totals::default()
    }

    /// The sum of many totals.
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a Totals>) -> Totals {
        let mut total = Totals::default();
        for totals in all {
            total.merge(totals, 1);
        }
        total
    }

    /// The counters this is stored as: one name per number, zeros left out.
    pub fn counters(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        let mut put = |name: String, value: i64| {
            if value != 0 {
                out.insert(name, value);
            }
        };
        put("responses".into(), self.responses);
        put("complete".into(), self.complete);
        put("missed_changes".into(), self.missed_changes);
        for (prefix, map) in [("q", &self.questions), ("d", &self.dimensions)] {
            for (id, sums) in map {
                let p = format!("{prefix}:{id}:");
                put(format!("{p}n"), sums.all.n);
                put(format!("{p}s"), sums.all.sum);
                put(format!("{p}ss"), sums.all.sum_sq);
                put(format!("{p}pn"), sums.with_outcome.n);
                put(format!("{p}px"), sums.with_outcome.sx);
                put(format!("{p}py"), sums.with_outcome.sy);
                put(format!("{p}pxx"), sums.with_outcome.sxx);
                put(format!("{p}pyy"), sums.with_outcome.syy);
                put(format!("{p}pxy"), sums.with_outcome.sxy);
                put(format!("{p}m"), sums.missing);
            }
        }
        put("i:n".into(), self.index.n);
        put("i:s".into(), self.index.sum);
        put("i:ss".into(), self.index.sum_sq);
        put("csat:n".into(), self.csat_answered);
        put("csat:s".into(), self.csat_satisfied);
        put("nps:p".into(), self.nps.promoters);
        put("nps:a".into(), self.nps.passives);
        put("nps:d".into(), self.nps.detractors);
        put("inv:sent".into(), self.invitations_sent);
        put("inv:answered".into(), self.invitations_answered);
        for (level, t) in &self.tickets.by_level {
            let p = format!("t:{level}:");
            put(format!("{p}created"), t.created);
            put(format!("{p}responded"), t.responded);
            put(format!("{p}responded_in_time"), t.responded_in_time);
            put(format!("{p}resolved"), t.resolved);
            put(format!("{p}resolved_in_time"), t.resolved_in_time);
            put(format!("{p}breached"), t.breached);
            put(format!("{p}reopened"), t.reopened);
        }
        for (category, n) in &self.tickets.by_category {
            put(format!("tc:{category}"), *n);
        }
        for (bucket, n) in &self.answer_to_notice {
            put(format!("n2o:{bucket}"), *n);
        }
        for (word, n) in &self.keywords {
            put(format!("w:{word}"), *n);
        }
        for (word, n) in &self.low_keywords {
            put(format!("lw:{word}"), *n);
        }
        out
    }

    /// Reads counters back (unknown names are ignored, so items may carry other attributes).
    pub fn from_counters<'a>(counters: impl IntoIterator<Item = (&'a str, i64)>) -> Totals {
        let mut t = Totals::default();
        for (name, value) in counters {
            t.set_counter(name, value);
        }
        t
    }

    fn set_counter(&mut self, name: &str, value: i64) {
        match name {
            "responses" => self.responses = value,
            "complete" => self.complete = value,
            "missed_changes" => self.missed_changes = value,
            "i:n" => self.index.n = value,
            "i:s" => self.index.sum = value,
            "i:ss" => self.index.sum_sq = value,
            "csat:n" => self.csat_answered = value,
            "csat:s" => self.csat_satisfied = value,
            "nps:p" => self.nps.promoters = value,
            "nps:a" => self.nps.passives = value,
            "nps:d" => self.nps.detractors = value,
            "inv:sent" => self.invitations_sent = value,
            "inv:answered" => self.invitations_answered = value,
            _ => self.set_named_counter(name, value),
        }
    }

    fn set_named_counter(&mut self, name: &str, value: i64) {
        if let Some(word) = name.strip_prefix("w:") {
            self.keywords.insert(word.to_string(), value);
            return;
        }
        if let Some(bucket) = name.strip_prefix("n2o:") {
            self.answer_to_notice.insert(bucket.to_string(), value);
            return;
        }
        if let Some(word) = name.strip_prefix("lw:") {
            self.low_keywords.insert(word.to_string(), value);
            return;
        }
        if let Some(category) = name.strip_prefix("tc:") {
            self.tickets.by_category.insert(category.to_string(), value);
            return;
        }
        if let Some(rest) = name.strip_prefix("t:") {
            let Some((level, field)) = rest.split_once(':') else {
                return;
            };
            let t = self.tickets.by_level.entry(level.to_string()).or_default();
            match field {
                "created" => t.created = value,
                "responded" => t.responded = value,
                "responded_in_time" => t.responded_in_time = value,
                "resolved" => t.resolved = value,
                "resolved_in_time" => t.resolved_in_time = value,
                "breached" => t.breached = value,
                "reopened" => t.reopened = value,
                _ => {}
            }
            return;
        }
        let map = if let Some(rest) = name.strip_prefix("q:") {
            (&mut self.questions, rest)
        } else if let Some(rest) = name.strip_prefix("d:") {
            (&mut self.dimensions, rest)
        } else {
            return;
        };
        let (map, rest) = map;
        let Some((id, field)) = rest.rsplit_once(':') else {
            return;
        };
        let sums = map.entry(id.to_string()).or_default();
        match field {
            "n" => sums.all.n = value,
            "s" => sums.all.sum = value,
            "ss" => sums.all.sum_sq = value,
            "pn" => sums.with_outcome.n = value,
            "px" => sums.with_outcome.sx = value,
            "py" => sums.with_outcome.sy = value,
            "pxx" => sums.with_outcome.sxx = value,
            "pyy" => sums.with_outcome.syy = value,
            "pxy" => sums.with_outcome.sxy = value,
            "m" => sums.missing = value,
            _ => {}
        }
        if sums.is_zero() {
            map.remove(id);
        }
    }
}
