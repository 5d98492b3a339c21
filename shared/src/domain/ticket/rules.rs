//! What needs a ticket, and why.
//!
//! [`TicketRules`] are the admin's settings (JSON, versioned); [`TicketSource`] is what the
//! ticket handler reads off a stored response or feedback item; [`decide`] gives the reasons a
//! ticket is needed, in words a person can read. No reason, no ticket.
//!
//! Defaults: a dimension averaging ≤ 2, the outcome (the overall-satisfaction answer, 1–5)
//! ≤ 2, NPS ≤ 6, a complaint word in the open text, a call-back request, any direct feedback
//! that is a complaint, a product, service or operations matter or a suggestion, a direct
//! feedback rated ≤ 2, and any safety, legal or media word. Each threshold can be turned off
//! with `null`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::words::{self, Haystack};
use super::{score_text, settings_from_json, Level, SourceRef};
use crate::domain::customer::Segment;
use crate::domain::feedback;
use crate::error::Error;

/// The settings deciding which answers and feedback need a ticket, and which are urgent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TicketRules {
    /// Increases with every change an admin saves; stored on each ticket it classified.
    pub version: u32,
    /// A dimension averaging at most this (1–5) needs a ticket.
    pub dimension_max: Option<f64>,
    /// An outcome (overall-satisfaction answer, 1–5) of at most this needs a ticket.
    pub outcome_max: Option<u8>,
    /// An NPS answer (0–10) of at most this needs a ticket.
    pub nps_max: Option<u8>,
    /// An NPS answer of at most this is a complaint (level 2); above it, up to `nps_max`, a
    /// minor issue (level 3).
    pub nps_complaint_max: u8,
    /// Words in the open text that mean a complaint (see the module `words` for matching).
    pub complaint_words: Vec<String>,
    /// Whether a call-back request alone needs a ticket.
    pub callback: bool,
    /// Direct-feedback categories that always need a ticket.
    pub feedback_categories: Vec<String>,
    /// A direct feedback rated (1–5) at most this needs a ticket.
    pub feedback_rating_max: Option<u8>,
    pub urgent: UrgentRules,
}

/// What makes a ticket urgent (level 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UrgentRules {
    /// Customer segments treated as valuable, besides customers flagged high-value.
    pub valuable_segments: Vec<String>,
    /// A valuable customer's outcome, dimension or feedback rating at most this is urgent.
    pub score_max: f64,
    /// Safety, legal and media words: urgent whoever writes them.
    pub words: Vec<String>,
}

impl Default for TicketRules {
    fn default() -> TicketRules {
        TicketRules {
            version: 1,
            dimension_max: Some(2.0),
            outcome_max: Some(2),
            nps_max: Some(6),
            nps_complaint_max: 3,
            complaint_words: words::list(&[
                // zh-CN
                "投诉",
                "差评",
                "退款",
                "退货",
                "骗",
                "欺诈",
                "态度差",
                "态度恶劣",
                "太慢",
                "太差",
                "垃圾",
                "失望",
                "不满意",
                "再也不",
                "维权",
                "敷衍",
                "推诿",
                "没人管",
                "没人理",
                "坑人",
                // en
                "complain*",
                "refund*",
                "terrible",
                "awful",
                "horrible",
                "rude",
                "never again",
                "worst",
                "scam*",
                "fraud*",
                "disappointed",
                "disappointing",
                "unacceptable",
                "useless",
                "rip-off",
                "ripoff",
                "cheated",
                "waste of money",
            ]),
            callback: true,
            feedback_categories: words::list(&[
                "complaint",
                "product",
                "service",
                "operations",
                "suggestion",
            ]),
            feedback_rating_max: Some(2),
            urgent: UrgentRules::default(),
        }
    }
}

