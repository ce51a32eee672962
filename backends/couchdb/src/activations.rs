//! Activation records in `<prefix>activations`: the document shape, the records queued for
//! the bulk writer, and the queries.
//!
//! A record is one document, id `namespace/activationId`:
//! `{"_id", "namespace", "name": <filter name>, "start", "activationId",
//!   "record": <the stored Activation JSON with empty logs>, "logs": [...]}`.
//! The `by_start` and `by_name` views emit `record` as their value, so summaries
//! (`docs=false`) come from the index alone and never read the logs; `docs=true` reads the
//! documents (`include_docs`) for the logs.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use gust_core::activation::Activation;
use gust_core::ids::ActivationId;
use gust_core::store::{ActivationQuery, ActivationStore, Durable, StoreError};
use parking_lot::Mutex;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value, json};

use crate::CouchStore;
use crate::client::Request;
use crate::error::CouchError;
use crate::schema::{ACTIVATIONS_BY_NAME, ACTIVATIONS_BY_START, couch_id};
use crate::view::{self, Range};

/// Records queued for the bulk writer and not yet durable, by (namespace, id): `get` answers
/// from here first (read your writes).
#[derive(Debug, Default)]
pub(crate) struct Pending(Mutex<HashMap<(String, ActivationId), Arc<Activation>>>);

impl Pending {
    /// Remembers `a` (the first record of an id wins, as in the store).
    pub(crate) fn insert(&self, a: &Arc<Activation>) {
        self.0.lock().entry((a.namespace.clone(), a.activation_id)).or_insert_with(|| a.clone());
    }

    fn get(&self, namespace: &str, id: ActivationId) -> Option<Activation> {
        self.0.lock().get(&(namespace.to_owned(), id)).map(|a| (**a).clone())
    }

    /// Forgets records once they are durable (or failed for good).
    pub(crate) fn remove<'a>(&self, records: impl IntoIterator<Item = &'a Arc<Activation>>) {
        let mut map = self.0.lock();
        for a in records {
            map.remove(&(a.namespace.clone(), a.activation_id));
        }
    }

    /// How many records are queued.
    pub(crate) fn len(&self) -> usize {
        self.0.lock().len()
    }
}

/// The Gust id of a record: `namespace/activationId`.
pub(crate) fn doc_id(namespace: &str, id: ActivationId) -> String {
    format!("{namespace}/{id}")
}

/// A record encoded for `_bulk_docs`.
#[derive(Debug)]
pub(crate) struct Encoded {
    /// The CouchDB `_id`.
    pub(crate) cid: String,
    /// The document's JSON.
    pub(crate) json: Vec<u8>,
}

/// Encodes `a` as its document.
pub(crate) fn encode(a: &Activation) -> Result<Encoded, CouchError> {
    let mut record = serde_json::to_value(a)?;
    let logs = match &mut record {
        Value::Object(fields) => fields.insert("logs".into(), Value::Array(Vec::new())).unwrap_or_default(),
        _ => return Err(CouchError::Encode("an activation did not encode as a JSON object".into())),
    };
    let cid = couch_id(&doc_id(&a.namespace, a.activation_id)).into_owned();
    let doc = json!({
        "_id": cid,
        "namespace": a.namespace,
        "name": a.filter_name(),
        "start": a.start,
        "activationId": a.activation_id,
        "record": record,
        "logs": logs,
    });
    Ok(Encoded { json: serde_json::to_vec(&doc)?, cid })
}

/// A stored record, as read with its logs.
#[derive(Deserialize)]
struct Stored {
    record: Activation,
    #[serde(default)]
    logs: Vec<String>,
}

impl Stored {
    fn into_activation(self) -> Activation {
        let mut a = self.record;
        a.logs = self.logs;
        a
    }
}

/// The view serving `q` and its key range; `None` when no record can match (`since > upto`).
fn plan(q: &ActivationQuery) -> Option<(&'static str, Range)> {
    if let (Some(since), Some(upto)) = (q.since, q.upto)
        && since > upto
    {
        return None;
    }
    let mut low = vec![json!(q.namespace)];
    let view = match &q.name {
        Some(name) => {
            low.push(json!(name));
            ACTIVATIONS_BY_NAME
        }
        None => ACTIVATIONS_BY_START,
    };
    let mut high = low.clone();
    if let Some(since) = q.since {
        low.push(json!(since));
    }
    // `{}` sorts after every number and string: the end of the range.
    match q.upto {
        Some(upto) => high.extend([json!(upto), json!({})]),
        None => high.push(Value::Object(Map::new())),
    }
    Some((view, Range { low: Value::Array(low), high: Value::Array(high) }))
}

impl CouchStore {
    async fn activation_get(&self, namespace: &str, id: ActivationId) -> Result<Option<Activation>, CouchError> {
        if let Some(a) = self.inner.pending.get(namespace, id) {
            return Ok(Some(a));
        }
        let gust_id = doc_id(namespace, id);
        let cid = couch_id(&gust_id);
        let path = [self.inner.dbs.activations.as_str(), cid.as_ref()];
        let reply = self.inner.couch.send(Request::get(&path)).await?;
        match reply.status {
            200 => Ok(Some(reply.json::<Stored>(&gust_id)?.into_activation())),
            404 => Ok(None),
            _ => Err(reply.error()),
        }
    }

