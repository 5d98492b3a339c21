use super::*;
use crate::domain::attribution::Attribution;
use crate::domain::survey::{
    Answer, Answers, Locale, NewSurvey, QuestionId, QuestionKind, ValidSurvey,
};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

const DEFAULT_JSON: &str = include_str!("../../../../surveys/relationship.json");

fn default_survey() -> ValidSurvey {
    serde_json::from_str::<NewSurvey>(DEFAULT_JSON)
        .unwrap()
        .definition
        .validate()
        .unwrap()
}

fn qid(s: &str) -> QuestionId {
    QuestionId::parse(s).unwrap()
}

/// Every always-shown required question of the default survey answered with `rating`.
fn complete_form(rating: u8) -> String {
    let survey = default_survey();
    let mut parts = Vec::new();
    for q in survey.questions() {
        if q.show_if.is_some() || !q.required {
            continue;
        }
        match &q.kind {
            QuestionKind::Rating { .. } => parts.push(format!("{}={rating}", q.id)),
            QuestionKind::Nps => parts.push(format!("{}=9", q.id)),
            QuestionKind::SingleChoice { options } => {
                parts.push(format!("{}={}", q.id, options[0].id))
            }
            _ => {}
        }
    }
    parts.join("&")
}

fn decode_and_check(body: &str) -> Result<CheckedAnswers, Vec<AnswerProblem>> {
    let survey = default_survey();
    let submission = decode_form(body.as_bytes(), &survey).map_err(|p| vec![p])?;
    check_answers(&survey, &submission.answers, Completeness::Complete)
}

// ---- decoding ----

#[test]
fn decodes_a_complete_form() {
    let checked = decode_and_check(&complete_form(4)).unwrap();
    assert_eq!(
        checked.answers.get("pq_reliability"),
        Some(&Answer::Number(4))
    );
    assert_eq!(checked.answers.get("nps"), Some(&Answer::Number(9)));
    assert_eq!(
        checked.answers.get("repurchase"),
        Some(&Answer::Choice("definitely".into()))
    );
    // The optional always-shown questions are missing, in survey order; hidden ones are not.
    let missing: Vec<&str> = checked.missing.iter().map(|q| q.as_str()).collect();
    assert_eq!(missing, ["improve_most", "improve_text", "callback"]);
}

#[test]
fn form_decoding_handles_plus_percent_and_utf8() {
    let body = format!(
        "{}&improve_text=%E6%9C%8D%E5%8A%A1+%E5%BE%88%E5%A5%BD%21&improve_most=staff_training&improve_most=other",
        complete_form(5)
    );
    let checked = decode_and_check(&body).unwrap();
    assert_eq!(
        checked.answers.get("improve_text"),
        Some(&Answer::Text("服务 很好!".into()))
    );
    assert_eq!(
        checked.answers.get("improve_most"),
        Some(&Answer::Choices(vec![
            "staff_training".into(),
            "other".into()
        ]))
    );
}

#[test]
fn blank_values_are_missing_not_zero() {
    let body = format!("{}&improve_text=+++&callback=", complete_form(3));
    let checked = decode_and_check(&body).unwrap();
    assert!(!checked.answers.contains_key("improve_text"));
    assert!(!checked.answers.contains_key("callback"));
    assert!(checked.missing.contains(&qid("improve_text")));
}

#[test]
fn form_refuses_bad_encodings() {
    let survey = default_survey();
    for body in [
        &b"nps=%"[..],
        b"nps=%4",
        b"nps=%zz",
        b"nps=%ff",
        b"improve_text=%C3%28",
        b"improve_text=\xff\xfe",
        b"%E6%9C=1",
    ] {
        let problem = decode_form(body, &survey).unwrap_err();
        assert!(
            matches!(problem.kind, ProblemKind::Malformed(_)),
            "{body:?}: {problem:?}"
        );
        assert!(!problem.reason().is_empty());
    }
}

