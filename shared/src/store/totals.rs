//! Running totals per survey, business day and breakdown value (see `domain::report`).
//! Access patterns:
//! - UpdateItem `TOTALS#<survey>` / `DAY#<date>[#<breakdown>=<value>]` `ADD` the counters, inside
//!   the stream consumer's exactly-once transaction; the day's item for everyone also counts
//!   its writes (`v`), which a rebuild checks.
//! - Query `pk = TOTALS#<survey> AND sk BETWEEN DAY#<from> AND DAY#<to>~`: a range, every slot.
//! - The same on `TICKET_TOTALS` for ticket figures.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::NaiveDate;

use super::Store;
use crate::domain::report::slots::{Breakdown, Contributions, Slot};
use crate::domain::report::sums::Totals;
use crate::error::{Error, Result};
use crate::keys;

/// The attribute counting the writes to a day's item for everyone.
pub const WRITES: &str = "v";

/// One stored slot of totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTotals {
    pub slot: Slot,
    pub totals: Totals,
    /// Writes so far (the day's item for everyone only).
    pub writes: i64,
}

impl Store {
    /// The write that adds `totals` to one slot of `partition` (creating it at zero first).
    pub fn add_totals(
        &self,
        partition: &str,
        slot: &Slot,
        totals: &Totals,
    ) -> Result<TransactWriteItem> {
        let key = keys::totals::slot(partition, slot);
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut adds = Vec::new();
        let mut counters = totals.counters();
        if slot.group.is_none() {
            counters.insert(WRITES.into(), 1);
        }
        for (i, (name, value)) in counters.into_iter().enumerate() {
            names.insert(format!("#{i:x}"), name);
            values.insert(format!(":{i:x}"), AttributeValue::N(value.to_string()));
            adds.push(format!("#{i:x} :{i:x}"));
        }
        let (sets, labels) = slot_labels(partition, slot);
        for (name, value) in labels {
            names.insert(format!("#{name}"), name.to_string());
            values.insert(format!(":{name}"), AttributeValue::S(value));
        }
        let mut expression = format!("SET {sets}");
        if !adds.is_empty() {
            expression.push_str(" ADD ");
            expression.push_str(&adds.join(", "));
        }
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key.to_attributes()))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(Error::upstream)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Every stored slot of `partition` from `first` to `last` (business days, both included),
    /// by one paged Query.
    pub async fn totals_range(
        &self,
        partition: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<StoredTotals>> {
        let values = HashMap::from([
            (":pk".to_string(), AttributeValue::S(partition.to_string())),
            (
                ":first".to_string(),
                AttributeValue::S(keys::totals::day_sort(first)),
            ),
            (
                ":last".to_string(),
                AttributeValue::S(keys::totals::day_end_sort(last)),
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
        items.into_iter().map(read_slot).collect()
    }
}

/// The SET clause and the string attributes that say what a slot is.
fn slot_labels(partition: &str, slot: &Slot) -> (String, Vec<(&'static str, String)>) {
    let mut labels = vec![
        ("entity", "day_totals".to_string()),
        ("totals_of", partition.to_string()),
        ("date", slot.day.format("%Y-%m-%d").to_string()),
    ];
    if let Some((breakdown, value)) = &slot.group {
        labels.push(("breakdown", breakdown.as_str().to_string()));
        labels.push(("value", value.clone()));
    }
    let sets = labels
        .iter()
        .map(|(name, _)| format!("#{name} = :{name}"))
        .collect::<Vec<_>>()
        .join(", ");
    (sets, labels)
}

fn read_slot(item: HashMap<String, AttributeValue>) -> Result<StoredTotals> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    };
    let bad = |what: &str| Error::Internal(format!("a stored totals item {what}"));
    let day = text("date")
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .ok_or_else(|| bad("has no date"))?;
    let group = match (text("breakdown"), text("value")) {
        (Some(b), Some(v)) => Some((
            Breakdown::parse(&b).ok_or_else(|| bad("has an unknown breakdown"))?,
            v,
        )),
        _ => None,
    };
    let numbers: Vec<(&str, i64)> = item
        .iter()
        .filter_map(|(name, value)| match value {
            AttributeValue::N(n) => n.parse().ok().map(|n| (name.as_str(), n)),
            _ => None,
        })
        .collect();
    let writes = numbers
        .iter()
        .find(|(name, _)| *name == WRITES)
        .map_or(0, |(_, n)| *n);
    Ok(StoredTotals {
        slot: Slot { day, group },
        totals: Totals::from_counters(numbers),
        writes,
    })
}

/// Writes of one day's rebuild, by what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RebuildWrite {
    /// The day's item for everyone (or the check that it is unchanged).
    Day,
    Group,
}

impl Store {
    /// Replaces one day's slots of `partition` with `recomputed`, keeping from `stored` what
    /// answers do not make (invitation counts) and deleting stored slots no longer there; only
    /// if the day's item for everyone has had no write since `stored` was read (its `v`).
    /// `Ok(false)` if it has: read and recompute again.
    pub async fn replace_day(
        &self,
        partition: &str,
        day: NaiveDate,
        stored: &[StoredTotals],
        recomputed: &Contributions,
    ) -> Result<bool> {
        use super::write::{n, Condition, Guard, NewItem};
        use aws_sdk_dynamodb::types::{ConditionCheck, Delete};

        let day_slot = Slot { day, group: None };
        let stored_day = stored.iter().find(|s| s.slot == day_slot);
        let guard = |condition: &mut Condition| match stored_day {
            Some(day) => condition.eq(WRITES, n(day.writes)),
            None => condition.absent("pk"),
        };
        let mut slots: Vec<Slot> = recomputed.keys().cloned().collect();
        for old in stored {
            if !recomputed.contains_key(&old.slot) {
                slots.push(old.slot.clone());
            }
        }
        if !slots.contains(&day_slot) {
            slots.push(day_slot.clone());
        }
        // The day's own item first, so the first transaction carries the guard on it.
        slots.sort_by_key(|slot| slot.group.is_some());
        let mut writes = Vec::new();
        for slot in &slots {
            let old = stored.iter().find(|s| &s.slot == slot);
            let totals = Totals::rebuilt(recomputed.get(slot), old.map(|s| &s.totals));
            let key = keys::totals::slot(partition, slot);
            let is_day = slot.group.is_none();
            if totals.is_zero() && !is_day {
                let delete = Delete::builder()
                    .table_name(self.table())
                    .set_key(Some(key.to_attributes()))
                    .build()
                    .map_err(Error::upstream)?;
                writes.push((
                    RebuildWrite::Group,
                    TransactWriteItem::builder().delete(delete).build(),
                ));
                continue;
            }
            let mut item = key.to_attributes();
            let (_, labels) = slot_labels(partition, slot);
            for (name, value) in labels {
                item.insert(name.to_string(), AttributeValue::S(value));
            }
            for (name, value) in totals.counters() {
                item.insert(name, AttributeValue::N(value.to_string()));
            }
            if is_day {
                let writes_so_far = stored_day.map_or(0, |d| d.writes);
                item.insert(WRITES.into(), AttributeValue::N(writes_so_far.to_string()));
                let put = NewItem::put(item).when(guard);
                writes.push((RebuildWrite::Day, put.write(self.table())));
            } else {
                writes.push((RebuildWrite::Group, NewItem::put(item).write(self.table())));
            }
        }
        let day_key = keys::totals::slot(partition, &day_slot);
        let mut first = true;
        for chunk in writes.chunks(99) {
            let mut batch = chunk.to_vec();
            if !first {
                let mut condition = Condition::default();
                let clause = guard(&mut condition);
                let check = ConditionCheck::builder()
                    .table_name(self.table())
                    .set_key(Some(day_key.to_attributes()))
                    .condition_expression(clause)
                    .set_expression_attribute_names(condition.names())
                    .set_expression_attribute_values(condition.values())
                    .build()
                    .map_err(Error::upstream)?;
                batch.push((
                    RebuildWrite::Day,
                    TransactWriteItem::builder().condition_check(check).build(),
                ));
            }
            first = false;
            if self.transact(batch).await?.is_err() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
