//! Conditional writes, built one way. A [`Change`] is one UpdateItem (or the Update of a
//! transaction) and a [`NewItem`] one PutItem (or Put); both carry a [`Condition`], whose
//! clauses and placeholders are generated, never hand-spelled per call. A state machine's
//! transition becomes its condition and its change through [`Change::transition`], so the
//! allowed from-states are written once, in the domain.
//!
//! A condition that refuses is an answer, not an error: [`Store::apply`] and
//! [`Store::put_if`] return `Ok(false)`.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::{timestamp, Item, Store};
use crate::domain::transition::{State, Transition};
use crate::error::{Error, Result};
use crate::keys::Key;

/// The attribute every state machine's item keeps its state in.
pub(crate) const STATE: &str = "state";

/// A string value.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number value.
pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A time value, as the table stores times.
pub(crate) fn t(time: DateTime<Utc>) -> AttributeValue {
    AttributeValue::S(timestamp(time))
}

/// The clauses of a condition (all must hold) with their placeholders. Names are `#<attribute>`;
/// values are numbered, so two clauses never clash.
#[derive(Debug, Clone, Default)]
pub(crate) struct Condition {
    clauses: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Condition {
    /// The placeholder of an attribute name.
    pub fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!("#{attribute}");
        self.names
            .entry(placeholder.clone())
            .or_insert_with(|| attribute.to_string());
        placeholder
    }

    /// A fresh placeholder holding `value`.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    pub fn eq(&mut self, attribute: &str, value: AttributeValue) -> String {
        format!("{} = {}", self.name(attribute), self.value(value))
    }

    pub fn le(&mut self, attribute: &str, value: AttributeValue) -> String {
        format!("{} <= {}", self.name(attribute), self.value(value))
    }

    pub fn lt(&mut self, attribute: &str, value: AttributeValue) -> String {
        format!("{} < {}", self.name(attribute), self.value(value))
    }

    /// `attribute` is one of `values` (at least one).
    pub fn one_of(
        &mut self,
        attribute: &str,
        values: impl IntoIterator<Item = AttributeValue>,
    ) -> String {
        let placeholders: Vec<String> = values.into_iter().map(|v| self.value(v)).collect();
        assert!(!placeholders.is_empty(), "one_of needs at least one value");
        if placeholders.len() == 1 {
            format!("{} = {}", self.name(attribute), placeholders[0])
        } else {
            format!("{} IN ({})", self.name(attribute), placeholders.join(", "))
        }
    }

    pub fn exists(&mut self, attribute: &str) -> String {
        format!("attribute_exists({})", self.name(attribute))
    }

    pub fn absent(&mut self, attribute: &str) -> String {
        format!("attribute_not_exists({})", self.name(attribute))
    }

    /// The item is in a state `transition` may start from.
    pub fn state<T: Transition>(&mut self, transition: T) -> String {
        self.one_of(
            STATE,
            transition
                .allowed_from()
                .iter()
                .map(|state| s(state.as_str())),
        )
    }

    /// Any of `clauses` holds.
    pub fn any(clauses: Vec<String>) -> String {
        format!("({})", clauses.join(" OR "))
    }

    fn expression(&self) -> Option<String> {
        (!self.clauses.is_empty()).then(|| self.clauses.join(" AND "))
    }

    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub(crate) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// Something that writes under a [`Condition`]; the `if_*` methods add clauses to it.
pub(crate) trait Guard: Sized {
    fn condition(&mut self) -> &mut Condition;

    /// Adds a clause built from the condition's placeholders.
    fn when(mut self, clause: impl FnOnce(&mut Condition) -> String) -> Self {
        let condition = self.condition();
        let clause = clause(condition);
        condition.clauses.push(clause);
        self
    }

    fn if_eq(self, attribute: &str, value: AttributeValue) -> Self {
        self.when(|c| c.eq(attribute, value))
    }

    fn if_exists(self, attribute: &str) -> Self {
        self.when(|c| c.exists(attribute))
    }

    fn if_absent(self, attribute: &str) -> Self {
        self.when(|c| c.absent(attribute))
    }

    /// Only from the states `transition` may start from.
    fn if_state<T: Transition>(self, transition: T) -> Self {
        self.when(|c| c.state(transition))
    }
}