#[test]
fn form_refuses_unknown_fields_and_repeats() {
    let survey = default_survey();
    let err = decode_form(b"q999=1", &survey).unwrap_err();
    assert_eq!(err.kind, ProblemKind::UnknownQuestion);
    assert_eq!(err.field, "q999");
    assert!(err.reason().contains("q999"));
    let err = decode_form(b"_evil=1", &survey).unwrap_err();
    assert!(matches!(err.kind, ProblemKind::Malformed(_)));
    let err = decode_form(b"nps=9&nps=8", &survey).unwrap_err();
    assert_eq!(err.kind, ProblemKind::Duplicate);
    let err = decode_form(b"nps=nine", &survey).unwrap_err();
    assert_eq!(err.kind, ProblemKind::OutOfRange { min: 0, max: 10 });
    let err = decode_form(b"nps=-1", &survey).unwrap_err();
    assert_eq!(err.kind, ProblemKind::OutOfRange { min: 0, max: 10 });
    let err = decode_form(b"nps=99999999999", &survey).unwrap_err();
    assert_eq!(err.kind, ProblemKind::OutOfRange { min: 0, max: 10 });
    let many = "nps=&".repeat(MAX_FIELDS + 1);
    assert!(decode_form(many.as_bytes(), &survey).is_err());
}

#[test]
fn form_reads_its_own_fields() {
    let survey = default_survey();
    let submission = decode_form(
        b"_shown=pq_fit,nps,,nonsense&_nonce=abc&_version=3&nps=10",
        &survey,
    )
    .unwrap();
    assert_eq!(
        submission.shown,
        Some(BTreeSet::from([qid("pq_fit"), qid("nps")]))
    );
    assert_eq!(submission.nonce.as_deref(), Some("abc"));
    assert_eq!(submission.version, Some(3));
    assert!(decode_form(b"_version=x", &survey).is_err());
}

#[test]
fn json_decoding_checks_types() {
    let survey = default_survey();
    let ok = decode_json(
        json!({"answers": {"nps": 7, "repurchase": "unsure", "improve_most": ["other"],
               "improve_text": " fine ", "callback": null}, "nonce": "n", "version": 2})
        .to_string()
        .as_bytes(),
        &survey,
    )
    .unwrap();
    assert_eq!(ok.answers.len(), 4);
    assert_eq!(
        ok.answers.get("improve_text"),
        Some(&Answer::Text("fine".into()))
    );
    assert_eq!(ok.version, Some(2));
    assert_eq!(ok.shown, None);

    let cases = [
        (json!({"answers": {"nps": "7"}}), "nps"),
        (json!({"answers": {"nps": 7.5}}), "nps"),
        (json!({"answers": {"nps": -3}}), "nps"),
        (json!({"answers": {"nps": 300}}), "nps"),
        (json!({"answers": {"repurchase": 1}}), "repurchase"),
        (
            json!({"answers": {"improve_most": "other"}}),
            "improve_most",
        ),
        (json!({"answers": {"improve_most": [1]}}), "improve_most"),
        (
            json!({"answers": {"improve_text": {"a": 1}}}),
            "improve_text",
        ),
        (json!({"answers": {"nope": 1}}), "nope"),
        (json!({"answers": []}), "answers"),
        (json!({"answers": {}, "extra": 1}), "extra"),
        (json!({}), "answers"),
        (json!([1, 2]), "body"),
        (json!({"answers": {}, "version": "x"}), "version"),
        (json!({"answers": {}, "nonce": 5}), "nonce"),
    ];
    for (body, field) in cases {
        let err = decode_json(body.to_string().as_bytes(), &survey).unwrap_err();
        assert_eq!(err.field, field, "{body}");
    }
    for raw in [
        &b""[..],
        b"  ",
        b"{",
        &b"\xff"[..],
        b"nul",
        b"{\"answers\":{\"nps\":1e999}}",
    ] {
        assert!(decode_json(raw, &survey).is_err(), "{raw:?}");
    }
    let deep = "[".repeat(10_000);
    assert!(decode_json(deep.as_bytes(), &survey).is_err());
}

