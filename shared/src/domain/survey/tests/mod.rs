//! Survey rules, tested: the default survey, parsing, validation, skip logic and properties.

use super::*;
use serde_json::{json, Value};

mod default_survey;
mod estimate;
mod parsing;
mod properties;
mod transactional_survey;
mod validation;
mod visibility;

/// The full relationship survey (campaigns); most rule tests use it, as it has every kind of
/// question.
const DEFAULT_JSON: &str = include_str!("../../../../../surveys/relationship.json");
/// The short transactional survey events invite to (`csat-default`).
const TRANSACTIONAL_JSON: &str = include_str!("../../../../../surveys/default.json");

fn default_new() -> NewSurvey {
    serde_json::from_str(DEFAULT_JSON).expect("default survey parses")
}

fn default_survey() -> ValidSurvey {
    default_new()
        .definition
        .validate()
        .expect("default survey is valid")
}

fn text(s: &str) -> Value {
    json!({"zh-CN": format!("{s}（中文）"), "en": s})
}

fn rating(id: &str) -> Value {
    json!({"id": id, "type": "rating", "label": text(id)})
}

fn choice(id: &str, options: &[&str]) -> Value {
    let options: Vec<Value> = options
        .iter()
        .map(|o| json!({"id": o, "label": text(o)}))
        .collect();
    json!({"id": id, "type": "single_choice", "label": text(id), "options": options})
}

fn open(id: &str) -> Value {
    json!({"id": id, "type": "open_text", "label": text(id)})
}

fn with_show_if(mut question: Value, condition: Value) -> Value {
    question["show_if"] = condition;
    question
}

fn definition(questions: Vec<Value>) -> Value {
    json!({"title": text("Survey"), "questions": questions})
}

fn parse(value: Value) -> SurveyDefinition {
    serde_json::from_value(value).expect("definition parses")
}

fn parse_err(value: Value) -> String {
    serde_json::from_value::<SurveyDefinition>(value)
        .expect_err("definition must not parse")
        .to_string()
}

fn problem(value: Value) -> SurveyProblem {
    parse(value)
        .validate()
        .expect_err("definition must be invalid")
}

#[track_caller]
fn assert_problem(value: Value, field: &str, reason: &str) {
    let problem = problem(value);
    assert_eq!(problem.field, field, "{problem}");
    assert!(
        problem.reason.contains(reason),
        "reason {:?} should contain {reason:?}",
        problem.reason
    );
}

fn valid(value: Value) -> ValidSurvey {
    parse(value).validate().expect("definition is valid")
}

fn qid(s: &str) -> QuestionId {
    QuestionId::parse(s).unwrap()
}

fn answers<const N: usize>(pairs: [(&str, Answer); N]) -> Answers {
    pairs.into_iter().map(|(q, a)| (qid(q), a)).collect()
}

fn visible_ids(survey: &ValidSurvey, answers: &Answers) -> Vec<String> {
    visible_questions(survey, answers)
        .into_iter()
        .map(|q| q.id.to_string())
        .collect()
}

fn is_visible(survey: &ValidSurvey, answers: &Answers, id: &str) -> bool {
    visible_ids(survey, answers).iter().any(|v| v == id)
}

fn with_dimensions(dimensions: Value, questions: Vec<Value>) -> Value {
    json!({"title": text("S"), "dimensions": dimensions, "questions": questions})
}

fn dim(id: &str, weight: Value) -> Value {
    json!({"id": id, "label": text(id), "weight": weight})
}

fn rated(id: &str, dimension: &str) -> Value {
    let mut q = rating(id);
    q["dimension"] = json!(dimension);
    q
}
