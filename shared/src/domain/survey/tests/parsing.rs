//! Ids, locales and labels, and the fields a definition may carry.

use super::*;

#[test]
fn ids_accept_the_documented_shape() {
    for ok in [
        "a",
        "0",
        "q1",
        "csat-default",
        "after_sales",
        &"a".repeat(64),
    ] {
        assert!(QuestionId::parse(ok).is_ok(), "{ok}");
    }
}

#[test]
fn ids_reject_everything_else() {
    for bad in [
        "",
        "Q1",
        "_a",
        "-a",
        "a b",
        "a.b",
        "é",
        "q1\n",
        &"a".repeat(65),
    ] {
        assert!(QuestionId::parse(bad).is_err(), "{bad:?}");
    }
    let err = DimensionId::parse("Quality").unwrap_err();
    assert_eq!(err.what, "dimension");
    assert!(err.to_string().contains("invalid dimension id \"Quality\""));
}

#[test]
fn ids_are_checked_when_deserializing() {
    let err = parse_err(definition(vec![rating("Bad Id")]));
    assert!(err.contains("invalid question id \"Bad Id\""), "{err}");
    let ok: OptionId = serde_json::from_value(json!("yes")).unwrap();
    assert_eq!(ok, "yes");
}

// ---- locales and labels ----

#[test]
fn locale_parses_best_match() {
    for zh in [
        "zh-CN", "zh", "zh-cn", "zh_CN", "ZH-Hans", "zh-TW", " zh-CN ",
    ] {
        assert_eq!(zh.parse::<Locale>(), Ok(Locale::ZhCn), "{zh}");
    }
    for en in ["en", "en-US", "EN-gb", "en_AU"] {
        assert_eq!(en.parse::<Locale>(), Ok(Locale::En), "{en}");
    }
    for bad in ["", "fr", "zhx", "eng", "de-DE"] {
        assert!(bad.parse::<Locale>().is_err(), "{bad}");
    }
}

#[test]
fn locale_displays_and_serializes_canonically() {
    assert_eq!(Locale::ZhCn.to_string(), "zh-CN");
    assert_eq!(Locale::En.to_string(), "en");
    assert_eq!(serde_json::to_value(Locale::ZhCn).unwrap(), json!("zh-CN"));
    assert_eq!(
        serde_json::from_value::<Locale>(json!("en-US")).unwrap(),
        Locale::En
    );
}

#[test]
fn localized_get_picks_the_locale() {
    let text = Localized::new("你好", "Hello");
    assert_eq!(text.get(Locale::ZhCn), "你好");
    assert_eq!(text.get(Locale::En), "Hello");
    assert_eq!(
        serde_json::to_value(&text).unwrap(),
        json!({"zh-CN": "你好", "en": "Hello"})
    );
}

#[test]
fn missing_locale_is_explained() {
    let err = parse_err(json!({"title": {"zh-CN": "调查"}, "questions": []}));
    assert!(err.contains("missing its \"en\" (English)"), "{err}");
    let err = parse_err(json!({"title": {"en": "Survey"}, "questions": []}));
    assert!(err.contains("\"zh-CN\" (Simplified Chinese)"), "{err}");
}

#[test]
fn unknown_locale_key_is_refused() {
    let err = parse_err(json!({"title": {"zh-CN": "调查", "en": "S", "fr": "E"}}));
    assert!(err.contains("unknown field `fr`"), "{err}");
}

#[test]
fn plain_string_label_is_explained() {
    let err = parse_err(json!({"title": "Survey"}));
    assert!(err.contains("both locales"), "{err}");
}

#[test]
fn blank_title_is_rejected() {
    assert_problem(
        json!({"title": {"zh-CN": "  ", "en": "Survey"}, "questions": [rating("q1")]}),
        "title.zh-CN",
        "must not be blank",
    );
}

