//! Conditions as written, skip logic, and stored survey versions.

use super::*;
use chrono::{DateTime, Utc};

#[test]
fn question_json_shapes_round_trip() {
    let questions = vec![
        json!({"id": "r", "type": "rating", "label": text("r"), "dimension": "d", "low_label": text("low"), "high_label": text("high")}),
        json!({"id": "n", "type": "nps", "label": text("n"), "help": text("0-10")}),
        json!({"id": "s", "type": "single_choice", "label": text("s"), "required": false, "options": [{"id": "yes", "label": text("yes")}, {"id": "no", "label": text("no")}]}),
        json!({"id": "m", "type": "multiple_choice", "label": text("m"), "options": [{"id": "a", "label": text("a")}, {"id": "b", "label": text("b")}], "max_selected": 2}),
        json!({"id": "t", "type": "open_text", "label": text("t"), "show_if": {"any": [{"question": "r", "op": "le", "value": 2}, {"question": "s", "op": "is", "value": "yes"}, {"all": [{"question": "n", "op": "answered"}]}]}, "max_length": 300}),
    ];
    let def = with_dimensions(json!([dim("d", json!(1.0))]), questions);
    let parsed = valid(def.clone());
    assert_eq!(serde_json::to_value(&parsed).unwrap(), def);
}

// ---- skip logic ----

#[test]
fn nested_any_and_all() {
    // t shows when (r <= 2 and c is yes) or n >= 9.
    let nps = json!({"id": "n", "type": "nps", "label": text("n")});
    let t = with_show_if(
        open("t"),
        json!({"any": [
            {"all": [{"question": "r", "op": "le", "value": 2}, {"question": "c", "op": "is", "value": "yes"}]},
            {"question": "n", "op": "ge", "value": 9}
        ]}),
    );
    let survey = valid(definition(vec![
        rating("r"),
        choice("c", &["yes", "no"]),
        nps,
        t,
    ]));
    let yes = || Answer::Choice("yes".into());
    assert!(is_visible(
        &survey,
        &answers([("r", Answer::Number(1)), ("c", yes())]),
        "t"
    ));
    assert!(!is_visible(
        &survey,
        &answers([("r", Answer::Number(3)), ("c", yes())]),
        "t"
    ));
    assert!(!is_visible(
        &survey,
        &answers([("r", Answer::Number(1))]),
        "t"
    ));
    assert!(is_visible(
        &survey,
        &answers([("n", Answer::Number(9))]),
        "t"
    ));
    assert!(!is_visible(
        &survey,
        &answers([("n", Answer::Number(8))]),
        "t"
    ));
}

#[test]
fn hidden_link_in_a_chain_hides_what_follows() {
    // q2 shows when q1 <= 2; q3 shows when q2 is answered.
    let q2 = with_show_if(
        rating("q2"),
        json!({"question": "q1", "op": "le", "value": 2}),
    );
    let q3 = with_show_if(open("q3"), json!({"question": "q2", "op": "answered"}));
    let survey = valid(definition(vec![rating("q1"), q2, q3]));
    let low = answers([("q1", Answer::Number(1)), ("q2", Answer::Number(4))]);
    assert_eq!(visible_ids(&survey, &low), ["q1", "q2", "q3"]);
    // q1 changed to 5: q2 is hidden, so its stale answer no longer counts and q3 hides too.
    let high = answers([("q1", Answer::Number(5)), ("q2", Answer::Number(4))]);
    assert_eq!(visible_ids(&survey, &high), ["q1"]);
}

#[test]
fn conditions_may_look_at_later_questions() {
    // Evaluated in dependency order, listed in survey order.
    let q1 = with_show_if(open("q1"), json!({"question": "q2", "op": "answered"}));
    let q2 = with_show_if(
        rating("q2"),
        json!({"question": "q3", "op": "eq", "value": 5}),
    );
    let survey = valid(definition(vec![q1, q2, rating("q3")]));
    let all = answers([("q3", Answer::Number(5)), ("q2", Answer::Number(1))]);
    assert_eq!(visible_ids(&survey, &all), ["q1", "q2", "q3"]);
    let some = answers([("q3", Answer::Number(4)), ("q2", Answer::Number(1))]);
    assert_eq!(visible_ids(&survey, &some), ["q3"]);
}

#[test]
fn comparisons_on_unanswered_questions_are_false() {
    let ne = with_show_if(open("t"), json!({"question": "r", "op": "ne", "value": 3}));
    let survey = valid(definition(vec![rating("r"), ne]));
    assert!(!is_visible(&survey, &Answers::new(), "t"));
    assert!(is_visible(
        &survey,
        &answers([("r", Answer::Number(4))]),
        "t"
    ));
    assert!(!is_visible(
        &survey,
        &answers([("r", Answer::Number(3))]),
        "t"
    ));
    // An answer of the wrong shape compares as unanswered.
    assert!(!is_visible(
        &survey,
        &answers([("r", Answer::Text("4".into()))]),
        "t"
    ));
}

#[test]
fn is_matches_any_selected_option_of_a_multiple_choice() {
    let mut m = choice("m", &["a", "b", "c"]);
    m["type"] = json!("multiple_choice");
    let t = with_show_if(
        open("t"),
        json!({"question": "m", "op": "is", "value": "b"}),
    );
    let survey = valid(definition(vec![m, t]));
    let picked = |ids: &[&str]| {
        answers([(
            "m",
            Answer::Choices(ids.iter().map(|s| s.to_string()).collect()),
        )])
    };
    assert!(is_visible(&survey, &picked(&["a", "b"]), "t"));
    assert!(!is_visible(&survey, &picked(&["a", "c"]), "t"));
}

#[test]
fn blank_answers_do_not_count_as_answered() {
    let t = with_show_if(rating("r"), json!({"question": "t", "op": "answered"}));
    let survey = valid(definition(vec![open("t"), t]));
    assert!(!is_visible(
        &survey,
        &answers([("t", Answer::Text("  ".into()))]),
        "r"
    ));
    assert!(is_visible(
        &survey,
        &answers([("t", Answer::Text("slow".into()))]),
        "r"
    ));
}

#[test]
fn answers_json_shape() {
    let parsed: Answers = serde_json::from_value(json!({
        "q1": {"number": 4}, "c": {"choice": "yes"}, "m": {"choices": ["a"]}, "t": {"text": "hi"}
    }))
    .unwrap();
    assert_eq!(parsed["q1"], Answer::Number(4));
    assert_eq!(parsed["m"], Answer::Choices(vec!["a".into()]));
}

// ---- stored surveys ----

#[test]
fn stored_survey_round_trips_and_refuses_version_zero() {
    let survey = Survey {
        id: SurveyId::parse("csat-default").unwrap(),
        version: 1,
        definition: default_new().definition,
        created_at: DateTime::parse_from_rfc3339("2024-05-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    };
    let mut json = serde_json::to_value(&survey).unwrap();
    assert_eq!(
        serde_json::from_value::<Survey>(json.clone()).unwrap(),
        survey
    );
    assert!(survey.validated().is_ok());
    json["version"] = json!(0);
    let err = serde_json::from_value::<Survey>(json).unwrap_err();
    assert!(err.to_string().contains("version of 1 or more"), "{err}");
}