#[test]
fn json_answers_with_a_repeated_key_are_refused_naming_it() {
    // serde_json alone would keep the last "nps" (9) and accept the body.
    let survey = default_survey();
    for (raw, field, key) in [
        (r#"{"answers":{"nps":2,"nps":9}}"#, "answers.nps", "nps"),
        (
            r#"{"answers":{"nps":2},"answers":{"nps":9}}"#,
            "answers",
            "answers",
        ),
        (
            r#"{"answers":{"nps":2},"nonce":"a","nonce":"b"}"#,
            "nonce",
            "nonce",
        ),
    ] {
        let err = decode_json(raw.as_bytes(), &survey).unwrap_err();
        assert_eq!(err.field, field, "{raw}");
        let ProblemKind::Malformed(reason) = &err.kind else {
            panic!("{raw}: {err:?}");
        };
        assert!(
            reason.contains(&format!("{key:?} appears more than once")),
            "{raw}: {reason}"
        );
    }
}

// ---- validation ----

#[test]
fn required_visible_questions_must_be_answered() {
    let survey = default_survey();
    let problems = check_answers(&survey, &Answers::new(), Completeness::Complete).unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert!(fields.contains(&"pq_reliability") && fields.contains(&"nps"));
    // The hidden required follow-up is not asked for.
    assert!(!fields.contains(&"disappointing_step"));
    assert!(problems.iter().all(|p| p.kind == ProblemKind::Required));
    // A partial answer needs nothing else.
    let partial = Answers::from([(qid("overall_satisfaction"), Answer::Number(2))]);
    assert!(check_answers(&survey, &partial, Completeness::Partial).is_ok());
}

#[test]
fn a_low_service_score_makes_the_follow_up_required() {
    let body = complete_form(2);
    let problems = decode_and_check(&body).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "disappointing_step");
    assert_eq!(problems[0].kind, ProblemKind::Required);
    let checked = decode_and_check(&format!("{body}&disappointing_step=slow+reply")).unwrap();
    assert_eq!(
        checked.answers.get("disappointing_step"),
        Some(&Answer::Text("slow reply".into()))
    );
}

#[test]
fn answers_to_hidden_questions_are_refused() {
    let problems =
        decode_and_check(&format!("{}&disappointing_step=x", complete_form(5))).unwrap_err();
    assert_eq!(
        problems,
        vec![AnswerProblem::new(
            "disappointing_step",
            ProblemKind::Hidden
        )]
    );
    let problems = decode_and_check(&format!(
        "{}&callback=no&callback_time=morning",
        complete_form(5)
    ))
    .unwrap_err();
    assert_eq!(problems[0].field, "callback_time");
    assert_eq!(problems[0].kind, ProblemKind::Hidden);
}

#[test]
fn ranges_options_limits() {
    let survey = default_survey();
    let with = |id: &str, answer: Answer| {
        let mut answers = decode_form(complete_form(4).as_bytes(), &survey)
            .unwrap()
            .answers;
        answers.insert(qid(id), answer);
        check_answers(&survey, &answers, Completeness::Complete).unwrap_err()[0]
            .kind
            .clone()
    };
    assert_eq!(
        with("pq_fit", Answer::Number(0)),
        ProblemKind::OutOfRange { min: 1, max: 5 }
    );
    assert_eq!(
        with("pq_fit", Answer::Number(6)),
        ProblemKind::OutOfRange { min: 1, max: 5 }
    );
    assert_eq!(
        with("nps", Answer::Number(11)),
        ProblemKind::OutOfRange { min: 0, max: 10 }
    );
    assert!(matches!(
        with("repurchase", Answer::Choice("maybe".into())),
        ProblemKind::NotAnOption { .. }
    ));
    assert_eq!(
        with(
            "improve_most",
            Answer::Choices(vec![
                "other".into(),
                "staff_training".into(),
                "more_channels".into(),
                "simplify_process".into()
            ])
        ),
        ProblemKind::TooMany { max: 3 }
    );
    assert_eq!(
        with(
            "improve_most",
            Answer::Choices(vec!["other".into(), "other".into()])
        ),
        ProblemKind::Duplicate
    );
    assert_eq!(
        with("improve_text", Answer::Text("字".repeat(1001))),
        ProblemKind::TooLong { max: 1000 }
    );
    assert!(matches!(
        with("improve_text", Answer::Number(3)),
        ProblemKind::WrongType { .. }
    ));
    assert!(matches!(
        with("nps", Answer::Text("9".into())),
        ProblemKind::WrongType { .. }
    ));
}

