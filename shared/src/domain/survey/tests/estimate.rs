//! The completion-time estimate: per question type, conditional questions at half.

use super::*;

fn definition(questions: Value) -> SurveyDefinition {
    serde_json::from_value(json!({"title": text("t"), "questions": questions})).unwrap()
}

#[test]
fn each_question_type_has_its_documented_time() {
    let open = |required: bool| json!({"id": "o", "type": "open_text", "label": text("o"), "required": required});
    let multiple = json!({"id": "m", "type": "multiple_choice", "label": text("m"),
        "options": [{"id": "a", "label": text("a")}, {"id": "b", "label": text("b")},
                    {"id": "c", "label": text("c")}]});
    for (question, seconds) in [
        (rating("r"), RATING_SECS),
        (
            json!({"id": "n", "type": "nps", "label": text("n")}),
            NPS_SECS,
        ),
        (choice("c", &["a", "b"]), CHOICE_SECS + 2),
        (multiple, CHOICE_SECS + 6),
        (open(true), OPEN_TEXT_SECS),
        (open(false), OPTIONAL_OPEN_TEXT_SECS),
    ] {
        let def = definition(json!([question]));
        assert_eq!(question_seconds(&def.questions[0]), seconds, "{question}");
        assert_eq!(estimate(&def).seconds, PAGE_SECS + seconds, "{question}");
    }
}

#[test]
fn a_conditional_question_counts_half_rounded_up() {
    let mut follow_up = json!({"id": "why", "type": "open_text", "label": text("why"),
        "show_if": {"question": "r", "op": "le", "value": 2}});
    let def = definition(json!([rating("r"), follow_up.clone()]));
    assert_eq!(
        estimate(&def).seconds,
        PAGE_SECS + RATING_SECS + OPEN_TEXT_SECS / 2
    );
    follow_up["type"] = json!("rating");
    let def = definition(json!([rating("r"), follow_up]));
    assert_eq!(
        estimate(&def).seconds,
        PAGE_SECS + RATING_SECS + RATING_SECS.div_ceil(2)
    );
}

#[test]
fn minutes_round_up_and_read_naturally() {
    let text = |seconds, locale| Estimate { seconds }.text(locale);
    assert_eq!(text(10, Locale::En), "about 1 minute");
    assert_eq!(text(60, Locale::En), "about 1 minute");
    assert_eq!(text(61, Locale::En), "about 2 minutes");
    assert_eq!(text(181, Locale::ZhCn), "约 4 分钟");
    assert!(!Estimate {
        seconds: LONG_SURVEY_SECS
    }
    .is_long());
    assert!(Estimate {
        seconds: LONG_SURVEY_SECS + 1
    }
    .is_long());
}

#[test]
fn the_budget_refuses_a_long_survey_unless_it_allows_itself_to_be() {
    let questions: Vec<Value> = (0..30).map(|i| rating(&format!("r{i}"))).collect();
    let mut def = definition(json!(questions));
    let seconds = PAGE_SECS + 30 * RATING_SECS;
    let problem = check_time_budget(&def, 180).unwrap_err();
    assert_eq!(
        problem.reason,
        format!(
            "the survey takes an estimated {seconds} s to answer (about 4 minutes), over the \
             time budget of 180 s: ask fewer questions, or set \"allow_long\": true to send a \
             longer survey on purpose"
        )
    );
    assert_eq!(check_time_budget(&def, seconds), Ok(Estimate { seconds }));
    def.allow_long = true;
    assert_eq!(check_time_budget(&def, 180), Ok(Estimate { seconds }));
}

#[test]
fn a_version_is_admitted_only_when_valid_and_within_the_budget() {
    let questions: Vec<Value> = (0..30).map(|i| rating(&format!("r{i}"))).collect();
    let long = definition(json!(questions));
    let problem = admit_version(long.clone(), 180).unwrap_err();
    assert_eq!(problem.field, "questions");
    assert!(admit_version(long, 10_000).is_ok());
    let duplicate = definition(json!([rating("a"), rating("a")]));
    let problem = admit_version(duplicate, 10_000).unwrap_err();
    assert!(
        problem.field.starts_with("questions[1]"),
        "{}",
        problem.field
    );
}
