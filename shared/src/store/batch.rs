//! Batched reads and writes (BatchGetItem, BatchWriteItem) with their unprocessed-item retries:
//! nothing the service hands back is dropped.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{KeysAndAttributes, PutRequest, WriteRequest};

use super::{Item, Store};
use crate::error::{Error, Result};
use crate::keys::Key;

/// BatchGetItem takes at most 100 keys; BatchWriteItem at most 25 requests.
const GET_CHUNK: usize = 100;
const WRITE_CHUNK: usize = 25;
/// Rounds of retrying what DynamoDB returned unprocessed (throttling) before giving up.
const UNPROCESSED_ROUNDS: u32 = 6;

fn key_of(item: &Item) -> Option<(String, String)> {
    Some((
        item.get("pk")?.as_s().ok()?.clone(),
        item.get("sk")?.as_s().ok()?.clone(),
    ))
}

impl Store {
    /// The items at `keys` (missing ones are absent from the map), strongly consistent.
    pub async fn batch_get(&self, keys: &[Key]) -> Result<HashMap<(String, String), Item>> {
        let mut found = HashMap::new();
        let mut unique: Vec<&Key> = Vec::new();
        for key in keys {
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        for chunk in unique.chunks(GET_CHUNK) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().map(|k| k.to_attributes()).collect()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| Error::Internal(format!("cannot build a batch read: {e}")))?,
            );
            let mut round = 0;
            while let Some(keys) = request.take() {
                let output = self
                    .client()
                    .batch_get_item()
                    .request_items(self.table(), keys)
                    .send()
                    .await
                    .map_err(Error::upstream)?;
                for item in output
                    .responses
                    .unwrap_or_default()
                    .remove(self.table())
                    .unwrap_or_default()
                {
                    if let Some(key) = key_of(&item) {
                        found.insert(key, item);
                    }
                }
                request = output
                    .unprocessed_keys
                    .unwrap_or_default()
                    .remove(self.table())
                    .filter(|k| !k.keys().is_empty());
                if request.is_some() {
                    round += 1;
                    if round > UNPROCESSED_ROUNDS {
                        return Err(Error::Upstream(
                            "BatchGetItem kept returning unprocessed keys".into(),
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(50 << round)).await;
                }
            }
        }
        Ok(found)
    }

    /// [`Store::batch_put`], answering the `id` attribute of each item left unwritten.
    pub(crate) async fn batch_put_ids(&self, items: Vec<Item>) -> Result<Vec<String>> {
        let left = self.batch_put(items).await?;
        Ok(left
            .into_iter()
            .filter_map(|item| item.get("id").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    /// Puts every item (unconditionally), 25 per request. Returns the items DynamoDB still
    /// had not processed after the retries, so the caller can report them; never drops one.
    pub async fn batch_put(&self, items: Vec<Item>) -> Result<Vec<Item>> {
        let mut left_over = Vec::new();
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let chunk: Vec<WriteRequest> = items
                .by_ref()
                .take(WRITE_CHUNK)
                .map(|item| {
                    Ok(WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(item)).build().map_err(
                            |e| Error::Internal(format!("cannot build a batch write: {e}")),
                        )?)
                        .build())
                })
                .collect::<Result<_>>()?;
            let mut pending = chunk;
            let mut round = 0;
            while !pending.is_empty() {
                let output = self
                    .client()
                    .batch_write_item()
                    .request_items(self.table(), pending)
                    .send()
                    .await
                    .map_err(Error::upstream)?;
                pending = output
                    .unprocessed_items
                    .unwrap_or_default()
                    .remove(self.table())
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                round += 1;
                if round > UNPROCESSED_ROUNDS {
                    left_over.extend(
                        pending
                            .into_iter()
                            .filter_map(|w| w.put_request.map(|p| p.item)),
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50 << round)).await;
            }
        }
        Ok(left_over)
    }
}

/// `(pk, sk)` of a key, as `batch_get` indexes its answer.
pub fn pair(key: &Key) -> (String, String) {
    (key.pk.clone(), key.sk.clone())
}