#[test]
fn messages_exist_in_both_languages() {
    let problem = AnswerProblem::new("nps", ProblemKind::Required);
    assert_eq!(problem.message(Locale::ZhCn), "请回答此问题。");
    assert_eq!(problem.message(Locale::En), "this question needs an answer");
    assert_eq!(problem.to_string(), "nps: this question needs an answer");
}

#[test]
fn newly_visible_names_revealed_questions() {
    let survey = default_survey();
    let submission = decode_form(
        format!(
            "{}&callback=yes&_shown=pq_reliability,callback",
            complete_form(5)
        )
        .as_bytes(),
        &survey,
    )
    .unwrap();
    let new = newly_visible(
        &survey,
        &submission.answers,
        submission.shown.as_ref().unwrap(),
    );
    assert!(new.iter().any(|q| q.as_str() == "callback_time"));
}

#[test]
fn without_hidden_drops_stale_follow_ups() {
    let survey = default_survey();
    let answers = decode_form(
        format!("{}&callback=no&callback_time=noon", complete_form(5)).as_bytes(),
        &survey,
    )
    .unwrap()
    .answers;
    let cleaned = without_hidden(&survey, &answers);
    assert!(!cleaned.contains_key("callback_time"));
    assert!(cleaned.contains_key("callback"));
}

// ---- one tap ----

#[test]
fn one_tap_rates_the_overall_question() {
    let survey = default_survey();
    assert_eq!(
        one_tap_question(&survey).unwrap().id.as_str(),
        "overall_satisfaction"
    );
    assert_eq!(
        one_tap_answers(&survey, "4").unwrap(),
        Answers::from([(qid("overall_satisfaction"), Answer::Number(4))])
    );
    for bad in ["0", "6", "", "x", "-1", "1.5", "99999", "٣"] {
        assert!(one_tap_answers(&survey, bad).is_err(), "{bad}");
    }
}

#[test]
fn only_a_lone_tap_field_is_a_tap() {
    assert_eq!(tap_in_form(b"_tap=4").as_deref(), Some("4"));
    assert_eq!(tap_in_form(b"_tap=").as_deref(), Some(""));
    for other in [
        &b""[..],
        &b"overall_satisfaction=4"[..],
        &b"_tap=4&nps=9"[..],
        &b"nps=9&_tap=4"[..],
        &b"_tapx=4"[..],
        &b"_tap=4444"[..],
        b"\xff",
    ] {
        assert_eq!(tap_in_form(other), None, "{other:?}");
    }
}

// ---- scoring ----

#[test]
fn scores_are_averages_weighted_over_answered_dimensions() {
    let survey = default_survey();
    let mut answers = Answers::new();
    answers.insert(qid("pq_reliability"), Answer::Number(5));
    answers.insert(qid("pq_fit"), Answer::Number(4));
    answers.insert(qid("sr_first_response"), Answer::Number(2));
    answers.insert(qid("nps"), Answer::Number(8));
    let scores = score(&survey, &answers);
    assert_eq!(scores.dimensions.len(), 2);
    assert_eq!(
        scores.dimensions["product_quality"],
        Tally { sum: 9, count: 2 }
    );
    assert_eq!(
        scores.dimensions["service_response"],
        Tally { sum: 2, count: 1 }
    );
    let averages = scores.dimension_averages();
    assert_eq!(averages["product_quality"].to_string(), "4.5");
    assert_eq!(averages["service_response"], FixedScore::from(2));
    // Both dimensions weigh 0.3: the unanswered ones do not drag the mean to zero.
    assert_eq!(scores.index, Some(FixedScore::from_ten_thousandths(32_500)));
    assert_eq!(scores.nps, Some(8));
    assert_eq!(scores.nps_bucket, Some(NpsBucket::Passive));
    assert_eq!(score(&survey, &Answers::new()), Scores::default());
}

