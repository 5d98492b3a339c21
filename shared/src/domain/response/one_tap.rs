//! The one-tap rating from the message (`?r=N`).
//!
//! Mail gateways and chat apps fetch every link of a message before the customer sees it, so
//! opening `?r=N` records nothing: the page shows the form with the tapped score selected and
//! a one-button form that posts `_tap=N` (its script posts it at once in a browser). Only that
//! post records the rating.

use super::{AnswerProblem, ProblemKind};
use crate::domain::survey::{Answer, Answers, Question, QuestionKind, ValidSurvey};

/// The question a one-tap rating (`?r=N` in the message) answers: the survey's outcome question
/// (overall satisfaction, always shown); for a survey that names none, the first always-shown
/// rating question of the `overall` dimension, else the first always-shown rating question, else
/// the first always-shown NPS question.
pub fn one_tap_question(survey: &ValidSurvey) -> Option<&Question> {
    if let Some(outcome) = survey.outcome() {
        return Some(outcome);
    }
    let always = || survey.questions().iter().filter(|q| q.show_if.is_none());
    always()
        .find(|q| {
            matches!(&q.kind, QuestionKind::Rating { dimension: Some(d), .. } if d.as_str() == "overall")
        })
        .or_else(|| always().find(|q| matches!(q.kind, QuestionKind::Rating { .. })))
        .or_else(|| always().find(|q| matches!(q.kind, QuestionKind::Nps)))
}

/// The answers a one-tap rating `r` stands for.
pub fn one_tap_answers(survey: &ValidSurvey, r: &str) -> Result<Answers, AnswerProblem> {
    let Some(question) = one_tap_question(survey) else {
        return Err(AnswerProblem::malformed(
            "r",
            "this survey has no rating question to answer with one tap",
        ));
    };
    let range = question.kind.numeric_range().expect("rating or NPS");
    let out_of_range = AnswerProblem::new(
        "r",
        ProblemKind::OutOfRange {
            min: *range.start(),
            max: *range.end(),
        },
    );
    let r = r.trim();
    if r.is_empty() || r.len() > 3 || !r.bytes().all(|b| b.is_ascii_digit()) {
        return Err(out_of_range);
    }
    let n: u8 = r.parse().map_err(|_| out_of_range.clone())?;
    if !range.contains(&n) {
        return Err(out_of_range);
    }
    Ok(Answers::from([(question.id.clone(), Answer::Number(n))]))
}

/// The one-tap post's field: the tapped score.
pub const TAP_FIELD: &str = "_tap";

/// The tapped score when a form body is the one-tap post (`_tap=N` and nothing else); `None`
/// for any other body, which is decoded as the survey form.
pub fn tap_in_form(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let value = text.strip_prefix(TAP_FIELD)?.strip_prefix('=')?;
    (!value.contains('&') && value.len() <= 3).then(|| value.to_string())
}