impl Default for UrgentRules {
    /// `安全` alone is not a default word: "很安全" (very safe) is praise. Its risky forms are.
    fn default() -> UrgentRules {
        UrgentRules {
            valuable_segments: words::list(&["vip"]),
            score_max: 1.5,
            words: words::list(&[
                // zh-CN: safety
                "安全隐患",
                "安全问题",
                "不安全",
                "起火",
                "着火",
                "失火",
                "爆炸",
                "冒烟",
                "漏电",
                "触电",
                "受伤",
                "烫伤",
                "烧伤",
                "中毒",
                // zh-CN: legal and regulators
                "律师",
                "起诉",
                "法院",
                "诉讼",
                "打官司",
                "12315",
                "消协",
                "消费者协会",
                "市场监管",
                // zh-CN: media
                "媒体",
                "曝光",
                "记者",
                "上新闻",
                // en: safety
                "fire",
                "caught fire",
                "smoke",
                "smoking",
                "explod*",
                "explosion",
                "electric shock",
                "electrocut*",
                "injur*",
                "burn*",
                "unsafe",
                "hazard*",
                // en: legal and media
                "lawyer*",
                "attorney*",
                "sue",
                "suing",
                "lawsuit*",
                "legal action",
                "court",
                "media",
                "journalist*",
                "reporter*",
            ]),
        }
    }
}

impl TicketRules {
    /// Parses and checks the JSON settings; a missing field takes its default, an error names
    /// the field.
    pub fn from_json(text: &str) -> Result<TicketRules, Error> {
        let rules: TicketRules = settings_from_json("ticket_rules", text)?;
        rules.check()?;
        Ok(rules)
    }

