//! What a set of answers scores, and what else a response carries: the call-back wish, the
//! open answers, the fingerprint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CALLBACK_CONTACT_QUESTION, CALLBACK_QUESTION, CALLBACK_TIME_QUESTION};
use crate::domain::survey::{Answer, Answers, DimensionId, QuestionId, QuestionKind, ValidSurvey};

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
///
/// The outcome and the index are kept apart: the outcome is the answer to the survey's outcome
/// question (overall satisfaction, CSAT's input); the index is built from the dimensions, which
/// the outcome question is never part of. Key-driver analysis relates the one to the others.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Scores {
    /// Average of the rating answers in each dimension that has at least one.
    pub dimensions: BTreeMap<DimensionId, f64>,
    /// The satisfaction index: the weighted mean of the dimension averages, over the dimensions
    /// that have answers.
    pub index: Option<f64>,
    /// The 1–5 answer to the outcome question, when the survey names one and it was answered.
    pub outcome: Option<u8>,
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
    let outcome = survey
        .outcome()
        .and_then(|question| match answers.get(&question.id) {
            Some(Answer::Number(n)) => Some(*n),
            _ => None,
        });
    Scores {
        index: (weights > 0.0).then(|| weighted / weights),
        outcome,
        dimensions,
        nps,
        nps_bucket: nps.map(NpsBucket::of),
    }
}

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