#[test]
fn blank_question_label_is_rejected() {
    let mut q = rating("q1");
    q["label"]["en"] = json!("");
    assert_problem(
        definition(vec![q]),
        "questions[0].label.en",
        "must not be blank",
    );
}

#[test]
fn blank_option_label_is_rejected() {
    let mut q = choice("c", &["a", "b"]);
    q["options"][1]["label"]["zh-CN"] = json!("\t");
    assert_problem(
        definition(vec![q]),
        "questions[0].options[1].label.zh-CN",
        "must not be blank",
    );
}

#[test]
fn overlong_help_is_rejected() {
    let mut q = rating("q1");
    q["help"] = json!({"zh-CN": "长".repeat(501), "en": "ok"});
    assert_problem(
        definition(vec![q]),
        "questions[0].help.zh-CN",
        "501 characters",
    );
    let mut q = rating("q1");
    q["help"] = json!({"zh-CN": "长".repeat(500), "en": "ok"});
    valid(definition(vec![q]));
}

// ---- unknown and misplaced fields ----

#[test]
fn unknown_top_level_field_is_refused() {
    let mut def = definition(vec![rating("q1")]);
    def["colour"] = json!("blue");
    assert!(parse_err(def).contains("unknown field `colour`"));
}

#[test]
fn unknown_question_field_is_refused() {
    let mut q = rating("q1");
    q["lable"] = text("x");
    assert!(parse_err(definition(vec![q])).contains("unknown field `lable`"));
}

#[test]
fn unknown_dimension_and_option_fields_are_refused() {
    let def = json!({"title": text("S"), "dimensions": [{"id": "d", "label": text("d"), "weight": 1, "colour": 1}]});
    assert!(parse_err(def).contains("unknown field `colour`"));
    let mut q = choice("c", &["a", "b"]);
    q["options"][0]["score"] = json!(1);
    assert!(parse_err(definition(vec![q])).contains("unknown field `score`"));
}

#[test]
fn unknown_condition_field_is_refused() {
    let q = with_show_if(
        rating("q2"),
        json!({"question": "q1", "op": "le", "value": 2, "negate": true}),
    );
    assert!(parse_err(definition(vec![rating("q1"), q])).contains("unknown field `negate`"));
}

#[test]
fn field_of_another_question_type_is_refused() {
    let mut q = rating("q1");
    q["options"] = json!([]);
    let err = parse_err(definition(vec![q]));
    assert!(
        err.contains("\"options\" does not apply to a rating question"),
        "{err}"
    );
    let mut q = json!({"id": "n", "type": "nps", "label": text("n"), "max_length": 10});
    let err = parse_err(definition(vec![q.take()]));
    assert!(
        err.contains("nps questions take no type-specific fields"),
        "{err}"
    );
}

#[test]
fn unknown_question_type_is_refused() {
    let q = json!({"id": "q", "type": "slider", "label": text("q")});
    assert!(parse_err(definition(vec![q])).contains("unknown variant `slider`"));
}

#[test]
fn new_survey_takes_an_optional_id_and_refuses_unknown_fields() {
    let new: NewSurvey = serde_json::from_value(definition(vec![rating("q1")])).unwrap();
    assert_eq!(new.id, None);
    let mut body = definition(vec![rating("q1")]);
    body["id"] = json!("my-survey");
    let new: NewSurvey = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(new.id.unwrap(), "my-survey");
    body["version"] = json!(2);
    let err = serde_json::from_value::<NewSurvey>(body).unwrap_err();
    assert!(err.to_string().contains("unknown field `version`"));
    // The definition itself has no id.
    let mut body = definition(vec![rating("q1")]);
    body["id"] = json!("x");
    assert!(parse_err(body).contains("unknown field `id`"));
}

#[test]
fn question_defaults_are_filled_in() {
    let survey = valid(definition(vec![open("t")]));
    let q = &survey.questions()[0];
    assert!(q.required);
    assert_eq!(q.kind, QuestionKind::OpenText { max_length: 1000 });
}