/// One conditional UpdateItem: what it sets and removes, and the condition it needs.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    key: Key,
    set: Vec<String>,
    remove: Vec<String>,
    condition: Condition,
}

impl Guard for Change {
    fn condition(&mut self) -> &mut Condition {
        &mut self.condition
    }
}

impl Change {
    pub fn on(key: Key) -> Self {
        Change {
            key,
            set: Vec::new(),
            remove: Vec::new(),
            condition: Condition::default(),
        }
    }

    pub fn set(mut self, attribute: &str, value: AttributeValue) -> Self {
        let clause = self.condition.eq(attribute, value);
        self.set.push(clause);
        self
    }

    /// Sets `attribute` unless it already has a value (the first one is kept).
    pub fn set_if_absent(mut self, attribute: &str, value: AttributeValue) -> Self {
        let name = self.condition.name(attribute);
        let value = self.condition.value(value);
        self.set
            .push(format!("{name} = if_not_exists({name}, {value})"));
        self
    }

    pub fn increment(mut self, attribute: &str, by: u32) -> Self {
        let name = self.condition.name(attribute);
        let value = self.condition.value(n(by));
        self.set.push(format!("{name} = {name} + {value}"));
        self
    }

    /// Counts one up, from 0 when the attribute is absent.
    pub fn count_up(mut self, attribute: &str) -> Self {
        let name = self.condition.name(attribute);
        let zero = self.condition.value(n(0));
        let one = self.condition.value(n(1));
        self.set
            .push(format!("{name} = if_not_exists({name}, {zero}) + {one}"));
        self
    }

    pub fn remove(mut self, attribute: &str) -> Self {
        let name = self.condition.name(attribute);
        self.remove.push(name);
        self
    }

    /// A state machine's move: only from its allowed states, into the state it leads to.
    pub fn transition<T: Transition>(self, transition: T) -> Self {
        let change = self.if_state(transition);
        match transition.leads_to() {
            Some(to) => change.set(STATE, s(to.as_str())),
            None => change,
        }
    }

    fn expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.set.is_empty() {
            parts.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            parts.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        assert!(!parts.is_empty(), "a change sets or removes something");
        parts.join(" ")
    }

    /// The Update of a transaction.
    pub fn update(self, table: &str) -> Update {
        Update::builder()
            .table_name(table)
            .set_key(Some(self.key.to_attributes()))
            .update_expression(self.expression())
            .set_condition_expression(self.condition.expression())
            .set_expression_attribute_names(self.condition.names())
            .set_expression_attribute_values(self.condition.values())
            .build()
            .expect("table, key and expression are set")
    }

    pub fn write(self, table: &str) -> TransactWriteItem {
        TransactWriteItem::builder()
            .update(self.update(table))
            .build()
    }
}

/// One PutItem of a whole item, under a condition.
#[derive(Debug, Clone)]
pub(crate) struct NewItem {
    item: Item,
    condition: Condition,
}

impl Guard for NewItem {
    fn condition(&mut self) -> &mut Condition {
        &mut self.condition
    }
}

impl NewItem {
    /// A Put; add the condition with the `if_*` methods.
    pub fn put(item: Item) -> Self {
        NewItem {
            item,
            condition: Condition::default(),
        }
    }

    /// A Put only where no item exists yet: what makes a create or a record exactly-once.
    pub fn if_new(item: Item) -> Self {
        NewItem::put(item).if_absent("pk")
    }

    pub fn into_put(self, table: &str) -> Put {
        Put::builder()
            .table_name(table)
            .set_item(Some(self.item))
            .set_condition_expression(self.condition.expression())
            .set_expression_attribute_names(self.condition.names())
            .set_expression_attribute_values(self.condition.values())
            .build()
            .expect("table and item are set")
    }

    pub fn write(self, table: &str) -> TransactWriteItem {
        TransactWriteItem::builder()
            .put(self.into_put(table))
            .build()
    }
}

/// A conditional write's outcome: `Ok(true)` written, `Ok(false)` refused by its condition.
pub(crate) fn written<T, E, R>(result: std::result::Result<T, SdkError<E, R>>) -> Result<bool>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(err)
            if err.as_service_error().and_then(ProvideErrorMetadata::code)
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(err) => Err(Error::upstream(err)),
    }
}

