use std::collections::BTreeSet;

use super::*;
use crate::domain::survey::NewSurvey;

const DEFAULT_JSON: &str = include_str!("../../../../../surveys/relationship.json");

fn survey() -> ValidSurvey {
    serde_json::from_str::<NewSurvey>(DEFAULT_JSON)
        .unwrap()
        .definition
        .validate()
        .unwrap()
}

fn qid(id: &str) -> QuestionId {
    QuestionId::parse(id).unwrap()
}

/// Every always-shown rating answered with `rating`, plus `extra`.
fn answers(rating: u8, extra: &[(&str, Answer)]) -> Answers {
    let survey = survey();
    let mut answers: Answers = survey
        .questions()
        .iter()
        .filter(|q| q.show_if.is_none() && matches!(q.kind, QuestionKind::Rating { .. }))
        .map(|q| (q.id.clone(), Answer::Number(rating)))
        .collect();
    for (id, answer) in extra {
        answers.insert(qid(id), answer.clone());
    }
    answers
}

fn shown(ids: &[&str]) -> Option<BTreeSet<QuestionId>> {
    let survey = survey();
    let mut shown: BTreeSet<QuestionId> = survey
        .questions()
        .iter()
        .filter(|q| q.show_if.is_none())
        .map(|q| q.id.clone())
        .collect();
    shown.extend(ids.iter().map(|id| qid(id)));
    Some(shown)
}

fn post(answers: Answers, shown: Option<BTreeSet<QuestionId>>) -> Submission {
    Submission {
        answers,
        shown,
        ..Submission::default()
    }
}

#[test]
fn what_the_page_showed_is_checked_and_recorded() {
    let given = answers(4, &[("callback", Answer::Choice("no".into()))]);
    assert_eq!(
        review_form(&survey(), post(given.clone(), shown(&[]))),
        FormReview::Check(given)
    );
}

#[test]
fn answers_that_reveal_an_unseen_question_show_the_form_again() {
    // A low service score reveals "which step disappointed you?", which the page did not show.
    let given = answers(2, &[]);
    assert_eq!(
        review_form(&survey(), post(given.clone(), shown(&[]))),
        FormReview::ShowAgain(given.clone())
    );
    // Once the page showed it, the post is checked (and the required follow-up is missing).
    let FormReview::Check(checked) =
        review_form(&survey(), post(given, shown(&["disappointing_step"])))
    else {
        panic!("the page showed every question that applies");
    };
    let problems = check_answers(&survey(), &checked, Completeness::Complete).unwrap_err();
    assert!(problems
        .iter()
        .any(|p| p.field == "disappointing_step" && p.kind == ProblemKind::Required));
}

#[test]
fn a_changed_mind_drops_the_hidden_answer_and_shows_the_form_again() {
    // The page showed the call-back time (after "yes"); the respondent then chose "no".
    let given = answers(
        4,
        &[
            ("callback", Answer::Choice("no".into())),
            ("callback_time", Answer::Text("after 6pm".into())),
        ],
    );
    let FormReview::ShowAgain(kept) =
        review_form(&survey(), post(given.clone(), shown(&["callback_time"])))
    else {
        panic!("a stale answer sends the form back");
    };
    assert!(!kept.contains_key("callback_time"));
    assert_eq!(kept.len(), given.len() - 1);
}

#[test]
fn an_answer_to_a_question_never_shown_is_left_to_the_check() {
    let given = answers(4, &[("disappointing_step", Answer::Text("forged".into()))]);
    assert_eq!(
        review_form(&survey(), post(given.clone(), shown(&[]))),
        FormReview::Check(given.clone())
    );
    let problems = check_answers(&survey(), &given, Completeness::Complete).unwrap_err();
    assert!(problems
        .iter()
        .any(|p| p.field == "disappointing_step" && p.kind == ProblemKind::Hidden));
}

#[test]
fn json_is_checked_as_it_is() {
    let given = answers(2, &[("callback_time", Answer::Text("noon".into()))]);
    assert_eq!(
        review_form(&survey(), post(given.clone(), None)),
        FormReview::Check(given)
    );
}