#[test]
fn weights_matter() {
    let survey = default_survey();
    let answers = Answers::from([
        (qid("pq_reliability"), Answer::Number(5)), // weight 0.3
        (qid("va_pricing"), Answer::Number(1)),     // weight 0.15
    ]);
    let index = score(&survey, &answers).index.unwrap();
    // (0.3 × 5 + 0.15 × 1) / 0.45 = 3.6666…, kept to four places.
    assert_eq!(index.to_string(), "3.6667");
}

#[test]
fn the_outcome_is_kept_apart_from_the_index() {
    let survey = default_survey();
    let answers = Answers::from([
        (qid("overall_satisfaction"), Answer::Number(1)),
        (qid("pq_reliability"), Answer::Number(5)),
        (qid("sr_resolution"), Answer::Number(5)),
    ]);
    let scores = score(&survey, &answers);
    assert_eq!(scores.outcome, Some(1));
    // An unhappy outcome does not pull the index of the dimensions down, nor is it one of them.
    assert_eq!(scores.index, Some(FixedScore::from(5)));
    assert_eq!(
        scores
            .dimensions
            .keys()
            .map(|d| d.as_str())
            .collect::<Vec<_>>(),
        ["product_quality", "service_response"]
    );
    // The outcome alone (a one-tap rating) scores no index.
    let tap = score(&survey, &one_tap_answers(&survey, "2").unwrap());
    assert_eq!((tap.outcome, tap.index), (Some(2), None));
    assert!(tap.dimensions.is_empty());
    // Unanswered: absent, never zero.
    assert_eq!(score(&survey, &Answers::new()).outcome, None);
}

#[test]
fn a_survey_without_an_outcome_scores_none() {
    let mut definition = default_survey().into_definition();
    definition.outcome = None;
    let survey = definition.validate().unwrap();
    let answers = Answers::from([
        (qid("overall_satisfaction"), Answer::Number(1)),
        (qid("pq_reliability"), Answer::Number(4)),
    ]);
    let scores = score(&survey, &answers);
    assert_eq!(
        (scores.outcome, scores.index),
        (None, Some(FixedScore::from(4)))
    );
}

#[test]
fn nps_buckets() {
    for (n, bucket) in [
        (0, NpsBucket::Detractor),
        (6, NpsBucket::Detractor),
        (7, NpsBucket::Passive),
        (8, NpsBucket::Passive),
        (9, NpsBucket::Promoter),
        (10, NpsBucket::Promoter),
    ] {
        assert_eq!(NpsBucket::of(n), bucket);
    }
}

#[test]
fn callback_and_open_text() {
    let answers = Answers::from([
        (qid("callback"), Answer::Choice("yes".into())),
        (
            qid("callback_time"),
            Answer::Text("weekday mornings".into()),
        ),
        (qid("improve_text"), Answer::Text("faster replies".into())),
    ]);
    assert_eq!(
        callback(&answers),
        Some(Callback {
            requested: true,
            preferred_time: Some("weekday mornings".into()),
            contact: None
        })
    );
    assert_eq!(
        open_text(&answers),
        BTreeMap::from([(qid("improve_text"), "faster replies".to_string())])
    );
    let no = Answers::from([(qid("callback"), Answer::Choice("no".into()))]);
    assert_eq!(callback(&no).map(|c| c.requested), Some(false));
    assert_eq!(callback(&Answers::new()), None);
}

#[test]
fn fingerprints_tell_answers_apart() {
    let a = Answers::from([(qid("nps"), Answer::Number(9))]);
    let b = Answers::from([(qid("nps"), Answer::Number(8))]);
    assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
    assert_ne!(fingerprint(&a), fingerprint(&b));
}

