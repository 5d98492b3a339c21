//! The short transactional survey shipped in `surveys/default.json`, which events invite to.

use super::*;

fn transactional() -> ValidSurvey {
    let new: NewSurvey = serde_json::from_str(TRANSACTIONAL_JSON).expect("it parses");
    assert_eq!(new.id.as_ref().map(SurveyId::as_str), Some("csat-default"));
    assert!(!new.definition.allow_long);
    new.definition.validate().expect("it is valid")
}

#[test]
fn it_asks_overall_satisfaction_a_few_optional_ratings_and_nps() {
    let survey = transactional();
    // The outcome the ticket rules and CSAT read, asked of everyone, in no dimension.
    let outcome = survey.outcome().expect("an outcome");
    assert_eq!(outcome.id, "overall_satisfaction");
    assert!(outcome.required && outcome.show_if.is_none());
    assert!(matches!(
        outcome.kind,
        QuestionKind::Rating {
            dimension: None,
            ..
        }
    ));
    let nps = survey.question("nps").expect("NPS");
    assert!(nps.required && nps.kind == QuestionKind::Nps);
    // A few key ratings, one per dimension, all optional.
    let ratings: Vec<(&str, &str, bool)> = survey
        .questions()
        .iter()
        .filter_map(|q| match &q.kind {
            QuestionKind::Rating {
                dimension: Some(d), ..
            } => Some((q.id.as_str(), d.as_str(), q.required)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ratings,
        [
            ("pq_fit", "product_quality", false),
            ("sr_resolution", "service_response", false),
            ("va_worth", "value", false),
        ]
    );
    // Only the outcome and NPS are required.
    let required: Vec<&str> = survey
        .questions()
        .iter()
        .filter(|q| q.required)
        .map(|q| q.id.as_str())
        .collect();
    assert_eq!(required, ["overall_satisfaction", "nps"]);
}

#[test]
fn it_keeps_the_follow_up_questions_the_rules_read() {
    let survey = transactional();
    for id in [
        "disappointing_step",
        "improve_text",
        "callback",
        "callback_time",
    ] {
        assert!(survey.question(id).is_some(), "{id}");
    }
    // The low-score follow-up appears after a low overall or key rating only.
    for (id, low) in [
        ("overall_satisfaction", 2),
        ("pq_fit", 1),
        ("sr_resolution", 2),
        ("va_worth", 2),
    ] {
        let unhappy = answers([(id, Answer::Number(low))]);
        assert!(is_visible(&survey, &unhappy, "disappointing_step"), "{id}");
        let fine = answers([(id, Answer::Number(3))]);
        assert!(!is_visible(&survey, &fine, "disappointing_step"), "{id}");
    }
    let yes = answers([("callback", Answer::Choice("yes".into()))]);
    assert!(is_visible(&survey, &yes, "callback_time"));
}

#[test]
fn it_fits_the_time_budget_and_the_full_survey_needs_allow_long() {
    let short = transactional();
    let quick = check_time_budget(short.definition(), DEFAULT_TIME_BUDGET_SECS).unwrap();
    assert!(quick.seconds <= 120, "{quick:?}");
    assert!(!quick.is_long());
    assert_eq!(quick.text(Locale::En), "about 2 minutes");
    assert_eq!(quick.text(Locale::ZhCn), "约 2 分钟");

    let full = default_survey();
    let long = estimate(full.definition());
    assert!(long.seconds > DEFAULT_TIME_BUDGET_SECS, "{long:?}");
    assert!(long.is_long());
    assert_eq!(
        check_time_budget(full.definition(), DEFAULT_TIME_BUDGET_SECS),
        Ok(long),
        "allow_long lets it through"
    );
    let mut strict = full.definition().clone();
    strict.allow_long = false;
    let problem = check_time_budget(&strict, DEFAULT_TIME_BUDGET_SECS).unwrap_err();
    assert_eq!(problem.field, "questions");
    assert!(
        problem.reason.contains(&format!("{} s", long.seconds))
            && problem.reason.contains("budget of 180 s")
            && problem.reason.contains("\"allow_long\": true"),
        "{problem}"
    );
}
