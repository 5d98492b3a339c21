//! The full relationship survey shipped in `surveys/relationship.json`.

use super::*;

#[test]
fn default_survey_parses_and_validates() {
    let new = default_new();
    assert_eq!(new.id.as_ref().map(SurveyId::as_str), Some("relationship"));
    assert!(
        new.definition.allow_long,
        "the full survey is long on purpose"
    );
    let survey = new.definition.validate().unwrap();
    assert!(survey.questions().len() <= MAX_QUESTIONS);
}

#[test]
fn default_survey_has_four_weighted_dimensions_and_the_outcome_apart() {
    let survey = default_survey();
    let dims: Vec<(&str, f64)> = survey
        .dimensions()
        .iter()
        .map(|d| (d.id.as_str(), d.weight))
        .collect();
    assert_eq!(
        dims,
        [
            ("product_quality", 0.3),
            ("service_response", 0.3),
            ("after_sales", 0.25),
            ("value", 0.15),
        ]
    );
    let total: f64 = dims.iter().map(|(_, w)| w).sum();
    assert!((total - 1.0).abs() < 1e-9);
    assert_eq!(survey.dimensions()[0].label.get(Locale::ZhCn), "产品质量");
    // Overall satisfaction is the outcome: asked of everyone, in no dimension.
    let outcome = survey.outcome().unwrap();
    assert_eq!(outcome.id, "overall_satisfaction");
    assert_eq!(outcome.label.zh_cn, "您对我们的整体满意度如何？");
    assert!(outcome.show_if.is_none() && outcome.required);
    assert!(matches!(
        outcome.kind,
        QuestionKind::Rating {
            dimension: None,
            ..
        }
    ));
}

#[test]
fn default_survey_is_short_with_three_ratings_per_dimension() {
    let survey = default_survey();
    let mut ratings = 0;
    for dimension in survey.dimensions() {
        let count = survey
            .questions()
            .iter()
            .filter(|q| matches!(&q.kind, QuestionKind::Rating { dimension: Some(d), .. } if *d == dimension.id))
            .count();
        assert_eq!(count, 3, "{}", dimension.id);
        ratings += count;
    }
    assert!(ratings <= 20);
    for q in survey.questions() {
        if let QuestionKind::Rating {
            low_label,
            high_label,
            ..
        } = &q.kind
        {
            assert_eq!(low_label.as_ref().unwrap().zh_cn, "非常不满意");
            assert_eq!(high_label.as_ref().unwrap().en, "Very satisfied");
        }
    }
}

#[test]
fn default_survey_has_the_named_follow_up_questions() {
    let survey = default_survey();
    let nps = survey.question("nps").unwrap();
    assert_eq!(nps.kind, QuestionKind::Nps);
    assert_eq!(nps.label.zh_cn, "您有多大可能向他人推荐我们的产品/服务？");
    let repurchase = survey.question("repurchase").unwrap();
    let ids: Vec<&str> = repurchase
        .kind
        .options()
        .unwrap()
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "definitely",
            "probably",
            "unsure",
            "probably_not",
            "definitely_not"
        ]
    );
    let improve = survey.question("improve_most").unwrap();
    assert!(!improve.required);
    assert!(matches!(
        improve.kind,
        QuestionKind::MultipleChoice {
            max_selected: Some(3),
            ..
        }
    ));
    for optional in ["improve_text", "callback", "callback_time"] {
        assert!(!survey.question(optional).unwrap().required, "{optional}");
    }
    assert_eq!(
        survey.question("improve_text").unwrap().label.zh_cn,
        "您认为我们最需要改进的方面是？"
    );
}

#[test]
fn default_survey_round_trips_through_json() {
    let new = default_new();
    let json = serde_json::to_string(&new).unwrap();
    let again: NewSurvey = serde_json::from_str(&json).unwrap();
    assert_eq!(again, new);
    let valid = default_survey();
    let json = serde_json::to_value(&valid).unwrap();
    assert_eq!(serde_json::from_value::<ValidSurvey>(json).unwrap(), valid);
}

#[test]
fn default_disappointing_step_hidden_when_service_ratings_are_three_or_more() {
    let survey = default_survey();
    let good = answers([
        ("sr_first_response", Answer::Number(3)),
        ("sr_resolution", Answer::Number(5)),
        ("sr_expertise", Answer::Number(4)),
    ]);
    assert!(!is_visible(&survey, &good, "disappointing_step"));
    assert!(!is_visible(&survey, &Answers::new(), "disappointing_step"));
}

#[test]
fn default_disappointing_step_visible_with_a_two() {
    let survey = default_survey();
    let unhappy = answers([
        ("sr_first_response", Answer::Number(4)),
        ("sr_resolution", Answer::Number(2)),
        ("sr_expertise", Answer::Number(5)),
    ]);
    assert!(is_visible(&survey, &unhappy, "disappointing_step"));
    // A low rating of another dimension does not count.
    let other = answers([("pq_reliability", Answer::Number(1))]);
    assert!(!is_visible(&survey, &other, "disappointing_step"));
}

#[test]
fn default_callback_time_only_with_callback_yes() {
    let survey = default_survey();
    let yes = answers([("callback", Answer::Choice("yes".into()))]);
    let no = answers([("callback", Answer::Choice("no".into()))]);
    assert!(is_visible(&survey, &yes, "callback_time"));
    assert!(!is_visible(&survey, &no, "callback_time"));
    assert!(!is_visible(&survey, &Answers::new(), "callback_time"));
}

#[test]
fn default_without_answers_shows_everything_but_the_conditional_questions() {
    let survey = default_survey();
    let shown = visible_ids(&survey, &Answers::new());
    assert_eq!(shown.len(), survey.questions().len() - 2);
}