#[test]
fn built_response_carries_everything() {
    let survey = default_survey();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let checked = decode_and_check(&format!(
        "{}&callback=yes&callback_time=evening&_shown=callback_time",
        complete_form(5)
    ))
    .unwrap();
    let response = build_response(
        "inv-1".into(),
        "csat-default",
        1,
        &survey,
        Locale::ZhCn,
        Respondent {
            invitation_id: Some("inv-1".into()),
            attribution: Attribution {
                customer_id: Some("C1".into()),
                channel: Some("sms".into()),
                agent: Some("S008".into()),
                ..Attribution::default()
            },
            ..Respondent::default()
        },
        checked,
        Completeness::Complete,
        now,
        730,
    );
    assert!(response.complete && !response.anonymous);
    assert_eq!(response.satisfaction_index, Some(FixedScore::from(5)));
    assert_eq!(response.outcome, Some(5));
    assert_eq!((response.revision, response.created_at), (1, now));
    assert_eq!(response.nps_bucket, Some(NpsBucket::Promoter));
    assert_eq!(response.submitted_at, Some(now));
    assert_eq!(response.expires_at, now.timestamp() + 730 * 86_400);
    assert!(response.callback.unwrap().requested);
    assert!(response
        .missing
        .iter()
        .any(|q| q.as_str() == "improve_text"));
    let json = serde_json::to_value(&response.answers).unwrap();
    assert_eq!(json["nps"], json!({"number": 9}));
}

#[test]
fn stored_items_from_before_the_outcome_stay_readable() {
    let survey = default_survey();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let checked = decode_and_check(&complete_form(4)).unwrap();
    let response = build_response(
        "inv-1".into(),
        "csat-default",
        1,
        &survey,
        Locale::En,
        Respondent::default(),
        checked,
        Completeness::Complete,
        now,
        730,
    );
    let mut item: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::to_value(&response).unwrap()).unwrap();
    assert_eq!(item["outcome"], json!(4));
    assert_eq!(item["satisfaction_index"], json!(4.0));
    // An item written before: the index was `overall_score`, and there was no outcome.
    let index = item.remove("satisfaction_index").unwrap();
    item.remove("outcome");
    item.insert("overall_score".into(), index);
    item.insert("pk".into(), json!("RESPONSE#inv-1"));
    // Read as the store reads it: the response flattened into the item, through DynamoDB's
    // attribute values.
    #[derive(serde::Deserialize)]
    struct Record {
        #[allow(dead_code)]
        pk: String,
        #[serde(flatten)]
        response: SurveyResponse,
    }
    let attributes: serde_dynamo::Item = serde_dynamo::to_item(&item).unwrap();
    let old: Record = serde_dynamo::from_item(attributes).unwrap();
    assert_eq!(old.response.satisfaction_index, Some(FixedScore::from(4)));
    assert_eq!(old.response.outcome, None);
}

// ---- exact scores ----

type DynamoItem = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// The decimal places of a stored DynamoDB number.
fn places(number: &str) -> usize {
    number.split_once('.').map_or(0, |(_, part)| part.len())
}

#[test]
fn scores_are_stored_as_the_decimals_they_read_as() {
    assert_eq!(FixedScore::ratio(7, 3).to_string(), "2.3333");
    assert_eq!(FixedScore::ratio(2, 3).to_string(), "0.6667");
    assert_eq!(FixedScore::from(4).to_string(), "4");
    let item: DynamoItem = serde_dynamo::to_item(json!({"v": FixedScore::ratio(37, 20)})).unwrap();
    assert_eq!(item["v"].as_n().unwrap(), "1.85");
    assert_eq!(
        serde_json::to_string(&FixedScore::ratio(7, 3)).unwrap(),
        "2.3333"
    );
    // What was stored as binary floats reads as what it meant.
    for (old, meant) in [
        ("1.8499999999999999", "1.85"),
        ("2.3333333333333335", "2.3333"),
    ] {
        let read: FixedScore = serde_json::from_str(old).unwrap();
        assert_eq!(read.to_string(), meant);
    }
}

