//! Answers checked against the survey version they answer: types, ranges, skip logic,
//! required questions.

use std::collections::BTreeSet;

use super::{AnswerProblem, ProblemKind, Submission};
use crate::domain::survey::{
    visible_questions, Answer, Answers, QuestionId, QuestionKind, ValidSurvey,
};

/// Answers checked against a survey: only given answers to visible questions, each of the
/// right type and in range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAnswers {
    pub answers: Answers,
    /// Visible optional questions left unanswered, in survey order (missing, not zero).
    pub missing: Vec<QuestionId>,
}

/// Whether the required questions must all be answered (`Complete`), or the answers are a
/// first part (`Partial`, the one-tap rating).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    Partial,
}

/// Checks every answer; all problems, in survey order, when any.
pub fn check_answers(
    survey: &ValidSurvey,
    answers: &Answers,
    completeness: Completeness,
) -> Result<CheckedAnswers, Vec<AnswerProblem>> {
    let given: Answers = answers
        .iter()
        .filter(|(_, a)| a.is_given())
        .map(|(q, a)| (q.clone(), a.clone()))
        .collect();
    let visible: BTreeSet<&QuestionId> = visible_questions(survey, &given)
        .into_iter()
        .map(|q| &q.id)
        .collect();
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    for question in survey.questions() {
        let id = &question.id;
        let answer = given.get(id);
        if !visible.contains(id) {
            if answer.is_some() {
                problems.push(AnswerProblem::new(id.as_str(), ProblemKind::Hidden));
            }
            continue;
        }
        let Some(answer) = answer else {
            if question.required && completeness == Completeness::Complete {
                problems.push(AnswerProblem::new(id.as_str(), ProblemKind::Required));
            } else {
                missing.push(id.clone());
            }
            continue;
        };
        if let Err(kind) = check_one(&question.kind, answer) {
            problems.push(AnswerProblem::new(id.as_str(), kind));
        }
    }
    for id in answers.keys() {
        if survey.question(id.as_str()).is_none() {
            problems.push(AnswerProblem::new(
                id.as_str(),
                ProblemKind::UnknownQuestion,
            ));
        }
    }
    if problems.is_empty() {
        Ok(CheckedAnswers {
            answers: given,
            missing,
        })
    } else {
        Err(problems)
    }
}

fn check_one(kind: &QuestionKind, answer: &Answer) -> Result<(), ProblemKind> {
    match (kind, answer) {
        (QuestionKind::Rating { .. } | QuestionKind::Nps, Answer::Number(n)) => {
            let range = kind.numeric_range().expect("numeric question");
            if range.contains(n) {
                Ok(())
            } else {
                Err(ProblemKind::OutOfRange {
                    min: *range.start(),
                    max: *range.end(),
                })
            }
        }
        (QuestionKind::Rating { .. } | QuestionKind::Nps, _) => Err(ProblemKind::WrongType {
            expected: "a whole number",
        }),
        (QuestionKind::SingleChoice { options }, Answer::Choice(choice)) => {
            if options.iter().any(|o| o.id == *choice.as_str()) {
                Ok(())
            } else {
                Err(ProblemKind::NotAnOption {
                    value: choice.clone(),
                })
            }
        }
        (QuestionKind::SingleChoice { .. }, _) => Err(ProblemKind::WrongType {
            expected: "an option id (a string)",
        }),
        (
            QuestionKind::MultipleChoice {
                options,
                max_selected,
            },
            Answer::Choices(choices),
        ) => {
            let mut seen = BTreeSet::new();
            for choice in choices {
                if !options.iter().any(|o| o.id == *choice.as_str()) {
                    return Err(ProblemKind::NotAnOption {
                        value: choice.clone(),
                    });
                }
                if !seen.insert(choice) {
                    return Err(ProblemKind::Duplicate);
                }
            }
            match max_selected {
                Some(max) if choices.len() > usize::from(*max) => {
                    Err(ProblemKind::TooMany { max: *max })
                }
                _ => Ok(()),
            }
        }
        (QuestionKind::MultipleChoice { .. }, _) => Err(ProblemKind::WrongType {
            expected: "a list of option ids",
        }),
        (QuestionKind::OpenText { max_length }, Answer::Text(text)) => {
            if text.chars().count() > usize::from(*max_length) {
                Err(ProblemKind::TooLong { max: *max_length })
            } else {
                Ok(())
            }
        }
        (QuestionKind::OpenText { .. }, _) => Err(ProblemKind::WrongType {
            expected: "text (a string)",
        }),
    }
}

/// A form post judged against the questions its page showed (`_shown`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormReview {
    /// Check these answers ([`check_answers`]) and record them.
    Check(Answers),
    /// Show the form again with these answers instead of recording: they reveal questions the
    /// page did not show, or the page showed questions they now hide (a respondent without
    /// script who changed their mind; those answers are dropped).
    ShowAgain(Answers),
}

/// Form posts are checked against what the page showed before anything is recorded, so a
/// respondent never has an answer recorded to a question they did not see, nor one they meant
/// to take back. Answers to hidden questions the page never showed are left to
/// [`check_answers`], which refuses them (they were not typed into this page). A submission
/// without `_shown` (JSON) is checked as it is.
pub fn review_form(survey: &ValidSurvey, submission: Submission) -> FormReview {
    let Some(shown) = submission.shown else {
        return FormReview::Check(submission.answers);
    };
    let applicable = without_hidden(survey, &submission.answers);
    let forged = submission
        .answers
        .keys()
        .any(|id| !shown.contains(id) && !applicable.contains_key(id));
    if forged {
        return FormReview::Check(submission.answers);
    }
    let stale = submission
        .answers
        .keys()
        .any(|id| shown.contains(id) && !applicable.contains_key(id));
    let answers = if stale {
        applicable
    } else {
        submission.answers
    };
    let revealed = !newly_visible(survey, &answers, &shown).is_empty();
    if stale || revealed {
        FormReview::ShowAgain(answers)
    } else {
        FormReview::Check(answers)
    }
}

/// The questions a page should have shown for these answers but did not (`_shown`): the
/// respondent has not seen them yet, so the page is shown again instead of recording.
pub fn newly_visible<'s>(
    survey: &'s ValidSurvey,
    answers: &Answers,
    shown: &BTreeSet<QuestionId>,
) -> Vec<&'s QuestionId> {
    visible_questions(survey, answers)
        .into_iter()
        .map(|q| &q.id)
        .filter(|id| !shown.contains(*id))
        .collect()
}

/// Drops answers to questions the other answers hide (what a browser without script may send
/// after a respondent changes their mind), so a page can be shown again without them.
pub fn without_hidden(survey: &ValidSurvey, answers: &Answers) -> Answers {
    let mut answers = answers.clone();
    // Hiding one answer can hide another; a few rounds settle it (bounded by the question count).
    for _ in 0..=survey.questions().len() {
        let visible: BTreeSet<QuestionId> = visible_questions(survey, &answers)
            .into_iter()
            .map(|q| q.id.clone())
            .collect();
        let before = answers.len();
        answers.retain(|id, _| visible.contains(id));
        if answers.len() == before {
            break;
        }
    }
    answers
}

#[cfg(test)]
mod tests;
