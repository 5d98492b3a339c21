//! The two wire forms of a submission: the survey form and JSON.

use std::collections::{BTreeMap, BTreeSet};

use super::problem::shorten;
use super::{AnswerProblem, ProblemKind, MAX_FIELDS};
use crate::domain::survey::{Answer, Answers, QuestionId, QuestionKind, ValidSurvey};

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
    crate::domain::json::check_json(text)
        .map_err(|problem| AnswerProblem::malformed(problem.field, problem.reason))?;
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
