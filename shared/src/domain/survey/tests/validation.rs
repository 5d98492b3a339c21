//! Definitions the validator refuses, and how it points at the field at fault.

use super::*;

#[test]
fn no_questions_is_rejected() {
    assert_problem(definition(vec![]), "questions", "at least one question");
    assert_problem(
        json!({"title": text("S")}),
        "questions",
        "at least one question",
    );
}

#[test]
fn more_than_sixty_questions_is_rejected() {
    let questions: Vec<Value> = (0..61).map(|i| rating(&format!("q{i}"))).collect();
    assert_problem(definition(questions), "questions", "has 61 questions");
    let questions: Vec<Value> = (0..60).map(|i| rating(&format!("q{i}"))).collect();
    valid(definition(questions));
}

#[test]
fn duplicate_question_id_is_rejected() {
    assert_problem(
        definition(vec![rating("q1"), rating("q2"), rating("q1")]),
        "questions[2].id",
        "already used by questions[0]",
    );
}

#[test]
fn duplicate_dimension_id_is_rejected() {
    assert_problem(
        with_dimensions(
            json!([dim("d", json!(1)), dim("d", json!(2))]),
            vec![rated("q1", "d")],
        ),
        "dimensions[1].id",
        "already used by dimensions[0]",
    );
}

#[test]
fn non_positive_weights_are_rejected() {
    for weight in [json!(0), json!(-0.5)] {
        assert_problem(
            with_dimensions(json!([dim("d", weight)]), vec![rated("q1", "d")]),
            "dimensions[0].weight",
            "positive, finite",
        );
    }
}

#[test]
fn nan_and_infinite_weights_are_rejected() {
    for weight in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut def = parse(with_dimensions(
            json!([dim("d", json!(1))]),
            vec![rated("q1", "d")],
        ));
        def.dimensions[0].weight = weight;
        let problem = def.validate().unwrap_err();
        assert_eq!(problem.field, "dimensions[0].weight");
    }
}

#[test]
fn rating_with_unknown_dimension_is_rejected() {
    assert_problem(
        with_dimensions(
            json!([dim("quality", json!(1))]),
            vec![rated("q1", "quality"), rated("q2", "qualty")],
        ),
        "questions[1].dimension",
        "unknown dimension \"qualty\"; known dimensions: \"quality\"",
    );
}

#[test]
fn dimension_without_rating_question_is_rejected() {
    assert_problem(
        with_dimensions(
            json!([dim("a", json!(1)), dim("b", json!(1))]),
            vec![rated("q1", "a")],
        ),
        "dimensions[1]",
        "no rating question measures dimension \"b\"",
    );
}

#[test]
fn too_few_options_are_rejected() {
    assert_problem(
        definition(vec![choice("c", &["only"])]),
        "questions[0].options",
        "has 1 options",
    );
    let q = json!({"id": "c", "type": "single_choice", "label": text("c")});
    assert_problem(definition(vec![q]), "questions[0].options", "has 0 options");
}

