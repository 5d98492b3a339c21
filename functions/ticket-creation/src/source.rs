//! What a stored response or feedback item says, in the terms of the ticket rules: the
//! [`TicketSource`] the rules decide on, and the customer's attribution a ticket shows.

use chrono::{DateTime, Utc};
use closeloop::domain::attribution::{Attribution, Purpose};
use closeloop::domain::change::{Change, ResponseProgress};
use closeloop::domain::feedback::Feedback;
use closeloop::domain::response::SurveyResponse;
use closeloop::domain::survey::Answer;
use closeloop::domain::ticket::{FeedbackFacts, SourceRef, TicketSource};
use closeloop::stream::{ItemChange, StreamChange};

/// Who and what a response is about.
pub fn response_attribution(response: &SurveyResponse) -> Attribution {
    response.attribution.clone()
}

/// Who and what a feedback item is about.
pub fn feedback_attribution(feedback: &Feedback) -> Attribution {
    feedback.attribution.clone()
}

/// The facts of a response the rules look at.
pub fn response_source(response: &SurveyResponse) -> TicketSource {
    let attribution = response_attribution(response);
    let mut source = TicketSource::new(
        SourceRef::Response {
            id: response.response_id.clone(),
        },
        response.complete,
    );
    source.customer_segment = attribution.segment;
    source.dimension_scores = response
        .dimension_scores
        .iter()
        .map(|(dimension, score)| (dimension.as_str().to_string(), score.as_f64()))
        .collect();
    source.outcome = response.outcome;
    source.nps = response.nps;
    source.open_text = response.open_text.values().cloned().collect();
    source.chosen_options = response
        .answers
        .values()
        .flat_map(|answer| match answer {
            Answer::Choice(option) => vec![option.clone()],
            Answer::Choices(options) => options.clone(),
            Answer::Number(_) | Answer::Text(_) => Vec::new(),
        })
        .collect();
    source.callback_requested = response.callback.as_ref().is_some_and(|c| c.requested);
    source
}

/// The facts of a direct feedback item the rules look at.
pub fn feedback_source(feedback: &Feedback) -> TicketSource {
    let mut source = TicketSource::new(
        SourceRef::Feedback {
            id: feedback.feedback_id.as_str().to_string(),
        },
        true,
    );
    let attribution = feedback_attribution(feedback);
    source.customer_segment = attribution.segment;
    source.open_text = vec![feedback.text.clone()];
    source.feedback = Some(FeedbackFacts {
        channel: attribution.channel.unwrap_or_default(),
        category: Some(feedback.category.clone()),
        rating: feedback.rating,
    });
    source
}

/// A change that may need a ticket: what the rules look at, and about whom and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub source: TicketSource,
    pub customer_id: Option<String>,
    /// When this revision was written: the ticket's time for it, the same on every delivery.
    pub at: DateTime<Utc>,
    /// What the item said before this write (none for a first write): if that needed no
    /// ticket, there is almost surely none yet.
    pub before: Option<TicketSource>,
}

impl Answered {
    /// What `change` says for tickets; `None` when it says nothing new (a complete response
    /// written again, a removal, an entity tickets do not read).
    pub fn of(change: &StreamChange) -> Option<Answered> {
        match &change.item {
            ItemChange::Response(response) => match ResponseProgress::of(response) {
                ResponseProgress::Partial | ResponseProgress::BecameComplete => {
                    let new = response.new_item()?;
                    // The answer to a resolved ticket's follow-up is about that ticket (it may
                    // reopen it), never the start of another one.
                    if new.attribution.purpose == Purpose::TicketFollowUp {
                        return None;
                    }
                    Some(Answered {
                        source: response_source(new),
                        customer_id: response_attribution(new).customer_id,
                        at: new.updated_at,
                        before: response.old_item().map(response_source),
                    })
                }
                ResponseProgress::Unchanged | ResponseProgress::Removed => None,
            },
            ItemChange::Feedback(feedback @ (Change::Inserted(_) | Change::Modified { .. })) => {
                let new = feedback.new_item()?;
                Some(Answered {
                    source: feedback_source(new),
                    customer_id: feedback_attribution(new).customer_id,
                    at: new.created_at,
                    before: feedback.old_item().map(feedback_source),
                })
            }
            _ => None,
        }
    }
}
