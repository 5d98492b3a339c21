//! Running totals per survey per business day. Access patterns: UpdateItem `TOTALS#<survey>` /
//! `DAY#<date>` ADD the counts (inside the stream consumer's exactly-once transaction); Query
//! `pk = TOTALS#<survey> AND sk BETWEEN DAY#<from> AND DAY#<to>` for a range.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{from_item, Store};
use crate::domain::totals::DayCounts;
use crate::error::{Error, Result};
use crate::keys;

/// One stored day of totals.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DayTotals {
    pub survey_id: String,
    pub date: NaiveDate,
    #[serde(flatten)]
    pub counts: DayCounts,
}

impl Store {
    /// The write that adds `counts` to a survey's day (creating the day at zero first).
    pub fn add_to_day(
        &self,
        survey_id: &str,
        date: NaiveDate,
        counts: &DayCounts,
    ) -> Result<TransactWriteItem> {
        let key = keys::totals::day(survey_id, date);
        let n = |v: i64| AttributeValue::N(v.to_string());
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key.to_attributes()))
            .update_expression(
                "SET entity = :entity, survey_id = :survey, #date = :date \
                 ADD responses :responses, complete :complete, missed_changes :missed",
            )
            .expression_attribute_names("#date", "date")
            .expression_attribute_values(":entity", AttributeValue::S("day_totals".into()))
            .expression_attribute_values(":survey", AttributeValue::S(survey_id.into()))
            .expression_attribute_values(
                ":date",
                AttributeValue::S(date.format("%Y-%m-%d").to_string()),
            )
            .expression_attribute_values(":responses", n(counts.responses))
            .expression_attribute_values(":complete", n(counts.complete))
            .expression_attribute_values(":missed", n(counts.missed_changes))
            .build()
            .map_err(Error::upstream)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The stored days of a survey from `first` to `last` (both included), oldest first.
    pub async fn day_totals(
        &self,
        survey_id: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<DayTotals>> {
        let values = HashMap::from([
            (
                ":pk".to_string(),
                AttributeValue::S(keys::totals::partition(survey_id)),
            ),
            (
                ":first".to_string(),
                AttributeValue::S(keys::totals::day_sort(first)),
            ),
            (
                ":last".to_string(),
                AttributeValue::S(keys::totals::day_sort(last)),
            ),
        ]);
        let items = self
            .query_all(
                None,
                "pk = :pk AND sk BETWEEN :first AND :last",
                HashMap::new(),
                values,
                true,
            )
            .await?;
        items.into_iter().map(from_item).collect()
    }
}