#[test]
fn too_many_options_are_rejected() {
    let ids: Vec<String> = (0..21).map(|i| format!("o{i}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_problem(
        definition(vec![choice("c", &refs)]),
        "questions[0].options",
        "has 21 options",
    );
    valid(definition(vec![choice("c", &refs[..20])]));
}

#[test]
fn duplicate_option_id_is_rejected() {
    assert_problem(
        definition(vec![choice("c", &["a", "b", "a"])]),
        "questions[0].options[2].id",
        "already used by options[0]",
    );
}

fn multi(max_selected: Value) -> Value {
    let mut q = choice("m", &["a", "b", "c"]);
    q["type"] = json!("multiple_choice");
    q["max_selected"] = max_selected;
    q
}

#[test]
fn max_selected_zero_is_rejected() {
    assert_problem(
        definition(vec![multi(json!(0))]),
        "questions[0].max_selected",
        "at least 1",
    );
}

#[test]
fn max_selected_above_option_count_is_rejected() {
    assert_problem(
        definition(vec![multi(json!(4))]),
        "questions[0].max_selected",
        "only 3 options",
    );
    valid(definition(vec![multi(json!(3))]));
}

#[test]
fn open_text_max_length_out_of_range_is_rejected() {
    for bad in [0, 5001] {
        let mut q = open("t");
        q["max_length"] = json!(bad);
        assert_problem(
            definition(vec![q]),
            "questions[0].max_length",
            "between 1 and 5000",
        );
    }
}

// ---- condition rejections ----

#[test]
fn condition_on_unknown_question_is_rejected() {
    let q = with_show_if(open("t"), json!({"question": "q99", "op": "answered"}));
    assert_problem(
        definition(vec![rating("q1"), q]),
        "questions[1].show_if.question",
        "refers to unknown question \"q99\"",
    );
}

#[test]
fn condition_on_itself_is_rejected() {
    let q = with_show_if(
        rating("q1"),
        json!({"question": "q1", "op": "ge", "value": 3}),
    );
    assert_problem(
        definition(vec![q]),
        "questions[0].show_if.question",
        "itself",
    );
}

#[test]
fn numeric_op_on_choice_question_is_rejected() {
    let q = with_show_if(open("t"), json!({"question": "c", "op": "lt", "value": 2}));
    assert_problem(
        definition(vec![choice("c", &["a", "b"]), q]),
        "questions[1].show_if.op",
        "use \"is\"",
    );
}

#[test]
fn numeric_op_on_open_text_is_rejected() {
    let q = with_show_if(
        rating("r"),
        json!({"question": "t", "op": "eq", "value": 1}),
    );
    assert_problem(
        definition(vec![open("t"), q]),
        "questions[1].show_if.op",
        "\"t\" is a open_text question",
    );
}

#[test]
fn rating_value_out_of_range_is_rejected() {
    for bad in [0, 6, -1] {
        let q = with_show_if(
            open("t"),
            json!({"question": "r", "op": "le", "value": bad}),
        );
        assert_problem(
            definition(vec![rating("r"), q]),
            "questions[1].show_if.value",
            "outside 1–5",
        );
    }
}

#[test]
fn nps_value_out_of_range_is_rejected() {
    let nps = json!({"id": "n", "type": "nps", "label": text("n")});
    let q = with_show_if(open("t"), json!({"question": "n", "op": "ge", "value": 11}));
    assert_problem(
        definition(vec![nps.clone(), q]),
        "questions[1].show_if.value",
        "outside 0–10",
    );
    let q = with_show_if(open("t"), json!({"question": "n", "op": "ge", "value": 0}));
    valid(definition(vec![nps, q]));
}

#[test]
fn is_with_unknown_option_is_rejected() {
    let q = with_show_if(
        open("t"),
        json!({"question": "c", "op": "is", "value": "maybe"}),
    );
    assert_problem(
        definition(vec![choice("c", &["yes", "no"]), q]),
        "questions[1].show_if.value",
        "\"maybe\" is not an option of question \"c\"; its options are \"yes\", \"no\"",
    );
}

#[test]
fn is_on_non_choice_question_is_rejected() {
    let q = with_show_if(
        open("t"),
        json!({"question": "r", "op": "is", "value": "yes"}),
    );
    assert_problem(
        definition(vec![rating("r"), q]),
        "questions[1].show_if.op",
        "\"is\" tests for a selected option",
    );
}

#[test]
fn two_question_cycle_is_rejected_with_its_path() {
    let q1 = with_show_if(rating("q1"), json!({"question": "q2", "op": "answered"}));
    let q2 = with_show_if(
        rating("q2"),
        json!({"question": "q1", "op": "le", "value": 2}),
    );
    assert_problem(
        definition(vec![q1, q2]),
        "questions[0].show_if",
        "cycle: \"q1\" -> \"q2\" -> \"q1\"",
    );
}

#[test]
fn longer_cycle_starts_at_the_first_question_in_the_survey() {
    let a = with_show_if(rating("a"), json!({"question": "c", "op": "answered"}));
    let b = with_show_if(rating("b"), json!({"question": "a", "op": "answered"}));
    let c = with_show_if(
        rating("c"),
        json!({"all": [{"question": "b", "op": "ge", "value": 1}]}),
    );
    assert_problem(
        definition(vec![rating("x"), a, b, c]),
        "questions[1].show_if",
        "\"a\" -> \"c\" -> \"b\" -> \"a\"",
    );
}

fn nest(levels: usize) -> Value {
    let mut condition = json!({"question": "q1", "op": "answered"});
    for level in 0..levels {
        let key = if level.is_multiple_of(2) {
            "all"
        } else {
            "any"
        };
        condition = json!({ key: [condition] });
    }
    condition
}

#[test]
fn nesting_deeper_than_four_is_rejected() {
    let ok = with_show_if(open("t"), nest(3));
    valid(definition(vec![rating("q1"), ok]));
    let deep = with_show_if(open("t"), nest(4));
    assert_problem(
        definition(vec![rating("q1"), deep]),
        "questions[1].show_if.any[0].all[0].any[0].all[0]",
        "nested more than 4 levels",
    );
}

#[test]
fn empty_group_is_rejected() {
    let q = with_show_if(open("t"), json!({"any": []}));
    assert_problem(
        definition(vec![rating("q1"), q]),
        "questions[1].show_if.any",
        "at least one condition",
    );
}

#[test]
fn nested_problem_has_a_precise_path() {
    let q = with_show_if(
        open("t"),
        json!({"all": [{"question": "q1", "op": "answered"}, {"any": [{"question": "q1", "op": "ge", "value": 1}, {"question": "nope", "op": "answered"}]}]}),
    );
    assert_problem(
        definition(vec![rating("q1"), q]),
        "questions[1].show_if.all[1].any[1].question",
        "unknown question \"nope\"",
    );
}

#[test]
fn malformed_conditions_are_refused_when_parsing() {
    let cases = [
        (
            json!({"question": "q1", "op": "le"}),
            "needs a numeric \"value\"",
        ),
        (
            json!({"question": "q1", "op": "le", "value": "2"}),
            "must be a whole number",
        ),
        (
            json!({"question": "q1", "op": "is", "value": 2}),
            "takes an option id",
        ),
        (
            json!({"question": "q1", "op": "answered", "value": 1}),
            "takes no \"value\"",
        ),
        (json!({"question": "q1"}), "missing \"op\""),
        (json!({"op": "answered"}), "missing \"question\""),
        (json!({}), "empty condition"),
        (
            json!({"question": "q1", "op": "answered", "all": []}),
            "mixes them",
        ),
        (json!({"all": [], "any": []}), "mixes them"),
        (
            json!({"question": "q1", "op": "lte", "value": 1}),
            "unknown variant `lte`",
        ),
        (
            json!({"question": "q1", "op": "le", "value": 2.5}),
            "whole number",
        ),
    ];
    for (condition, expected) in cases {
        let q = with_show_if(open("t"), condition.clone());
        let err = parse_err(definition(vec![rating("q1"), q]));
        assert!(err.contains(expected), "{condition}: {err}");
    }
}

#[test]
fn all_problems_are_listed_and_the_first_is_reported() {
    let mut q = rating("q1");
    q["label"]["en"] = json!(" ");
    let t = with_show_if(open("t"), json!({"question": "zz", "op": "answered"}));
    let def = parse(definition(vec![q, t]));
    let problems = def.problems();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        ["questions[0].label.en", "questions[1].show_if.question"]
    );
    assert_eq!(def.validate().unwrap_err(), problems[0]);
}

