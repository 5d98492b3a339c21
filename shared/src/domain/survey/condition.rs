//! `show_if` conditions: when a question is shown.

use std::fmt;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{shorten, OptionId, QuestionId};

/// A numeric comparison for rating and NPS answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Ge => "ge",
            CompareOp::Gt => "gt",
        }
    }

    /// `answer <op> value`.
    pub fn holds(self, answer: i64, value: i64) -> bool {
        match self {
            CompareOp::Lt => answer < value,
            CompareOp::Le => answer <= value,
            CompareOp::Eq => answer == value,
            CompareOp::Ne => answer != value,
            CompareOp::Ge => answer >= value,
            CompareOp::Gt => answer > value,
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a question is shown. JSON forms:
///
/// - `{"question": "q3", "op": "le", "value": 3}` — ops `lt`, `le`, `eq`, `ne`, `ge`, `gt`
///   on a rating or NPS answer;
/// - `{"question": "callback", "op": "is", "value": "yes"}` — that option is selected;
/// - `{"question": "x", "op": "answered"}` — the question is visible and has a non-empty answer;
/// - `{"all": [ … ]}` / `{"any": [ … ]}` — every / some condition holds.
///
/// A comparison on an unanswered or hidden question is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCondition", into = "RawCondition")]
pub enum Condition {
    Compare {
        question: QuestionId,
        op: CompareOp,
        value: i64,
    },
    Is {
        question: QuestionId,
        option: OptionId,
    },
    Answered {
        question: QuestionId,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl Condition {
    /// The question a comparison looks at; `None` for `all`/`any`.
    pub fn question(&self) -> Option<&QuestionId> {
        match self {
            Condition::Compare { question, .. }
            | Condition::Is { question, .. }
            | Condition::Answered { question } => Some(question),
            Condition::All(_) | Condition::Any(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
    Is,
    Answered,
}

const OPS: &str = "lt, le, eq, ne, ge, gt, is, answered";

#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a condition object: {\"question\": …, \"op\": …, \"value\": …}, {\"all\": […]} or {\"any\": […]}"
)]
struct RawCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    question: Option<QuestionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    op: Option<Op>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<RawValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    all: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any: Option<Vec<Condition>>,
}

/// The `value` of a condition: a whole number or an option id.
enum RawValue {
    Number(i64),
    Text(String),
}

impl Serialize for RawValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RawValue::Number(n) => serializer.serialize_i64(*n),
            RawValue::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawValue, D::Error> {
        struct ValueVisitor;

        impl Visitor<'_> for ValueVisitor {
            type Value = RawValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number or an option id")
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<RawValue, E> {
                Ok(RawValue::Number(n))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<RawValue, E> {
                i64::try_from(n)
                    .map(RawValue::Number)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(n), &self))
            }

            fn visit_f64<E: de::Error>(self, n: f64) -> Result<RawValue, E> {
                // Some formats (DynamoDB numbers) may hand whole numbers over as floats.
                if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Ok(RawValue::Number(n as i64))
                } else {
                    Err(E::invalid_value(Unexpected::Float(n), &self))
                }
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<RawValue, E> {
                Ok(RawValue::Text(text.to_string()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<RawValue, E> {
                Ok(RawValue::Text(text))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

impl TryFrom<RawCondition> for Condition {
    type Error = String;

    fn try_from(raw: RawCondition) -> Result<Condition, String> {
        let comparison = raw.question.is_some() || raw.op.is_some() || raw.value.is_some();
        match (comparison, raw.all, raw.any) {
            (false, Some(all), None) => return Ok(Condition::All(all)),
            (false, None, Some(any)) => return Ok(Condition::Any(any)),
            (false, None, None) => {
                return Err(
                    "empty condition: write {\"question\": …, \"op\": …, \"value\": …}, {\"all\": […]} or {\"any\": […]}"
                        .into(),
                )
            }
            (true, None, None) => {}
            _ => {
                return Err("a condition is either a comparison {\"question\", \"op\", \"value\"} or one group {\"all\": […]} / {\"any\": […]}; this one mixes them — wrap them in \"all\" or \"any\" instead".into())
            }
        }
        let Some(question) = raw.question else {
            return Err(
                "condition is missing \"question\" (the id of the question it looks at)".into(),
            );
        };
        let Some(op) = raw.op else {
            return Err(format!(
                "condition on question \"{question}\" is missing \"op\" (one of {OPS})"
            ));
        };
        let compare = match op {
            Op::Lt => CompareOp::Lt,
            Op::Le => CompareOp::Le,
            Op::Eq => CompareOp::Eq,
            Op::Ne => CompareOp::Ne,
            Op::Ge => CompareOp::Ge,
            Op::Gt => CompareOp::Gt,
            Op::Answered => {
                return match raw.value {
                    None => Ok(Condition::Answered { question }),
                    Some(_) => Err(format!(
                        "condition on question \"{question}\": op \"answered\" takes no \"value\""
                    )),
                }
            }
            Op::Is => {
                return match raw.value {
                    Some(RawValue::Text(text)) => match OptionId::try_from(text) {
                        Ok(option) => Ok(Condition::Is { question, option }),
                        Err(e) => Err(format!("condition on question \"{question}\": {e}")),
                    },
                    Some(RawValue::Number(n)) => Err(format!(
                        "condition on question \"{question}\": op \"is\" takes an option id as \"value\" (like \"yes\"), not the number {n}; use lt, le, eq, ne, ge or gt to compare numbers"
                    )),
                    None => Err(format!(
                        "condition on question \"{question}\": op \"is\" needs the option id as \"value\""
                    )),
                }
            }
        };
        match raw.value {
            Some(RawValue::Number(value)) => Ok(Condition::Compare {
                question,
                op: compare,
                value,
            }),
            Some(RawValue::Text(text)) => Err(format!(
                "condition on question \"{question}\": op \"{compare}\" compares numbers, so \"value\" must be a whole number, not \"{}\"; use \"is\" to test for a selected option",
                shorten(&text, 40)
            )),
            None => Err(format!(
                "condition on question \"{question}\": op \"{compare}\" needs a numeric \"value\""
            )),
        }
    }
}

impl From<Condition> for RawCondition {
    fn from(condition: Condition) -> RawCondition {
        let mut raw = RawCondition {
            question: None,
            op: None,
            value: None,
            all: None,
            any: None,
        };
        match condition {
            Condition::Compare {
                question,
                op,
                value,
            } => {
                raw.question = Some(question);
                raw.op = Some(match op {
                    CompareOp::Lt => Op::Lt,
                    CompareOp::Le => Op::Le,
                    CompareOp::Eq => Op::Eq,
                    CompareOp::Ne => Op::Ne,
                    CompareOp::Ge => Op::Ge,
                    CompareOp::Gt => Op::Gt,
                });
                raw.value = Some(RawValue::Number(value));
            }
            Condition::Is { question, option } => {
                raw.question = Some(question);
                raw.op = Some(Op::Is);
                raw.value = Some(RawValue::Text(option.into_string()));
            }
            Condition::Answered { question } => {
                raw.question = Some(question);
                raw.op = Some(Op::Answered);
            }
            Condition::All(all) => raw.all = Some(all),
            Condition::Any(any) => raw.any = Some(any),
        }
        raw
    }
}