    async fn activation_list(&self, q: &ActivationQuery) -> Result<Vec<Activation>, CouchError> {
        // Records queued before this query are part of its answer.
        self.inner.writer.barrier().await?;
        let Some((view, range)) = plan(q) else {
            return Ok(Vec::new());
        };
        if q.limit == 0 {
            return Ok(Vec::new());
        }
        let (couch, db) = (&self.inner.couch, self.inner.dbs.activations.as_str());
        if q.docs {
            let rows = view::newest_first::<IgnoredAny, Stored>(couch, db, view, &range, q.skip, q.limit, true).await?;
            Ok(rows.into_iter().filter_map(|r| r.doc.map(Stored::into_activation)).collect())
        } else {
            let rows =
                view::newest_first::<Activation, IgnoredAny>(couch, db, view, &range, q.skip, q.limit, false).await?;
            Ok(rows.into_iter().map(|r| r.value).collect())
        }
    }

    async fn activation_count(&self, q: &ActivationQuery) -> Result<u64, CouchError> {
        self.inner.writer.barrier().await?;
        let Some((view, range)) = plan(q) else {
            return Ok(0);
        };
        let n = view::count(&self.inner.couch, self.inner.dbs.activations.as_str(), view, &range).await?;
        Ok(n.saturating_sub(q.skip as u64))
    }
}

#[async_trait]
impl ActivationStore for CouchStore {
    fn store(&self, activation: Arc<Activation>) -> Durable {
        self.inner.pending.insert(&activation);
        match self.inner.writer.submit(activation.clone()) {
            Ok(done) => Box::pin(async move {
                done.await.unwrap_or_else(|_| Err(StoreError::Backend("the activation writer stopped".into())))
            }),
            Err(e) => {
                self.inner.pending.remove([&activation]);
                Box::pin(std::future::ready(Err(e.into())))
            }
        }
    }

    async fn get(&self, namespace: &str, id: ActivationId) -> Result<Option<Activation>, StoreError> {
        Ok(self.activation_get(namespace, id).await?)
    }

    async fn list(&self, query: &ActivationQuery) -> Result<Vec<Activation>, StoreError> {
        Ok(self.activation_list(query).await?)
    }

    async fn count(&self, query: &ActivationQuery) -> Result<u64, StoreError> {
        Ok(self.activation_count(query).await?)
    }

    async fn remove_older_than(&self, cutoff: u64) -> Result<u64, StoreError> {
        Ok(self.remove_activations_before(cutoff).await?)
    }
}

#[cfg(test)]
mod tests {
    use gust_core::action::SemVer;
    use gust_core::activation::ActivationResponse;
    use gust_core::params::Params;

    use super::*;

    fn record() -> Activation {
        Activation {
            namespace: "_guest".into(),
            name: "hello".into(),
            subject: "guest".into(),
            activation_id: ActivationId::generate(),
            start: 10,
            end: 12,
            duration: Some(2),
            response: ActivationResponse::success(json!({"ok": true}), None),
            logs: vec!["a line".into()],
            version: SemVer::INITIAL,
            publish: false,
            annotations: Params::new().with("path", json!("_guest/utils/hello")),
            cause: None,
        }
    }

    #[test]
    fn documents_keep_logs_beside_the_record_and_decode_back() {
        let a = record();
        let e = encode(&a).expect("encode");
        assert_eq!(e.cid, format!("~_guest/{}", a.activation_id));
        let doc: Value = serde_json::from_slice(&e.json).expect("json");
        assert_eq!(doc["name"], "utils/hello");
        assert_eq!(doc["record"]["logs"], json!([]));
        assert_eq!(doc["logs"], json!(["a line"]));
        let back: Stored = serde_json::from_value(doc).expect("decode");
        assert_eq!(back.into_activation(), a);
    }

    #[test]
    fn plans_pick_the_view_and_the_inclusive_range() {
        let q = ActivationQuery { namespace: "g".into(), since: Some(5), upto: Some(9), ..Default::default() };
        let (view, r) = plan(&q).expect("plan");
        assert_eq!(view, ACTIVATIONS_BY_START);
        assert_eq!((r.low, r.high), (json!(["g", 5]), json!(["g", 9, {}])));
        let q = ActivationQuery { name: Some("p/a".into()), ..q };
        let (view, r) = plan(&q).expect("plan");
        assert_eq!(view, ACTIVATIONS_BY_NAME);
        assert_eq!((r.low, r.high), (json!(["g", "p/a", 5]), json!(["g", "p/a", 9, {}])));
        let open = ActivationQuery { namespace: "g".into(), ..Default::default() };
        let (_, r) = plan(&open).expect("plan");
        assert_eq!((r.low, r.high), (json!(["g"]), json!(["g", {}])));
        assert!(plan(&ActivationQuery { since: Some(10), upto: Some(9), ..open }).is_none());
    }
}