#[test]
fn problem_displays_field_and_reason() {
    let problem = SurveyProblem::new("dimensions[1].weight", "must be positive");
    assert_eq!(
        problem.to_string(),
        "dimensions[1].weight: must be positive"
    );
    let _: &dyn std::error::Error = &problem;
}

#[test]
fn valid_survey_refuses_an_invalid_definition_when_deserialized() {
    let err = serde_json::from_value::<ValidSurvey>(definition(vec![])).unwrap_err();
    assert!(err
        .to_string()
        .contains("questions: a survey needs at least one question"));
}

// ---- the outcome ----

fn with_outcome(outcome: &str, questions: Vec<Value>) -> Value {
    let mut def = with_dimensions(json!([dim("d", json!(1.0))]), questions);
    def["outcome"] = json!(outcome);
    def
}

#[test]
fn outcome_names_an_always_shown_rating_in_no_dimension() {
    let survey = valid(with_outcome(
        "overall",
        vec![rated("q1", "d"), rating("overall")],
    ));
    assert_eq!(survey.outcome().unwrap().id, "overall");
    assert_eq!(survey.definition().outcome.as_ref().unwrap(), "overall");
    // Without the field there is no outcome, as for definitions stored before it existed.
    let survey = valid(with_dimensions(
        json!([dim("d", json!(1.0))]),
        vec![rated("q1", "d"), rating("overall")],
    ));
    assert!(survey.outcome().is_none());
}

#[test]
fn outcome_must_be_a_known_question() {
    assert_problem(
        with_outcome("nope", vec![rated("q1", "d")]),
        "outcome",
        "refers to unknown question \"nope\"",
    );
}

#[test]
fn outcome_must_be_a_rating_question() {
    let nps = json!({"id": "nps", "type": "nps", "label": text("nps")});
    assert_problem(
        with_outcome("nps", vec![rated("q1", "d"), nps]),
        "outcome",
        "question \"nps\" is a nps question; the outcome must be a 1–5 rating question",
    );
    assert_problem(
        with_outcome("c", vec![rated("q1", "d"), choice("c", &["a", "b"])]),
        "outcome",
        "is a single_choice question",
    );
}

#[test]
fn outcome_must_stay_out_of_the_dimensions() {
    assert_problem(
        with_outcome("q1", vec![rated("q1", "d")]),
        "outcome",
        "counts towards dimension \"d\"; the outcome is kept apart from the weighted index",
    );
}

#[test]
fn outcome_must_be_asked_of_everyone() {
    let conditional = with_show_if(
        rating("overall"),
        json!({"question": "q1", "op": "le", "value": 2}),
    );
    assert_problem(
        with_outcome("overall", vec![rated("q1", "d"), conditional]),
        "outcome",
        "has a show_if",
    );
}

#[test]
fn outcome_round_trips_in_the_flat_new_survey_shape() {
    let new: NewSurvey = serde_json::from_value(json!({
        "id": "s", "title": text("S"), "outcome": "overall",
        "questions": [rating("overall")]
    }))
    .unwrap();
    assert_eq!(new.definition.outcome.as_ref().unwrap(), "overall");
    let json = serde_json::to_value(&new).unwrap();
    assert_eq!(json["outcome"], "overall");
    let err = serde_json::from_value::<NewSurvey>(json!({
        "title": text("S"), "outcome": "Not An Id", "questions": [rating("q")]
    }))
    .unwrap_err();
    assert!(err.to_string().contains("invalid question id"), "{err}");
}
