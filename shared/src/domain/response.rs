//! Answers to a survey: decoding what a browser or a client sends, validating it against the
//! survey version it answers, scoring it, and the response record that is stored exactly once.
//!
//! Pure rules: no I/O, no async, no clock (`now` comes in).
//!
//! Two wire forms reach [`decode_form`] and [`decode_json`]:
//!
//! - `application/x-www-form-urlencoded`, as the survey page posts it: one field per question,
//!   named by the question id (`sr_first_response=4`), repeated for a multiple-choice question
//!   (`improve_most=staff_training&improve_most=other`); fields starting with `_` are the form's
//!   own (`_shown`, the questions the page showed; `_nonce`, the anonymous form's one-time id;
//!   `_version`, the survey version the anonymous form showed).
//! - JSON: `{"answers": {"sr_first_response": 4, "repurchase": "probably",
//!   "improve_most": ["other"], "improve_text": "…"}}` plus optional `"nonce"` and `"version"`.
//!
//! Blank values (an empty text box, `null`) are *missing*, never zero: missing answers are not
//! stored as answers and do not count in any score.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::survey::{
    visible_questions, Answer, Answers, DimensionId, Locale, QuestionId, QuestionKind, ValidSurvey,
};

/// Largest body `POST /s/{token}`, `POST /q/{surveyId}` and `POST /feedback` accept.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most fields one form post may carry (the longest survey has 60 questions, each choice of a
/// multiple-choice question is a field).
pub const MAX_FIELDS: usize = 400;
/// Question id of the "may we call you back?" single choice (option `yes`).
pub const CALLBACK_QUESTION: &str = "callback";
/// Question id of the preferred time for the call back.
pub const CALLBACK_TIME_QUESTION: &str = "callback_time";
/// Question id of the contact for the call back, when a survey asks for one.
pub const CALLBACK_CONTACT_QUESTION: &str = "callback_contact";

// ---------------------------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------------------------

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

    fn malformed(field: impl Into<String>, reason: impl Into<String>) -> AnswerProblem {
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

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max_chars).collect();
        short.push('…');
        short
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// A decoded submission: the answers given (blank ones dropped) and the form's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Submission {
    pub answers: Answers,
    /// The questions the page showed (`_shown`); `None` for JSON clients.
    pub shown: Option<BTreeSet<QuestionId>>,
    /// The anonymous form's one-time id.
    pub nonce: Option<String>,
    /// The survey version an anonymous form showed.
    pub version: Option<u32>,
}

/// Decodes `application/x-www-form-urlencoded` bytes against the survey's questions.
///
/// Refuses bad percent-encoding, invalid UTF-8, unknown fields, values of the wrong type,
/// out-of-range numbers, unknown options and repeated single answers. Never panics.
pub fn decode_form(body: &[u8], survey: &ValidSurvey) -> Result<Submission, AnswerProblem> {
    let mut submission = Submission::default();
    let mut raw: BTreeMap<QuestionId, Vec<String>> = BTreeMap::new();
    let mut fields = 0usize;
    for pair in body.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(AnswerProblem::malformed(
                "body",
                format!("the form has more than {MAX_FIELDS} fields"),
            ));
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &b""[..]),
        };
        let name = form_decode(name).map_err(|reason| AnswerProblem::malformed("body", reason))?;
        let value = form_decode(value)
            .map_err(|reason| AnswerProblem::malformed(shorten(&name, 70), reason))?;
        match name.as_str() {
            "_shown" => {
                let mut shown = BTreeSet::new();
                for id in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if let Some(question) = survey.question(id) {
                        shown.insert(question.id.clone());
                    }
                }
                submission.shown = Some(shown);
            }
            "_nonce" => submission.nonce = Some(value),
            "_version" => {
                submission.version = Some(value.trim().parse().map_err(|_| {
                    AnswerProblem::malformed(
                        "_version",
                        "the survey version must be a whole number",
                    )
                })?);
            }
            _ if name.starts_with('_') => {
                return Err(AnswerProblem::malformed(
                    shorten(&name, 70),
                    "this form field is not part of the survey form",
                ))
            }
            _ => {
                let Some(question) = survey.question(&name) else {
                    return Err(AnswerProblem::new(
                        shorten(&name, 70),
                        ProblemKind::UnknownQuestion,
                    ));
                };
                raw.entry(question.id.clone()).or_default().push(value);
            }
        }
    }
    for (id, values) in raw {
        let kind = &survey.question(id.as_str()).expect("looked up above").kind;
        if let Some(answer) = form_answer(&id, kind, values)? {
            submission.answers.insert(id, answer);
        }
    }
    Ok(submission)
}