impl Store {
    /// UpdateItem; `Ok(false)` if its condition refused.
    pub(crate) async fn apply(&self, change: Change) -> Result<bool> {
        let update = change.update(self.table());
        let result = self
            .client()
            .update_item()
            .table_name(update.table_name)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .send()
            .await;
        written(result)
    }

    /// PutItem; `Ok(false)` if its condition refused.
    pub(crate) async fn put_if(&self, new: NewItem) -> Result<bool> {
        let put = new.into_put(self.table());
        let result = self
            .client()
            .put_item()
            .table_name(put.table_name)
            .set_item(Some(put.item))
            .set_condition_expression(put.condition_expression)
            .set_expression_attribute_names(put.expression_attribute_names)
            .set_expression_attribute_values(put.expression_attribute_values)
            .send()
            .await;
        written(result)
    }

    /// PutItem where no item exists yet; `Ok(false)` if one does.
    pub(crate) async fn put_if_absent(&self, item: Item) -> Result<bool> {
        self.put_if(NewItem::if_new(item)).await
    }

    /// The Put of a new item (refused if one exists), for a transaction.
    pub(crate) fn put_new(&self, item: Item) -> TransactWriteItem {
        NewItem::if_new(item).write(self.table())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invitation::InvitationTransition;

    fn key() -> Key {
        Key {
            pk: "INV#1".into(),
            sk: "INV".into(),
        }
    }

    #[test]
    fn a_transition_needs_its_from_states_and_sets_its_target() {
        let update = Change::on(key())
            .transition(InvitationTransition::Expire)
            .remove("due_pk")
            .update("t");
        assert_eq!(update.condition_expression(), Some("#state IN (:v0, :v1)"));
        assert_eq!(
            update.update_expression(),
            "SET #state = :v2 REMOVE #due_pk"
        );
        let values = update.expression_attribute_values().unwrap();
        assert_eq!(values[":v0"], s("sent"));
        assert_eq!(values[":v1"], s("reminded"));
        assert_eq!(values[":v2"], s("expired"));
        assert_eq!(
            update.expression_attribute_names().unwrap()["#state"],
            "state"
        );
    }

    #[test]
    fn a_transition_that_keeps_the_state_only_checks_it() {
        let update = Change::on(key())
            .transition(InvitationTransition::DeferSend)
            .set("due_at", s("2026-11-21T09:00:00Z"))
            .update("t");
        assert_eq!(update.condition_expression(), Some("#state = :v0"));
        assert_eq!(update.update_expression(), "SET #due_at = :v1");
        assert_eq!(
            update.expression_attribute_values().unwrap()[":v0"],
            s("scheduled")
        );
    }

    #[test]
    fn clauses_share_placeholders_without_clashing() {
        let update = Change::on(key())
            .increment("attempts", 1)
            .set_if_absent("opted_out_at", s("now"))
            .if_eq("claim", s("c-1"))
            .when(|c| {
                let absent = c.absent("last_invited_at");
                let le = c.le("last_invited_at", s("cut"));
                Condition::any(vec![absent, le])
            })
            .update("t");
        assert_eq!(
            update.update_expression(),
            "SET #attempts = #attempts + :v0, #opted_out_at = if_not_exists(#opted_out_at, :v1)"
        );
        assert_eq!(
            update.condition_expression(),
            Some(
                "#claim = :v2 AND (attribute_not_exists(#last_invited_at) OR #last_invited_at <= :v3)"
            )
        );
        assert_eq!(update.expression_attribute_values().unwrap().len(), 4);
    }

    #[test]
    fn a_new_item_is_refused_where_one_exists() {
        let put = NewItem::if_new(key().to_attributes()).into_put("t");
        assert_eq!(
            put.condition_expression(),
            Some("attribute_not_exists(#pk)")
        );
        assert_eq!(put.expression_attribute_names().unwrap()["#pk"], "pk");
        assert!(
            put.expression_attribute_values().is_none(),
            "no empty value map"
        );
        let plain = NewItem::put(key().to_attributes()).into_put("t");
        assert!(plain.condition_expression().is_none());
        assert!(plain.expression_attribute_names().is_none());
    }
}
