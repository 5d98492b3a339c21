//! The weekly and monthly reports: on each run, for every survey the `reports` settings name
//! (all surveys when none), the last complete period and the ones before it that were missed
//! (up to [`LOOKBACK`] periods, never before the survey existed) are made once each: claimed,
//! built from the totals, kept, announced on the alerts topic with a summary, and emailed as
//! HTML to the settings' recipients. A repeated or concurrent run finds them claimed or kept
//! and makes nothing twice; a run that died mid-way is taken over when its claim's lease ends.

use chrono::{DateTime, Utc};
use closeloop::domain::period::{Period, PeriodKind};
use closeloop::domain::report::settings::ReportSettings;
use closeloop::domain::survey::{Locale, SurveyId};
use closeloop::domain::ticket::Publication;
use closeloop::domain::totals::local_date;
use closeloop::messaging::Email;
use closeloop::store::{Lease, ReportPeriod, Sent};
use closeloop::web;
use closeloop::{Deps, Error};
use serde::Serialize;

use crate::routes::build_report;

/// Periods a run looks back over for a report a missed run did not make.
pub const LOOKBACK: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Made {
    pub survey_id: String,
    pub period: Period,
    /// `sent`, or `skipped` (made by an earlier run, or another run holds it).
    pub outcome: &'static str,
    pub emailed: u32,
}

fn kind_name(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Week => "week",
        PeriodKind::Month => "month",
    }
}

pub async fn run(deps: &Deps, kind: PeriodKind, now: DateTime<Utc>) -> Result<Vec<Made>, Error> {
    let zone = deps.config.business_time_zone;
    let settings = deps.store.settings::<ReportSettings>().await?.settings;
    let surveys: Vec<String> = if settings.surveys.is_empty() {
        deps.store
            .list_surveys()
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect()
    } else {
        settings.surveys.clone()
    };
    let claim = Lease::new_claim_id();
    let mut made = Vec::new();
    for survey_id in surveys {
        let id = SurveyId::parse(&survey_id)
            .map_err(|e| Error::invalid("surveys", format!("{survey_id}: {e}")))?;
        let survey = deps.store.get_survey(&id, None).await?;
        let since = local_date(survey.created_at, zone);
        for period in Period::due(kind, now, zone, LOOKBACK, since) {
            let at = ReportPeriod {
                survey_id: &survey_id,
                kind: kind_name(kind),
                first_day: period.first_day,
                last_day: period.last_day,
            };
            if !deps.store.claim_report(at, &claim, now).await? {
                made.push(Made {
                    survey_id: survey_id.clone(),
                    period,
                    outcome: "skipped",
                    emailed: 0,
                });
                continue;
            }
            let report = build_report(
                deps,
                &survey,
                period.first_day,
                period.last_day,
                None,
                None,
                now,
            )
            .await?;
            let locale = settings.locale;
            let summary = web::report::summary_text(&report, locale);
            let title = match locale {
                Locale::ZhCn => format!(
                    "{} {}–{} 报告",
                    report.title.zh_cn, period.first_day, period.last_day
                ),
                Locale::En => format!(
                    "{} report {}–{}",
                    report.title.en, period.first_day, period.last_day
                ),
            };
            let html = web::report::html(&report, locale);
            let mut emailed = 0;
            for to in &settings.recipients {
                deps.messenger
                    .send_mime_email(&Email {
                        to: to.clone(),
                        subject: title.clone(),
                        html: html.clone(),
                        text: summary.clone(),
                        headers: Vec::new(),
                    })
                    .await?;
                emailed += 1;
            }
            let alert = deps
                .messenger
                .alert(&Publication {
                    subject: format!(
                        "Closeloop {} report {} {}",
                        kind_name(kind),
                        survey_id,
                        period.first_day
                    ),
                    text: format!("{title}\n{summary}"),
                    attributes: vec![
                        ("kind", "report".to_string()),
                        ("survey", survey_id.clone()),
                        ("period", kind_name(kind).to_string()),
                    ],
                })
                .await?;
            let figures =
                serde_json::to_string(&report).map_err(|e| Error::Internal(e.to_string()))?;
            // An item holds at most 400 KB: a report too large to keep whole keeps its summary.
            let figures = if figures.len() > 300_000 {
                String::from("{\"too_large_to_keep\": true}")
            } else {
                figures
            };
            let sent = Sent {
                summary,
                figures,
                emailed,
                alert_message_id: Some(alert),
            };
            deps.store.keep_report(at, &claim, &sent, now).await?;
            made.push(Made {
                survey_id: survey_id.clone(),
                period,
                outcome: "sent",
                emailed,
            });
        }
    }
    Ok(made)
}