/// One question's form values as an answer; `None` when blank.
fn form_answer(
    id: &QuestionId,
    kind: &QuestionKind,
    values: Vec<String>,
) -> Result<Option<Answer>, AnswerProblem> {
    let problem = |kind| AnswerProblem::new(id.as_str(), kind);
    if !matches!(kind, QuestionKind::MultipleChoice { .. }) && values.len() > 1 {
        return Err(problem(ProblemKind::Duplicate));
    }
    match kind {
        QuestionKind::Rating { .. } | QuestionKind::Nps => {
            let text = values[0].trim();
            if text.is_empty() {
                return Ok(None);
            }
            let range = kind.numeric_range().expect("numeric question");
            let out_of_range = || {
                problem(ProblemKind::OutOfRange {
                    min: *range.start(),
                    max: *range.end(),
                })
            };
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(out_of_range());
            }
            let number: u8 = text.parse().map_err(|_| out_of_range())?;
            Ok(Some(Answer::Number(number)))
        }
        QuestionKind::SingleChoice { .. } => {
            let text = values[0].trim();
            Ok((!text.is_empty()).then(|| Answer::Choice(text.to_string())))
        }
        QuestionKind::MultipleChoice { .. } => {
            let choices: Vec<String> = values
                .iter()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect();
            Ok((!choices.is_empty()).then_some(Answer::Choices(choices)))
        }
        QuestionKind::OpenText { .. } => {
            let text = normalise_text(&values[0]);
            Ok((!text.is_empty()).then_some(Answer::Text(text)))
        }
    }
}

/// Trims, unifies line ends and drops control characters other than newline and tab.
fn normalise_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// `+` is a space, `%XX` a byte; the result must be UTF-8.
fn form_decode(bytes: &[u8]) -> Result<String, String> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(high), Some(low)) => out.push((high * 16 + low) as u8),
                    _ => {
                        return Err(
                            "the form is not correctly URL-encoded (a % must be followed by two hex digits)"
                                .into(),
                        )
                    }
                }
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "the form is not valid UTF-8 text".into())
}

/// Decodes a JSON submission against the survey's questions. Never panics.
pub fn decode_json(body: &[u8], survey: &ValidSurvey) -> Result<Submission, AnswerProblem> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AnswerProblem::malformed("body", "the body is not valid UTF-8"))?;
    if text.trim().is_empty() {
        return Err(AnswerProblem::malformed("body", "a JSON body is required"));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        AnswerProblem::malformed("body", format!("the body is not valid JSON: {e}"))
    })?;
    let serde_json::Value::Object(mut top) = value else {
        return Err(AnswerProblem::malformed(
            "body",
            "the body must be a JSON object like {\"answers\": {…}}",
        ));
    };
    let mut submission = Submission::default();
    match top.remove("nonce") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(nonce)) => submission.nonce = Some(nonce),
        Some(_) => return Err(AnswerProblem::malformed("nonce", "must be a string")),
    }
    match top.remove("version") {
        None | Some(serde_json::Value::Null) => {}
        Some(version) => {
            submission.version = Some(
                version
                    .as_u64()
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| AnswerProblem::malformed("version", "must be a whole number"))?,
            )
        }
    }
    let answers = match top.remove("answers") {
        Some(serde_json::Value::Object(answers)) => answers,
        Some(_) => {
            return Err(AnswerProblem::malformed(
                "answers",
                "must be an object of question id → answer",
            ))
        }
        None => {
            return Err(AnswerProblem::malformed(
                "answers",
                "is required: {\"answers\": {\"question_id\": answer, …}}",
            ))
        }
    };
    if let Some(unknown) = top.keys().next() {
        return Err(AnswerProblem::malformed(
            shorten(unknown, 70),
            "unknown field; the body takes \"answers\" and optionally \"nonce\" and \"version\"",
        ));
    }
    for (name, value) in answers {
        let Some(question) = survey.question(&name) else {
            return Err(AnswerProblem::new(
                shorten(&name, 70),
                ProblemKind::UnknownQuestion,
            ));
        };
        if let Some(answer) = json_answer(&question.id, &question.kind, value)? {
            submission.answers.insert(question.id.clone(), answer);
        }
    }
    Ok(submission)
}

