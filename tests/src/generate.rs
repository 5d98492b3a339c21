//! Generated answers for the report tests and benchmarks: responses to the default survey made
//! by the real scoring (`build_response`), with missing answers, open text in Chinese and
//! English, several groups and days, and one-tap partials completed later; and the stream
//! records and table items of their writes, shaped like the real ones.

use std::collections::HashMap;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use closeloop::domain::attribution::Attribution;
use closeloop::domain::change::{Change, Tally};
use closeloop::domain::report::keywords::Keywords;
use closeloop::domain::report::slots::{self, Contributions};
use closeloop::domain::response::{
    build_response, CheckedAnswers, Completeness, Respondent, SurveyResponse,
};
use closeloop::domain::survey::{Answer, Answers, Locale, NewSurvey, QuestionId, Survey, SurveyId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_dynamo::AttributeValue;
use serde_json::json;

use crate::{default_survey, fixture};

/// The default survey as stored at version 1.
pub fn survey() -> Survey {
    let new: NewSurvey = serde_json::from_value(default_survey()).expect("the default survey");
    Survey {
        id: SurveyId::parse("csat-default").unwrap(),
        version: 1,
        definition: new.definition,
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

/// One write of a response: the item before (none for the first) and after.
#[derive(Debug, Clone)]
pub struct Write {
    pub old: Option<SurveyResponse>,
    pub new: SurveyResponse,
}

impl Write {
    /// The write as the stream contract's typed change.
    pub fn change(&self) -> Change<SurveyResponse> {
        match &self.old {
            None => Change::Inserted(self.new.clone()),
            Some(old) => Change::Modified {
                old: old.clone(),
                new: self.new.clone(),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Generated {
    /// Every write, in the order they happened.
    pub writes: Vec<Write>,
    /// Each response as it ends.
    pub responses: Vec<SurveyResponse>,
}

const TEXTS: [&str; 8] = [
    "客服的响应速度太慢了，等了三天才有人回复",
    "安装师傅很专业，服务态度好",
    "The delivery was delayed and the service was slow",
    "屏幕有质量问题，售后处理得不错",
    "Great value, fast installation",
    "价格太贵了，性价比不高",
    "Nobody called me back about the broken screen",
    "物流很快，包装完好",
];

fn pick<'a>(rng: &mut StdRng, values: &[&'a str]) -> &'a str {
    values[rng.gen_range(0..values.len())]
}

/// `count` responses over `days` business days from `first` in `zone`, from `seed`.
pub fn responses(count: usize, seed: u64, first: NaiveDate, days: i64, zone: Tz) -> Generated {
    let survey = survey();
    let valid = survey.validated().expect("the default survey is valid");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut writes = Vec::new();
    let mut finals = Vec::new();
    let q = |id: &str| QuestionId::parse(id).unwrap();
    for i in 0..count {
        let day = first + Duration::days(rng.gen_range(0..days));
        let local = day
            .and_hms_opt(
                rng.gen_range(0..24),
                rng.gen_range(0..60),
                rng.gen_range(0..60),
            )
            .unwrap();
        let at = zone
            .from_local_datetime(&local)
            .earliest()
            .unwrap_or_else(|| zone.from_utc_datetime(&local))
            .with_timezone(&Utc)
            + Duration::milliseconds(rng.gen_range(0..1000));
        // Two stores have few answers, so the privacy rule has cells to hide (under 5) and to
        // warn about (under 30).
        let store = if i % 2500 == 1 {
            "BJ-009".to_string()
        } else if i % 800 == 7 {
            "GZ-010".to_string()
        } else {
            format!("SH-{:03}", rng.gen_range(1..=6))
        };
        let attribution = Attribution {
            customer_id: Some(format!("C{:06}", rng.gen_range(0..5000))),
            segment: Some(pick(&mut rng, &["new", "returning", "vip"]).into()),
            agent: Some(format!("S{:03}", rng.gen_range(1..=12))),
            store: Some(store),
            region: Some(pick(&mut rng, &["east", "north", "south"]).into()),
            service_type: Some(pick(&mut rng, &["repair", "install", "consult"]).into()),
            channel: Some(pick(&mut rng, &["sms", "email", "qr"]).into()),
            ..Attribution::default()
        };
        // A latent satisfaction drives the answers, so dimensions correlate with the outcome.
        let mood: i32 = rng.gen_range(1..=5);
        let rating = |rng: &mut StdRng| (mood + rng.gen_range(-1..=1)).clamp(1, 5) as u8;
        let mut answers = Answers::new();
        let mut missing = Vec::new();
        let outcome = rating(&mut rng);
        let outcome_given = rng.gen_bool(0.97);
        for (id, p) in [("pq_fit", 0.92), ("sr_resolution", 0.88), ("va_worth", 0.9)] {
            if rng.gen_bool(p) {
                answers.insert(q(id), Answer::Number(rating(&mut rng)));
            } else {
                missing.push(q(id));
            }
        }
        if rng.gen_bool(0.85) {
            let nps = (i32::from(outcome) * 2 + rng.gen_range(-2..=1)).clamp(0, 10) as u8;
            answers.insert(q("nps"), Answer::Number(nps));
        } else {
            missing.push(q("nps"));
        }
        if rng.gen_bool(0.4) {
            answers.insert(
                q("improve_text"),
                Answer::Text(pick(&mut rng, &TEXTS).to_string()),
            );
        } else {
            missing.push(q("improve_text"));
        }
        if outcome_given {
            answers.insert(q("overall_satisfaction"), Answer::Number(outcome));
        } else {
            missing.push(q("overall_satisfaction"));
        }
        let id = format!("gen-{seed}-{i:06}");
        let respondent = |attribution: &Attribution| Respondent {
            invitation_id: Some(id.clone()),
            attribution: attribution.clone(),
            sent_at: Some(at - Duration::hours(1)),
        };
        let complete = |answers: Answers, missing: Vec<QuestionId>, now: DateTime<Utc>| {
            build_response(
                id.clone(),
                "csat-default",
                1,
                &valid,
                Locale::ZhCn,
                respondent(&attribution),
                CheckedAnswers { answers, missing },
                Completeness::Complete,
                now,
                365,
            )
        };
        // One in ten starts as a one-tap rating and is completed later.
        if outcome_given && i % 10 == 3 {
            let tap = build_response(
                id.clone(),
                "csat-default",
                1,
                &valid,
                Locale::ZhCn,
                respondent(&attribution),
                CheckedAnswers {
                    answers: Answers::from([(q("overall_satisfaction"), Answer::Number(outcome))]),
                    missing: Vec::new(),
                },
                Completeness::Partial,
                at,
                365,
            );
            writes.push(Write {
                old: None,
                new: tap.clone(),
            });
            let later = at + Duration::minutes(rng.gen_range(1..600));
            let mut done = complete(answers, missing, later);
            done.revision = tap.revision + 1;
            done.created_at = tap.created_at;
            done.expires_at = tap.expires_at;
            writes.push(Write {
                old: Some(tap),
                new: done.clone(),
            });
            finals.push(done);
        } else {
            let done = complete(answers, missing, at);
            writes.push(Write {
                old: None,
                new: done.clone(),
            });
            finals.push(done);
        }
    }
    // Completions come after the taps they complete, whatever the clock says.
    Generated {
        writes,
        responses: finals,
    }
}

impl Generated {
    /// The writes added up slot by slot, as the report consumer adds them to the table.
    pub fn added_up(&self, zone: Tz) -> Contributions {
        let mut all = Contributions::new();
        for write in &self.writes {
            let delta = slots::contributions(&write.change(), |r| {
                slots::response_slots(r, zone, Keywords::standard())
            });
            for (slot, totals) in delta {
                all.entry(slot).or_default().merge(&totals, 1);
            }
        }
        all.retain(|_, t| !t.is_zero());
        all
    }
}

/// Writes `all` as a survey's stored slots (25 to a transaction).
pub async fn store_totals(store: &closeloop::Store, survey_id: &str, all: &Contributions) {
    let partition = closeloop::keys::totals::partition(survey_id);
    let writes: Vec<_> = all
        .iter()
        .map(|(slot, totals)| store.add_totals(&partition, slot, totals).unwrap())
        .collect();
    for chunk in writes.chunks(25) {
        store
            .client()
            .transact_write_items()
            .set_transact_items(Some(chunk.to_vec()))
            .send()
            .await
            .expect("totals written");
    }
}

/// Stores the default survey as `id` (version 1), as the reports read it.
pub async fn create_survey(store: &closeloop::Store, id: &str, now: DateTime<Utc>) {
    let survey = survey();
    store
        .create_survey(
            SurveyId::parse(id).unwrap(),
            survey.validated().unwrap(),
            now,
        )
        .await
        .expect("the survey stored");
}

/// The table item of a response, as the store writes it (key, entity, `gsi1` by day).
pub fn item(response: &SurveyResponse) -> serde_dynamo::Item {
    let mut item: serde_dynamo::Item = serde_dynamo::to_item(response).unwrap();
    let key = closeloop::keys::response::for_invitation(&response.response_id);
    item.insert("pk".into(), AttributeValue::S(key.pk));
    item.insert("sk".into(), AttributeValue::S(key.sk));
    item.insert("entity".into(), AttributeValue::S("response".into()));
    item.insert(
        "gsi1pk".into(),
        AttributeValue::S(closeloop::keys::responses_by_day::partition(
            &response.survey_id,
            response.created_at.date_naive(),
        )),
    );
    item.insert(
        "gsi1sk".into(),
        AttributeValue::S(closeloop::keys::responses_by_day::sort(
            response.created_at,
            &response.response_id,
        )),
    );
    item
}

fn template_record(name: &str) -> EventRecord {
    let event: Event = serde_json::from_value(fixture(name)).unwrap();
    event.records.into_iter().next().unwrap()
}

/// The stream record of one write, shaped like the real INSERT and MODIFY fixtures.
pub fn record(write: &Write) -> EventRecord {
    let new = item(&write.new);
    let mut record = match &write.old {
        None => template_record("stream-one-tap-insert.json"),
        Some(old) => {
            let mut record = template_record("stream-one-tap-completed.json");
            record.change.old_image = item(old);
            record
        }
    };
    let keys: HashMap<String, AttributeValue> = [
        ("pk".to_string(), new["pk"].clone()),
        ("sk".to_string(), new["sk"].clone()),
    ]
    .into_iter()
    .collect();
    record.change.keys = keys.into();
    record.change.new_image = new;
    record
}

/// A batch of records with increasing sequence numbers.
pub fn batch(records: Vec<EventRecord>) -> Event {
    let mut event: Event = serde_json::from_value(json!({"Records": []})).unwrap();
    for (i, mut record) in records.into_iter().enumerate() {
        record.change.sequence_number = Some(format!("{:022}", 1000 + i));
        event.records.push(record);
    }
    event
}
