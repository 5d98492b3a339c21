//! What is wrong with an answer, for API clients (English) and respondents (their language).

use std::fmt;

use crate::domain::survey::Locale;

/// What is wrong with one answer or with the request as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The body itself: encoding, syntax, shape. The text says what, in English.
    Malformed(String),
    /// A field that names no question of this survey.
    UnknownQuestion,
    /// An answer to a question the respondent's other answers hide.
    Hidden,
    /// A required, visible question without an answer.
    Required,
    /// The answer has the wrong type, e.g. text for a rating.
    WrongType { expected: &'static str },
    /// A number outside the question's range.
    OutOfRange { min: u8, max: u8 },
    /// A choice that is not one of the question's options.
    NotAnOption { value: String },
    /// More choices than the question allows.
    TooMany { max: u8 },
    /// Text longer than the question allows, in characters.
    TooLong { max: u16 },
    /// A question answered twice (only multiple choice may repeat).
    Duplicate,
}

/// One problem, pointing at the field (question id or form field) at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerProblem {
    pub field: String,
    pub kind: ProblemKind,
}

impl AnswerProblem {
    pub fn new(field: impl Into<String>, kind: ProblemKind) -> AnswerProblem {
        AnswerProblem {
            field: field.into(),
            kind,
        }
    }

    pub(super) fn malformed(field: impl Into<String>, reason: impl Into<String>) -> AnswerProblem {
        AnswerProblem::new(field, ProblemKind::Malformed(reason.into()))
    }

    /// The question this problem is about, if it is about one.
    pub fn question(&self) -> Option<&str> {
        match self.kind {
            ProblemKind::Malformed(_) => None,
            _ => Some(&self.field),
        }
    }

    /// What is wrong, in English, for API clients and logs.
    pub fn reason(&self) -> String {
        match &self.kind {
            ProblemKind::Malformed(reason) => reason.clone(),
            ProblemKind::UnknownQuestion => {
                format!(
                    "\"{}\" is not a question of this survey",
                    shorten(&self.field, 70)
                )
            }
            ProblemKind::Hidden => {
                "this question is not shown for the answers given, so it cannot be answered".into()
            }
            ProblemKind::Required => "this question needs an answer".into(),
            ProblemKind::WrongType { expected } => format!("the answer must be {expected}"),
            ProblemKind::OutOfRange { min, max } => {
                format!("the answer must be a whole number from {min} to {max}")
            }
            ProblemKind::NotAnOption { value } => {
                format!(
                    "\"{}\" is not one of this question's options",
                    shorten(value, 70)
                )
            }
            ProblemKind::TooMany { max } => format!("choose at most {max} options"),
            ProblemKind::TooLong { max } => {
                format!("the text may be at most {max} characters long")
            }
            ProblemKind::Duplicate => "this question was answered more than once".into(),
        }
    }

    /// What is wrong, for the respondent, in their language.
    pub fn message(&self, locale: Locale) -> String {
        match (locale, &self.kind) {
            (Locale::En, _) => self.reason(),
            (Locale::ZhCn, ProblemKind::Required) => "请回答此问题。".into(),
            (Locale::ZhCn, ProblemKind::OutOfRange { min, max }) => {
                format!("请选择 {min} 到 {max} 之间的分数。")
            }
            (Locale::ZhCn, ProblemKind::TooMany { max }) => format!("最多选择 {max} 项。"),
            (Locale::ZhCn, ProblemKind::TooLong { max }) => format!("最多填写 {max} 个字。"),
            (Locale::ZhCn, ProblemKind::Hidden) => "根据您的其他回答，此问题无需填写。".into(),
            (Locale::ZhCn, ProblemKind::NotAnOption { .. }) => "请从选项中选择。".into(),
            (Locale::ZhCn, _) => format!("提交的内容有误：{}", self.reason()),
        }
    }
}

impl fmt::Display for AnswerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason())
    }
}

pub(super) fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max_chars).collect();
        short.push('…');
        short
    }
}