fn json_answer(
    id: &QuestionId,
    kind: &QuestionKind,
    value: serde_json::Value,
) -> Result<Option<Answer>, AnswerProblem> {
    use serde_json::Value;
    let wrong = |expected| AnswerProblem::new(id.as_str(), ProblemKind::WrongType { expected });
    if value.is_null() {
        return Ok(None);
    }
    match kind {
        QuestionKind::Rating { .. } | QuestionKind::Nps => {
            let range = kind.numeric_range().expect("numeric question");
            let out_of_range = AnswerProblem::new(
                id.as_str(),
                ProblemKind::OutOfRange {
                    min: *range.start(),
                    max: *range.end(),
                },
            );
            let Value::Number(number) = value else {
                return Err(wrong("a whole number"));
            };
            let Some(number) = number.as_u64() else {
                return Err(out_of_range);
            };
            let number = u8::try_from(number).map_err(|_| out_of_range)?;
            Ok(Some(Answer::Number(number)))
        }
        QuestionKind::SingleChoice { .. } => match value {
            Value::String(text) => {
                let text = text.trim();
                Ok((!text.is_empty()).then(|| Answer::Choice(text.to_string())))
            }
            _ => Err(wrong("an option id (a string)")),
        },
        QuestionKind::MultipleChoice { .. } => {
            let Value::Array(items) = value else {
                return Err(wrong("a list of option ids"));
            };
            let mut choices = Vec::with_capacity(items.len());
            for item in items {
                let Value::String(text) = item else {
                    return Err(wrong("a list of option ids"));
                };
                let text = text.trim();
                if !text.is_empty() {
                    choices.push(text.to_string());
                }
            }
            Ok((!choices.is_empty()).then_some(Answer::Choices(choices)))
        }
        QuestionKind::OpenText { .. } => match value {
            Value::String(text) => {
                let text = normalise_text(&text);
                Ok((!text.is_empty()).then_some(Answer::Text(text)))
            }
            _ => Err(wrong("text (a string)")),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// One-tap rating
// ---------------------------------------------------------------------------------------------

/// The question a one-tap rating (`?r=N` in the message) answers: the first always-shown rating
/// question of the `overall` dimension, else the first always-shown rating question, else the
/// first always-shown NPS question.
pub fn one_tap_question(survey: &ValidSurvey) -> Option<&super::survey::Question> {
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

// ---------------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------------

/// Net Promoter bucket of a 0–10 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NpsBucket {
    /// 9–10.
    Promoter,
    /// 7–8.
    Passive,
    /// 0–6.
    Detractor,
}

impl NpsBucket {
    pub fn of(score: u8) -> NpsBucket {
        match score {
            9.. => NpsBucket::Promoter,
            7..=8 => NpsBucket::Passive,
            _ => NpsBucket::Detractor,
        }
    }
}

/// What a set of answers scores. Missing answers count nowhere (never as zero).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Scores {
    /// Average of the rating answers in each dimension that has at least one.
    pub dimensions: BTreeMap<DimensionId, f64>,
    /// Weighted mean of the dimension averages, over the dimensions that have answers.
    pub overall: Option<f64>,
    pub nps: Option<u8>,
    pub nps_bucket: Option<NpsBucket>,
}

pub fn score(survey: &ValidSurvey, answers: &Answers) -> Scores {
    let mut sums: BTreeMap<&DimensionId, (u32, u32)> = BTreeMap::new();
    let mut nps = None;
    for question in survey.questions() {
        let Some(Answer::Number(n)) = answers.get(&question.id) else {
            continue;
        };
        match &question.kind {
            QuestionKind::Rating {
                dimension: Some(dimension),
                ..
            } => {
                let entry = sums.entry(dimension).or_default();
                entry.0 += u32::from(*n);
                entry.1 += 1;
            }
            QuestionKind::Nps if nps.is_none() => nps = Some(*n),
            _ => {}
        }
    }
    let dimensions: BTreeMap<DimensionId, f64> = sums
        .into_iter()
        .map(|(d, (sum, count))| (d.clone(), f64::from(sum) / f64::from(count)))
        .collect();
    let (mut weighted, mut weights) = (0.0, 0.0);
    for dimension in survey.dimensions() {
        if let Some(average) = dimensions.get(&dimension.id) {
            weighted += dimension.weight * average;
            weights += dimension.weight;
        }
    }
    Scores {
        overall: (weights > 0.0).then(|| weighted / weights),
        dimensions,
        nps,
        nps_bucket: nps.map(NpsBucket::of),
    }
}

// ---------------------------------------------------------------------------------------------
// Call back, open text
// ---------------------------------------------------------------------------------------------

/// "May we call you back?" as the respondent answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub requested: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// The call-back wish from the `callback` (`yes`/`no`), `callback_time` and `callback_contact`
/// answers; `None` when the respondent did not answer `callback`.
pub fn callback(answers: &Answers) -> Option<Callback> {
    let text = |id: &str| match answers.get(id) {
        Some(Answer::Text(text)) => Some(text.clone()),
        _ => None,
    };
    match answers.get(CALLBACK_QUESTION)? {
        Answer::Choice(choice) => {
            let requested = choice == "yes";
            Some(Callback {
                requested,
                preferred_time: text(CALLBACK_TIME_QUESTION).filter(|_| requested),
                contact: text(CALLBACK_CONTACT_QUESTION).filter(|_| requested),
            })
        }
        _ => None,
    }
}

/// The free-text answers (what to improve, what disappointed), without the call-back details.
pub fn open_text(answers: &Answers) -> BTreeMap<QuestionId, String> {
    answers
        .iter()
        .filter(|(id, _)| {
            id.as_str() != CALLBACK_TIME_QUESTION && id.as_str() != CALLBACK_CONTACT_QUESTION
        })
        .filter_map(|(id, answer)| match answer {
            Answer::Text(text) => Some((id.clone(), text.clone())),
            _ => None,
        })
        .collect()
}

/// A stable digest of a set of answers: equal answers, equal fingerprint. Used to tell a
/// replay of the same answers from a different second submission.
pub fn fingerprint(answers: &Answers) -> String {
    let canonical = serde_json::to_string(answers).expect("answers serialise");
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// The response record
// ---------------------------------------------------------------------------------------------

/// Who and what a response is about: from the invitation's link, or from the anonymous form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Respondent {
    pub invitation_id: Option<String>,
    pub customer_id: Option<String>,
    pub channel: String,
    pub segment: Option<String>,
    pub agent: Option<String>,
    pub store: Option<String>,
    pub service_type: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// One stored response (entity `response`). Ticket creation and reports read these from the
/// table's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyResponse {
    /// The invitation id, or `q-<nonce hash>` for an anonymous answer.
    pub response_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
    pub survey_id: String,
    pub survey_version: u32,
    pub locale: Locale,
    pub anonymous: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    pub answers: Answers,
    /// Visible optional questions left unanswered (missing, not zero).
    #[serde(default)]
    pub missing: Vec<QuestionId>,
    #[serde(default)]
    pub dimension_scores: BTreeMap<DimensionId, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps_bucket: Option<NpsBucket>,
    #[serde(default)]
    pub open_text: BTreeMap<QuestionId, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
    /// False for a one-tap rating not yet followed by the rest of the form.
    pub complete: bool,
    /// [`fingerprint`] of `answers`.
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// When the first answer (or the one-tap rating) arrived.
    pub created_at: DateTime<Utc>,
    /// When the response became complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Retention TTL, epoch seconds.
    pub expires_at: i64,
}

/// Builds the response for checked answers. `created_at` is `now` for a new response and the
/// first answer's time when a one-tap response is completed.
#[allow(clippy::too_many_arguments)]
pub fn build_response(
    response_id: String,
    survey_id: &str,
    survey_version: u32,
    survey: &ValidSurvey,
    locale: Locale,
    respondent: Respondent,
    checked: CheckedAnswers,
    completeness: Completeness,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    retention_days: u32,
) -> SurveyResponse {
    let scores = score(survey, &checked.answers);
    let complete = completeness == Completeness::Complete;
    SurveyResponse {
        response_id,
        anonymous: respondent.customer_id.is_none(),
        invitation_id: respondent.invitation_id,
        survey_id: survey_id.to_string(),
        survey_version,
        locale,
        customer_id: respondent.customer_id,
        channel: respondent.channel,
        segment: respondent.segment,
        agent: respondent.agent,
        store: respondent.store,
        service_type: respondent.service_type,
        fingerprint: fingerprint(&checked.answers),
        callback: callback(&checked.answers),
        open_text: open_text(&checked.answers),
        missing: if complete {
            checked.missing
        } else {
            Vec::new()
        },
        answers: checked.answers,
        dimension_scores: scores.dimensions,
        overall_score: scores.overall,
        nps: scores.nps,
        nps_bucket: scores.nps_bucket,
        complete,
        sent_at: respondent.sent_at,
        created_at,
        submitted_at: complete.then_some(now),
        updated_at: now,
        expires_at: retention_expiry(now, retention_days),
    }
}

pub use super::timekeeping::retention_expiry;

#[cfg(test)]
mod tests;