    /// Checks ranges and lists; the error names the field and what to write instead.
    pub fn check(&self) -> Result<(), Error> {
        if let Some(max) = self.dimension_max {
            if !(1.0..=5.0).contains(&max) {
                return Err(Error::invalid(
                    "dimension_max",
                    "a dimension average from 1 to 5, or null to turn the rule off",
                ));
            }
        }
        for (field, value, range) in [
            ("outcome_max", self.outcome_max, 1..=5),
            ("nps_max", self.nps_max, 0..=10),
            ("nps_complaint_max", Some(self.nps_complaint_max), 0..=10),
            ("feedback_rating_max", self.feedback_rating_max, 1..=5),
        ] {
            if value.is_some_and(|v| !range.contains(&v)) {
                return Err(Error::invalid(
                    field,
                    format!(
                        "a whole number from {} to {}, or null to turn the rule off",
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        if !(1.0..=5.0).contains(&self.urgent.score_max) {
            return Err(Error::invalid("urgent.score_max", "a score from 1 to 5"));
        }
        words::check_list("complaint_words", &self.complaint_words)?;
        words::check_list("urgent.words", &self.urgent.words)?;
        for (i, category) in self.feedback_categories.iter().enumerate() {
            if !feedback::CATEGORIES.contains(&category.as_str()) {
                return Err(Error::invalid(
                    format!("feedback_categories[{i}]"),
                    format!("use one of {}", feedback::CATEGORIES.join(", ")),
                ));
            }
        }
        for (i, segment) in self.urgent.valuable_segments.iter().enumerate() {
            Segment::parse(segment).map_err(|reason| {
                Error::invalid(format!("urgent.valuable_segments[{i}]"), reason)
            })?;
        }
        Ok(())
    }

    /// How urgent one reason is on its own.
    fn urgency(&self, reason: &Reason) -> Level {
        match reason {
            Reason::RiskWord { .. } | Reason::ValuableCustomer { .. } => Level::One,
            Reason::LowDimension { .. }
            | Reason::LowOutcome { .. }
            | Reason::ComplaintWord { .. }
            | Reason::LowFeedbackRating { .. } => Level::Two,
            Reason::LowNps { score, .. } if *score <= self.nps_complaint_max => Level::Two,
            Reason::LowNps { .. } | Reason::CallbackRequested => Level::Three,
            Reason::DirectFeedback { category, .. } => match category.as_deref() {
                Some("suggestion" | "praise") => Level::Three,
                _ => Level::Two,
            },
        }
    }

    /// The ticket's level from its reasons: the most urgent of them, and a call-back request
    /// with a low NPS is a complaint (level 2) rather than a minor issue.
    pub fn level(&self, reasons: &[Reason]) -> Level {
        let most_urgent = reasons
            .iter()
            .map(|r| self.urgency(r))
            .min()
            .unwrap_or(Level::Three);
        let callback_with_low_score = reasons.contains(&Reason::CallbackRequested)
            && reasons.iter().any(|r| matches!(r, Reason::LowNps { .. }));
        if callback_with_low_score {
            most_urgent.min(Level::Two)
        } else {
            most_urgent
        }
    }
}

/// What the ticket handler reads off a stored response or feedback item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketSource {
    pub source: SourceRef,
    /// False for a one-tap rating still waiting for the full form.
    pub complete: bool,
    /// `new`, `returning` or `vip`, when the customer is known.
    pub customer_segment: Option<String>,
    pub high_value: bool,
    /// Dimension id → average of its answered rating questions (1–5).
    pub dimension_scores: BTreeMap<String, f64>,
    /// The overall-satisfaction question's answer, 1–5.
    pub outcome: Option<u8>,
    /// The NPS answer, 0–10.
    pub nps: Option<u8>,
    /// Every free text: open answers, or the feedback's text.
    pub open_text: Vec<String>,
    /// Ids of the options chosen in choice questions (e.g. `staff_training`).
    pub chosen_options: Vec<String>,
    pub callback_requested: bool,
    /// Set for direct feedback.
    pub feedback: Option<FeedbackFacts>,
}

/// The facts of a direct feedback item that rules look at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeedbackFacts {
    pub channel: String,
    pub category: Option<String>,
    pub rating: Option<u8>,
}

impl TicketSource {
    /// A source with no scores, text or wishes yet, for the handler to fill in.
    pub fn new(source: SourceRef, complete: bool) -> TicketSource {
        TicketSource {
            source,
            complete,
            customer_segment: None,
            high_value: false,
            dimension_scores: BTreeMap::new(),
            outcome: None,
            nps: None,
            open_text: Vec::new(),
            chosen_options: Vec::new(),
            callback_requested: false,
            feedback: None,
        }
    }

    /// Whether the customer counts as valuable under `rules`.
    pub fn valuable(&self, rules: &UrgentRules) -> bool {
        self.high_value
            || self
                .customer_segment
                .as_deref()
                .is_some_and(|s| rules.valuable_segments.iter().any(|v| v == s.trim()))
    }

    /// Finite dimension scores within 1–5; anything else is ignored rather than trusted.
    pub(crate) fn dimensions(&self) -> impl Iterator<Item = (&String, f64)> {
        self.dimension_scores
            .iter()
            .map(|(d, s)| (d, *s))
            .filter(|(_, s)| s.is_finite() && (1.0..=5.0).contains(s))
    }

    fn outcome(&self) -> Option<u8> {
        self.outcome.filter(|o| (1..=5).contains(o))
    }

    fn nps(&self) -> Option<u8> {
        self.nps.filter(|n| *n <= 10)
    }

    fn feedback_rating(&self) -> Option<u8> {
        self.feedback
            .as_ref()
            .and_then(|f| f.rating)
            .filter(|r| (1..=5).contains(r))
    }

    /// The lowest of the scores a valuable customer's urgency looks at: (what, score).
    /// Ties go to the outcome, then dimensions by id, then the feedback rating.
    fn lowest_score(&self) -> Option<(String, f64)> {
        let outcome = self
            .outcome()
            .map(|o| ("outcome".to_string(), f64::from(o)));
        let dimensions = self
            .dimensions()
            .map(|(d, s)| (format!("dimension {d}"), s));
        let rating = self
            .feedback_rating()
            .map(|r| ("feedback rating".to_string(), f64::from(r)));
        outcome.into_iter().chain(dimensions).chain(rating).fold(
            None,
            |lowest: Option<(String, f64)>, (what, score)| match lowest {
                Some((_, low)) if low <= score => lowest,
                _ => Some((what, score)),
            },
        )
    }
}

/// Why a ticket is needed (or urgent), as stored on the ticket; `Display` reads as a sentence
/// fragment, e.g. `dimension service_response 1.7 ≤ 2` or `complaint word '退款'`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    RiskWord {
        word: String,
    },
    ValuableCustomer {
        /// `vip customer` or `high-value customer`.
        customer: String,
        /// The score that was very low, e.g. `outcome` or `dimension value`.
        score_of: String,
        score: f64,
        max: f64,
    },
    LowDimension {
        dimension: String,
        score: f64,
        max: f64,
    },
    LowOutcome {
        score: u8,
        max: u8,
    },
    LowNps {
        score: u8,
        max: u8,
    },
    ComplaintWord {
        word: String,
    },
    CallbackRequested,
    DirectFeedback {
        channel: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
    },
    LowFeedbackRating {
        rating: u8,
        max: u8,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::RiskWord { word } => write!(f, "safety, legal or media word '{word}'"),
            Reason::ValuableCustomer {
                customer,
                score_of,
                score,
                max,
            } => write!(
                f,
                "{customer} with {score_of} {} ≤ {}",
                score_text(*score),
                score_text(*max)
            ),
            Reason::LowDimension {
                dimension,
                score,
                max,
            } => write!(
                f,
                "dimension {dimension} {} ≤ {}",
                score_text(*score),
                score_text(*max)
            ),
            Reason::LowOutcome { score, max } => write!(f, "outcome {score} ≤ {max}"),
            Reason::LowNps { score, max } => write!(f, "NPS {score} ≤ {max}"),
            Reason::ComplaintWord { word } => write!(f, "complaint word '{word}'"),
            Reason::CallbackRequested => write!(f, "the customer asked for a call back"),
            Reason::DirectFeedback { channel, category } => match category {
                Some(category) => write!(f, "direct feedback ({category}) by {channel}"),
                None => write!(f, "direct feedback by {channel}"),
            },
            Reason::LowFeedbackRating { rating, max } => {
                write!(f, "feedback rating {rating} ≤ {max}")
            }
        }
    }
}