/// A response to the full survey with these ratings of its fifteen rating questions.
fn rated(ratings: &[Option<u8>]) -> SurveyResponse {
    let survey = default_survey();
    let answers: Answers = survey
        .questions()
        .iter()
        .filter(|q| matches!(q.kind, QuestionKind::Rating { .. }))
        .zip(ratings)
        .filter_map(|(q, r)| r.map(|r| (q.id.clone(), Answer::Number(r))))
        .collect();
    let checked = check_answers(&survey, &answers, Completeness::Partial).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    build_response(
        "inv-1".into(),
        "relationship",
        1,
        &survey,
        Locale::En,
        Respondent::default(),
        checked,
        Completeness::Partial,
        now,
        730,
    )
}

#[test]
fn a_stored_response_holds_exact_parts_and_four_place_scores() {
    // Product quality 2, 2, 3 (7/3); service response 1, 2 (3/2); value 2.
    let some = |v: u8| Some(v);
    let response = rated(&[
        some(2),
        some(2),
        some(3),
        some(1),
        some(2),
        None,
        None,
        None,
        None,
        some(2),
    ]);
    let item: DynamoItem = serde_dynamo::to_item(&response).unwrap();
    let tallies = item["dimension_tallies"].as_m().unwrap();
    let quality = tallies["product_quality"].as_m().unwrap();
    assert_eq!(
        (
            quality["sum"].as_n().unwrap().as_str(),
            quality["count"].as_n().unwrap().as_str()
        ),
        ("7", "3")
    );
    let scores = item["dimension_scores"].as_m().unwrap();
    assert_eq!(scores["product_quality"].as_n().unwrap(), "2.3333");
    assert_eq!(scores["service_response"].as_n().unwrap(), "1.5");
    // (0.3 × 7/3 + 0.3 × 3/2 + 0.15 × 2) / 0.75 = 1.9333…
    assert_eq!(item["satisfaction_index"].as_n().unwrap(), "1.9333");
}

// ---- properties ----

/// `PROPTEST_CASES` raises the case count (see the README); the default keeps `make test` fast.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "pq_reliability",
            "nps",
            "repurchase",
            "improve_most",
            "improve_text",
            "callback",
            "callback_time",
            "disappointing_step",
            "_shown",
            "_nonce",
            "_version",
            "_x",
            "unknown",
            "",
        ])
        .prop_map(String::from),
        ".{0,12}",
    ]
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u16..300).prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "yes",
            "no",
            "other",
            "staff_training",
            "definitely",
            "%",
            "%4",
            "%zz",
            "%ff",
            "+",
            "%E6%9C%8D",
            "nps,pq_fit",
            "-1",
            "1e3",
            " 3 ",
        ])
        .prop_map(String::from),
        ".{0,40}",
        prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| b.iter().map(|x| format!("%{x:02X}")).collect()),
    ]
}

fn structured_form() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((field_name(), field_value()), 0..30).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    })
}

fn json_body() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(json!(null)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        (0u8..12).prop_map(|n| json!(n)),
        ".{0,10}".prop_map(|s| json!(s)),
        Just(json!("yes")),
        Just(json!(["other", "staff_training"])),
    ];
    let answers = prop::collection::btree_map(field_name(), leaf, 0..10);
    (answers, prop::option::of(any::<u32>())).prop_map(|(answers, version)| {
        let mut body = json!({ "answers": answers });
        if let Some(v) = version {
            body["version"] = json!(v);
        }
        body.to_string().into_bytes()
    })
}

