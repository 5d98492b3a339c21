use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::domain::attribution::Attribution;
use crate::domain::response::{
    build_response, check_answers, one_tap_answers, CheckedAnswers, Completeness, Respondent,
};
use crate::domain::survey::{Answer, Answers, Locale, NewSurvey, QuestionKind, ValidSurvey};

const DEFAULT_JSON: &str = include_str!("../../../../../surveys/relationship.json");

fn survey() -> ValidSurvey {
    serde_json::from_str::<NewSurvey>(DEFAULT_JSON)
        .unwrap()
        .definition
        .validate()
        .unwrap()
}

fn tap_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn respond(
    survey: &ValidSurvey,
    checked: CheckedAnswers,
    how: Completeness,
    at: DateTime<Utc>,
) -> SurveyResponse {
    build_response(
        "inv-1".into(),
        "csat-default",
        1,
        survey,
        Locale::En,
        Respondent {
            invitation_id: Some("inv-1".into()),
            attribution: Attribution {
                customer_id: Some("C202405001".into()),
                channel: Some("sms".into()),
                ..Attribution::default()
            },
            ..Respondent::default()
        },
        checked,
        how,
        at,
        730,
    )
}

/// A one-tap rating `r`, at `at`.
fn tap(r: &str, at: DateTime<Utc>) -> SurveyResponse {
    let survey = survey();
    let answers = one_tap_answers(&survey, r).unwrap();
    let checked = check_answers(&survey, &answers, Completeness::Partial).unwrap();
    respond(&survey, checked, Completeness::Partial, at)
}

/// The whole form, every always-shown rating `rating`, at `at`.
fn form(rating: u8, at: DateTime<Utc>) -> SurveyResponse {
    let survey = survey();
    let mut answers = Answers::new();
    for q in survey.questions().iter().filter(|q| q.show_if.is_none()) {
        let answer = match &q.kind {
            QuestionKind::Rating { .. } => Answer::Number(rating),
            QuestionKind::Nps => Answer::Number(9),
            QuestionKind::SingleChoice { options } => Answer::Choice(options[0].id.to_string()),
            _ => continue,
        };
        answers.insert(q.id.clone(), answer);
    }
    let checked = check_answers(&survey, &answers, Completeness::Complete).unwrap();
    respond(&survey, checked, Completeness::Complete, at)
}

fn later() -> DateTime<Utc> {
    tap_time() + Duration::minutes(5)
}

#[test]
fn a_first_answer_is_recorded_while_the_invitation_is_open() {
    let submission = form(4, later());
    assert_eq!(
        settle(None, InvitationStatus::Open, submission.clone()),
        Settlement::Record(submission.clone())
    );
    assert_eq!(submission.revision, 1);
    assert_eq!(
        settle(None, InvitationStatus::Closed, submission),
        Settlement::Closed
    );
}

#[test]
fn the_same_answers_again_are_a_replay_of_the_stored_response() {
    let stored = form(4, tap_time());
    // Sent again later: the stored response (its times, its revision) answers.
    let again = form(4, later());
    assert_ne!(again.submitted_at, stored.submitted_at);
    for invitation in [InvitationStatus::Open, InvitationStatus::Closed] {
        assert_eq!(
            settle(Some(&stored), invitation, again.clone()),
            Settlement::Unchanged(stored.clone())
        );
    }
}

#[test]
fn different_answers_to_a_complete_response_are_a_conflict() {
    let stored = form(4, tap_time());
    assert_eq!(
        settle(Some(&stored), InvitationStatus::Open, form(5, later())),
        Settlement::Conflict
    );
}

#[test]
fn the_form_completes_a_one_tap_response_as_its_next_revision() {
    let stored = tap("2", tap_time());
    let Settlement::Replace(completed) =
        settle(Some(&stored), InvitationStatus::Open, form(4, later()))
    else {
        panic!("completing a tap replaces it");
    };
    assert!(completed.complete);
    assert_eq!(completed.revision, 2);
    assert_eq!(completed.created_at, tap_time(), "the first answer's time");
    assert_eq!(completed.submitted_at, Some(later()));
    assert_eq!(
        completed.outcome,
        Some(4),
        "the form's answer replaces the tap"
    );
    // A response stored before revisions existed reads as revision 1, and so becomes 2.
    let mut old: serde_json::Value = serde_json::to_value(&stored).unwrap();
    old.as_object_mut().unwrap().remove("revision");
    let old: SurveyResponse = serde_json::from_value(old).unwrap();
    assert_eq!(old.revision, 1);
    assert!(matches!(
        settle(Some(&old), InvitationStatus::Open, form(4, later())),
        Settlement::Replace(r) if r.revision == 2
    ));
}

#[test]
fn the_latest_tap_counts_and_the_same_tap_changes_nothing() {
    let mut stored = tap("2", tap_time());
    stored.revision = 3;
    let Settlement::Replace(retapped) =
        settle(Some(&stored), InvitationStatus::Open, tap("4", later()))
    else {
        panic!("a new tap replaces the old one");
    };
    assert!(!retapped.complete);
    assert_eq!((retapped.revision, retapped.outcome), (4, Some(4)));
    assert_eq!(retapped.created_at, tap_time());
    assert_eq!(
        settle(Some(&stored), InvitationStatus::Open, tap("2", later())),
        Settlement::Unchanged(stored.clone())
    );
}

#[test]
fn a_tap_after_completion_changes_nothing() {
    let stored = form(4, tap_time());
    assert_eq!(
        settle(Some(&stored), InvitationStatus::Open, tap("1", later())),
        Settlement::Unchanged(stored.clone())
    );
}

#[test]
fn completing_with_the_tapped_answers_alone_still_completes() {
    // A survey whose only required question is the one tapped: the form sends the same answers.
    let stored = tap("3", tap_time());
    let survey = survey();
    let checked = CheckedAnswers {
        answers: stored.answers.clone(),
        missing: Vec::new(),
    };
    let complete = respond(&survey, checked, Completeness::Complete, later());
    assert_eq!(complete.fingerprint, stored.fingerprint);
    assert!(matches!(
        settle(Some(&stored), InvitationStatus::Open, complete),
        Settlement::Replace(r) if r.complete && r.revision == 2
    ));
}

#[test]
fn an_invitation_takes_a_first_answer_only_while_sent_or_reminded() {
    use crate::domain::invitation::InvitationState as S;
    for state in [S::Sent, S::Reminded] {
        assert_eq!(InvitationStatus::of(Some(state)), InvitationStatus::Open);
    }
    for state in [
        S::Scheduled,
        S::Sending,
        S::Answered,
        S::Expired,
        S::Failed,
        S::Suppressed,
    ] {
        assert_eq!(
            InvitationStatus::of(Some(state)),
            InvitationStatus::Closed,
            "{state:?}"
        );
    }
    assert_eq!(InvitationStatus::of(None), InvitationStatus::Closed);
}