/// The reasons `source` needs a ticket under `rules`, urgent ones first; empty when it needs
/// none.
pub fn decide(source: &TicketSource, rules: &TicketRules) -> Vec<Reason> {
    let text = Haystack::new(&source.open_text);
    let mut reasons: Vec<Reason> = text
        .found(&rules.urgent.words)
        .into_iter()
        .map(|word| Reason::RiskWord {
            word: word.to_string(),
        })
        .collect();
    if source.valuable(&rules.urgent) {
        if let Some((score_of, score)) = source.lowest_score() {
            if score <= rules.urgent.score_max {
                let customer = if source.high_value {
                    "high-value customer".to_string()
                } else {
                    format!(
                        "{} customer",
                        source
                            .customer_segment
                            .as_deref()
                            .unwrap_or("valuable")
                            .trim()
                    )
                };
                reasons.push(Reason::ValuableCustomer {
                    customer,
                    score_of,
                    score,
                    max: rules.urgent.score_max,
                });
            }
        }
    }
    if let Some(max) = rules.dimension_max {
        reasons.extend(source.dimensions().filter(|(_, score)| *score <= max).map(
            |(dimension, score)| Reason::LowDimension {
                dimension: dimension.clone(),
                score,
                max,
            },
        ));
    }
    if let (Some(score), Some(max)) = (source.outcome(), rules.outcome_max) {
        if score <= max {
            reasons.push(Reason::LowOutcome { score, max });
        }
    }
    if let (Some(score), Some(max)) = (source.nps(), rules.nps_max) {
        if score <= max {
            reasons.push(Reason::LowNps { score, max });
        }
    }
    reasons.extend(text.found(&rules.complaint_words).into_iter().map(|word| {
        Reason::ComplaintWord {
            word: word.to_string(),
        }
    }));
    if source.callback_requested && rules.callback {
        reasons.push(Reason::CallbackRequested);
    }
    if let Some(facts) = &source.feedback {
        let category = facts
            .category
            .as_deref()
            .map(|c| c.trim().to_ascii_lowercase());
        if category
            .as_deref()
            .is_some_and(|c| rules.feedback_categories.iter().any(|f| f == c))
        {
            reasons.push(Reason::DirectFeedback {
                channel: facts.channel.clone(),
                category,
            });
        }
        if let (Some(rating), Some(max)) = (source.feedback_rating(), rules.feedback_rating_max) {
            if rating <= max {
                reasons.push(Reason::LowFeedbackRating { rating, max });
            }
        }
    }
    reasons
}