proptest! {
    #![proptest_config(cases(2_000))]

    /// The fuzz test of the decoder: arbitrary bytes, near-valid forms and JSON bodies never
    /// panic, and whatever decodes either validates or names a problem.
    #[test]
    fn decoder_never_panics(
        raw in prop::collection::vec(any::<u8>(), 0..200),
        form in structured_form(),
        json in json_body(),
    ) {
        let survey = default_survey_cached();
        for body in [&raw, &form, &json] {
            for decoded in [decode_form(body, survey), decode_json(body, survey)] {
                match decoded {
                    Ok(submission) => {
                        let _ = without_hidden(survey, &submission.answers);
                        match check_answers(survey, &submission.answers, Completeness::Complete) {
                            Ok(checked) => {
                                let scores = score(survey, &checked.answers);
                                if let Some(index) = scores.index {
                                    prop_assert!((FixedScore::from(1)..=FixedScore::from(5)).contains(&index));
                                }
                            }
                            Err(problems) => {
                                prop_assert!(!problems.is_empty());
                                for p in problems {
                                    prop_assert!(!p.reason().is_empty());
                                    prop_assert!(!p.message(Locale::ZhCn).is_empty());
                                }
                            }
                        }
                    }
                    Err(problem) => prop_assert!(!problem.reason().is_empty()),
                }
            }
        }
    }

    /// Valid answers survive a round trip through the form encoding exactly.
    #[test]
    fn form_round_trip(rating in 1u8..=5, nps in 0u8..=10, text in "[a-zA-Z0-9 中文!&=+%]{1,30}") {
        let survey = default_survey_cached();
        let encoded: String = text
            .bytes()
            .map(|b| format!("%{b:02X}"))
            .collect();
        let body = format!("pq_fit={rating}&nps={nps}&improve_text={encoded}");
        let submission = decode_form(body.as_bytes(), survey).unwrap();
        prop_assert_eq!(submission.answers.get("pq_fit"), Some(&Answer::Number(rating)));
        prop_assert_eq!(submission.answers.get("nps"), Some(&Answer::Number(nps)));
        let expected = (!text.trim().is_empty()).then(|| Answer::Text(text.trim().to_string()));
        prop_assert_eq!(submission.answers.get("improve_text"), expected.as_ref());
    }

    /// Whatever the answers, the stored scores are decimals of at most four places, and the
    /// exact parts of many responses add up to exact sums.
    #[test]
    fn stored_scores_carry_no_float_noise(
        responses in prop::collection::vec(
            prop::collection::vec(prop::option::of(1u8..=5), 15), 1..6)
    ) {
        let mut total = Tally::default();
        let mut expected = (0u32, 0u32);
        for ratings in &responses {
            let response = rated(ratings);
            let item: DynamoItem = serde_dynamo::to_item(&response).unwrap();
            if let Some(index) = item.get("satisfaction_index") {
                let n = index.as_n().unwrap();
                prop_assert!(places(n) <= 4, "satisfaction_index {}", n);
            }
            for (dimension, score) in item["dimension_scores"].as_m().unwrap() {
                let n = score.as_n().unwrap();
                prop_assert!(places(n) <= 4, "{} {}", dimension, n);
            }
            if let Some(tally) = response.dimension_tallies.get("product_quality") {
                total.sum += tally.sum;
                total.count += tally.count;
            }
            for r in ratings.iter().take(3).flatten() {
                expected.0 += u32::from(*r);
                expected.1 += 1;
            }
        }
        prop_assert_eq!((total.sum, total.count), expected);
    }

    /// The index is a weighted mean: always between the lowest and highest dimension average.
    #[test]
    fn index_lies_between_dimension_averages(
        ratings in prop::collection::vec(prop::option::of(1u8..=5), 15)
    ) {
        let survey = default_survey_cached();
        let answers: Answers = survey
            .questions()
            .iter()
            .filter(|q| matches!(q.kind, QuestionKind::Rating { .. }))
            .zip(&ratings)
            .filter_map(|(q, r)| r.map(|r| (q.id.clone(), Answer::Number(r))))
            .collect();
        let scores = score(survey, &answers);
        prop_assert_eq!(scores.index.is_some(), !scores.dimensions.is_empty());
        if let Some(index) = scores.index {
            let averages = scores.dimension_averages();
            let lo = averages.values().min().copied().unwrap();
            let hi = averages.values().max().copied().unwrap();
            prop_assert!(index >= lo && index <= hi, "{:?} {:?}", index, averages);
        }
        let outcome = answers.get("overall_satisfaction").map(|a| match a {
            Answer::Number(n) => *n,
            _ => unreachable!("ratings are numbers"),
        });
        prop_assert_eq!(scores.outcome, outcome);
    }
}

fn default_survey_cached() -> &'static ValidSurvey {
    static SURVEY: std::sync::OnceLock<ValidSurvey> = std::sync::OnceLock::new();
    SURVEY.get_or_init(default_survey)
}
