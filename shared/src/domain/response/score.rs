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

/// The exact parts of a dimension's score in one response: the sum of its rating answers and
/// how many there were. Reports add these (integers, so exactly) and divide once, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    pub sum: u32,
    pub count: u32,
}

impl Tally {
    /// The average, `None` for an empty tally.
    pub fn average(self) -> Option<FixedScore> {
        (self.count > 0).then(|| FixedScore::ratio(u64::from(self.sum), u64::from(self.count)))
    }
}

/// A score on a fixed decimal scale: a whole number of ten-thousandths (1.85 is 18 500), so the
/// stored number is the decimal it reads as (`1.85`, never `1.8499999999999999`) and sums of
/// scores are exact. Serialized as that decimal number; reading any number rounds it to four
/// places (so items stored as binary floats read as what they meant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FixedScore(u32);

impl FixedScore {
    /// Ten-thousandths per unit.
    pub const SCALE: u32 = 10_000;

    pub fn from_ten_thousandths(units: u32) -> FixedScore {
        FixedScore(units)
    }

    pub fn ten_thousandths(self) -> u32 {
        self.0
    }

    /// `numerator / denominator`, rounded half up to four places.
    pub fn ratio(numerator: u64, denominator: u64) -> FixedScore {
        let scaled = (numerator * u64::from(Self::SCALE) * 2 + denominator) / (denominator * 2);
        FixedScore(u32::try_from(scaled).unwrap_or(u32::MAX))
    }

    /// The nearest score to `value` (negative and non-finite values are 0).
    pub fn from_f64(value: f64) -> FixedScore {
        let scaled = (value * f64::from(Self::SCALE)).round();
        if scaled.is_finite() && scaled > 0.0 {
            FixedScore(scaled.min(f64::from(u32::MAX)) as u32)
        } else {
            FixedScore(0)
        }
    }

    /// For comparisons and display; the nearest binary float to the decimal.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / f64::from(Self::SCALE)
    }
}

impl From<u8> for FixedScore {
    fn from(score: u8) -> FixedScore {
        FixedScore(u32::from(score) * Self::SCALE)
    }
}

impl std::fmt::Display for FixedScore {
    /// The decimal with no trailing zeros: `4`, `1.85`, `2.3333`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, part) = (self.0 / Self::SCALE, self.0 % Self::SCALE);
        if part == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{part:04}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl Serialize for FixedScore {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The shortest float that reads back as this one is the four-place decimal itself,
        // so JSON and DynamoDB (a decimal number type) hold exactly `1.85`.
        serializer.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for FixedScore {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FixedScore, D::Error> {
        f64::deserialize(deserializer).map(FixedScore::from_f64)
    }
}

/// What a set of answers scores. Missing answers count nowhere (never as zero).
///
/// The outcome and the index are kept apart: the outcome is the answer to the survey's outcome
/// question (overall satisfaction, CSAT's input); the index is built from the dimensions, which
/// the outcome question is never part of. Key-driver analysis relates the one to the others.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Scores {
    /// The sum and count of the rating answers in each dimension that has at least one.
    pub dimensions: BTreeMap<DimensionId, Tally>,
    /// The satisfaction index: the weighted mean of the dimension averages, over the dimensions
    /// that have answers, on the fixed scale.
    pub index: Option<FixedScore>,
    /// The 1–5 answer to the outcome question, when the survey names one and it was answered.
    pub outcome: Option<u8>,
    pub nps: Option<u8>,
    pub nps_bucket: Option<NpsBucket>,
}

impl Scores {
    /// Each dimension's average, on the fixed scale.
    pub fn dimension_averages(&self) -> BTreeMap<DimensionId, FixedScore> {
        averages(&self.dimensions)
    }
}

/// The average of each tally that has answers.
pub fn averages(tallies: &BTreeMap<DimensionId, Tally>) -> BTreeMap<DimensionId, FixedScore> {
    tallies
        .iter()
        .filter_map(|(d, tally)| tally.average().map(|average| (d.clone(), average)))
        .collect()
}

pub fn score(survey: &ValidSurvey, answers: &Answers) -> Scores {
    let mut sums: BTreeMap<&DimensionId, Tally> = BTreeMap::new();
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
                entry.sum += u32::from(*n);
                entry.count += 1;
            }
            QuestionKind::Nps if nps.is_none() => nps = Some(*n),
            _ => {}
        }
    }
    let dimensions: BTreeMap<DimensionId, Tally> = sums
        .into_iter()
        .map(|(d, tally)| (d.clone(), tally))
        .collect();
    // The index from the exact averages (sum / count), rounded once, at the end.
    let (mut weighted, mut weights) = (0.0, 0.0);
    for dimension in survey.dimensions() {
        if let Some(tally) = dimensions.get(&dimension.id).filter(|t| t.count > 0) {
            weighted += dimension.weight * f64::from(tally.sum) / f64::from(tally.count);
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
        index: (weights > 0.0).then(|| FixedScore::from_f64(weighted / weights)),
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
