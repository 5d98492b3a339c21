//! Skip logic: which questions a respondent sees, given their answers so far.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Condition, Question, QuestionId, ValidSurvey};

/// One respondent's answer to one question. JSON: `{"number": 4}`, `{"choice": "yes"}`,
/// `{"choices": ["a", "b"]}`, `{"text": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Answer {
    /// Rating or NPS.
    Number(u8),
    /// The selected option of a single-choice question.
    Choice(String),
    /// The selected options of a multiple-choice question.
    Choices(Vec<String>),
    Text(String),
}

impl Answer {
    /// Whether this says something: a number, a non-blank choice or text, at least one choice.
    pub fn is_given(&self) -> bool {
        match self {
            Answer::Number(_) => true,
            Answer::Choice(text) | Answer::Text(text) => !text.trim().is_empty(),
            Answer::Choices(choices) => !choices.is_empty(),
        }
    }
}

/// A respondent's answers so far, by question id.
pub type Answers = BTreeMap<QuestionId, Answer>;

/// The questions a respondent sees given their answers so far, in survey order.
///
/// A question is visible when it has no `show_if` or its condition holds. Conditions only see
/// answers to visible questions: a comparison on an unanswered or hidden question is false, and
/// so is `answered`. Conditions are evaluated dependencies first, so hiding one question hides
/// everything that depends on it being answered.
pub fn visible_questions<'s>(survey: &'s ValidSurvey, answers: &Answers) -> Vec<&'s Question> {
    let questions = survey.questions();
    let mut visible = vec![false; questions.len()];
    for &i in &survey.eval_order {
        let shown = match &questions[i].show_if {
            None => true,
            Some(condition) => Eval {
                survey,
                answers,
                visible: &visible,
            }
            .holds(condition),
        };
        visible[i] = shown;
    }
    questions
        .iter()
        .zip(visible)
        .filter_map(|(question, shown)| shown.then_some(question))
        .collect()
}

struct Eval<'e> {
    survey: &'e ValidSurvey,
    answers: &'e Answers,
    visible: &'e [bool],
}

impl Eval<'_> {
    /// The answer to a question, if it is visible and answered.
    fn answer(&self, question: &QuestionId) -> Option<&Answer> {
        let index = self.survey.position(question)?;
        if !self.visible[index] {
            return None;
        }
        self.answers
            .get(question)
            .filter(|answer| answer.is_given())
    }

    fn holds(&self, condition: &Condition) -> bool {
        match condition {
            Condition::All(list) => list.iter().all(|c| self.holds(c)),
            Condition::Any(list) => list.iter().any(|c| self.holds(c)),
            Condition::Compare {
                question,
                op,
                value,
            } => match self.answer(question) {
                Some(Answer::Number(n)) => op.holds(i64::from(*n), *value),
                _ => false,
            },
            Condition::Is { question, option } => match self.answer(question) {
                Some(Answer::Choice(choice)) => option == choice.as_str(),
                Some(Answer::Choices(choices)) => choices.iter().any(|c| option == c.as_str()),
                _ => false,
            },
            Condition::Answered { question } => self.answer(question).is_some(),
        }
    }
}
