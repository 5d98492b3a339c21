//! TransactWriteItems and the one reading of why DynamoDB cancelled one. Each write is labelled
//! by the caller with a value of its own type (`EventWrite::Invitation`, `ClaimWrite::Contact`,
//! …), so a refusal says which item refused as a type, not as an index to decode.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::Store;
use crate::error::{Error, Result};

/// How one write of a cancelled transaction fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Its condition held; it was cancelled only because another write failed.
    Passed,
    /// Its condition failed.
    Refused,
    /// Another transaction was changing the same item at the same time.
    Raced,
    /// Anything else, or the cancellation did not say.
    Unknown,
}

/// A cancelled transaction: each write's label with its fate, in the order written.
#[derive(Debug)]
pub(crate) struct Cancelled<W> {
    pub writes: Vec<(W, Fate)>,
    error: Error,
}

impl<W: Copy> Cancelled<W> {
    /// The first write whose condition failed.
    pub fn refused(&self) -> Option<W> {
        self.writes
            .iter()
            .find(|(_, fate)| *fate == Fate::Refused)
            .map(|(write, _)| *write)
    }

    /// Whether it lost a race with another transaction (worth trying again as it is).
    pub fn raced(&self) -> bool {
        self.writes.iter().any(|(_, fate)| *fate == Fate::Raced)
    }

    /// The service's answer, for a cancellation the caller cannot act on.
    pub fn into_error(self) -> Error {
        self.error
    }
}

/// Each write's fate from a TransactionCanceledException; `None` for any other failure.
/// DynamoDB lists the reasons in the order of the writes; if the count is off, none is trusted.
fn fates(err: &SdkError<TransactWriteItemsError>, count: usize) -> Option<Vec<Fate>> {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    else {
        return None;
    };
    let reasons = cancelled.cancellation_reasons();
    if reasons.len() != count {
        return Some(vec![Fate::Unknown; count]);
    }
    Some(
        reasons
            .iter()
            .map(|reason| match reason.code() {
                None | Some("None") => Fate::Passed,
                Some("ConditionalCheckFailed") => Fate::Refused,
                Some("TransactionConflict") => Fate::Raced,
                Some(_) => Fate::Unknown,
            })
            .collect(),
    )
}

impl Store {
    /// TransactWriteItems; `Ok(Err(cancelled))` with every write's fate if it was cancelled,
    /// any other failure `Upstream`.
    pub(crate) async fn transact_fates<W>(
        &self,
        writes: Vec<(W, TransactWriteItem)>,
    ) -> Result<std::result::Result<(), Cancelled<W>>> {
        let (labels, items): (Vec<W>, Vec<TransactWriteItem>) = writes.into_iter().unzip();
        let err = match self
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(Ok(())),
            Err(err) => err,
        };
        match fates(&err, labels.len()) {
            Some(fates) => Ok(Err(Cancelled {
                writes: labels.into_iter().zip(fates).collect(),
                error: Error::upstream(err),
            })),
            None => Err(Error::upstream(err)),
        }
    }

    /// TransactWriteItems; `Ok(Err(write))` names the first write whose condition refused.
    /// A cancellation for any other reason is `Upstream`.
    pub(crate) async fn transact<W: Copy>(
        &self,
        writes: Vec<(W, TransactWriteItem)>,
    ) -> Result<std::result::Result<(), W>> {
        match self.transact_fates(writes).await? {
            Ok(()) => Ok(Ok(())),
            Err(cancelled) => match cancelled.refused() {
                Some(write) => Ok(Err(write)),
                None => Err(cancelled.into_error()),
            },
        }
    }
}
