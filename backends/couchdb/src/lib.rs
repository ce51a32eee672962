//! gust-couchdb: Gust's distributed store. Entities, subjects and activation records live in
//! CouchDB (or any server speaking its HTTP API, such as pouchdb-server), so that any number
//! of controllers and invokers share them.
//!
//! [`CouchStore`] implements gust-core's [`EntityStore`](gust_core::store::EntityStore),
//! [`ActivationStore`](gust_core::store::ActivationStore) and
//! [`SubjectStore`](gust_core::store::SubjectStore) with the behaviour of the in-memory
//! reference stores in `gust_core::memory`, using only CouchDB's documented HTTP API:
//! documents, `_all_docs`, `_bulk_docs`, and design documents with JavaScript map functions
//! and the built-in `_count` reduce.
//!
//! Databases (`<prefix>` is [`CouchConfig::db_prefix`]):
//!
//! ```text
//! <prefix>whisks       {_id: doc_id, _rev, root, collection, updated, entity: {...}}
//!   _design/gust  by_namespace  key [root, collection, updated]            value null    _count
//! <prefix>activations  {_id: "namespace/activationId", namespace, name (filter name), start,
//!                       activationId, record: {... logs: []}, logs: [...]}
//!   _design/gust  by_start      key [namespace, start, activationId]        value record  _count
//!                 by_name       key [namespace, name, start, activationId]  value record  _count
//!   _design/gust_retention  by_age  key start                               value _rev
//! <prefix>subjects     {_id: uuid, subject, namespace, uuid, salt, key_hash}   (never the key)
//! ```
//!
//! Ids that CouchDB reserves or URLs cannot carry (a leading `_`, `.`, `..`, empty) get a `~`
//! in front (see `schema::couch_id`); every id is percent-encoded as one path segment.
//!
//! Writes:
//! - entities and subjects: one document write each (atomic in CouchDB); `_rev` is the
//!   revision, so a create of a taken id or an update at a stale revision is
//!   [`StoreError::Conflict`](gust_core::store::StoreError::Conflict);
//! - activation records are queued and group-committed by one background task with
//!   `POST /_bulk_docs`; the record is visible to this store's `get` at once and its `list`
//!   and `count` wait for the queue (read your writes), and the `Durable` future resolves
//!   when CouchDB has it. A conflict on insert means the record is stored already (a
//!   redelivery): success. While CouchDB is down the writer retries until it is back.
//!
//! - activation retention deletes old records in batches: the oldest rows of `by_age`, then
//!   one `_bulk_docs` of `_deleted` tombstones (see `retention.rs`).
//!
//! Requests that cannot reach the server are retried with backoff within
//! [`CouchConfig::retry_budget`] and then answer
//! [`StoreError::Unavailable`](gust_core::store::StoreError::Unavailable).

mod activations;
mod client;
mod config;
mod entities;
mod error;
mod retention;
mod schema;
mod subjects;
mod view;
mod writer;

use std::fmt;
use std::sync::Arc;

use crate::activations::Pending;
use crate::client::Couch;
pub use crate::config::CouchConfig;
pub use crate::error::CouchError;
pub use crate::schema::Databases;
use crate::writer::{Limits, Writer};

/// The CouchDB-backed store: cheap to clone (clones share the HTTP connection pool, the
/// record queue and the bulk writer task).
///
/// Open it once at startup with [`CouchStore::open`] and hand clones (or an `Arc` of it) to
/// the roles that need an entity, activation or subject store. On shutdown call
/// [`CouchStore::close`] to write what is queued. Dropping the last clone lets the writer
/// finish the queue in the background, as long as the tokio runtime keeps running.
#[derive(Clone)]
pub struct CouchStore {
    inner: Arc<Inner>,
}

struct Inner {
    couch: Arc<Couch>,
    dbs: Databases,
    writer: Writer,
    /// Records queued but not durable yet: `get` sees them (read your writes).
    pending: Arc<Pending>,
}

impl fmt::Debug for CouchStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CouchStore")
            .field("url", &self.inner.couch.base().as_str())
            .field("databases", &self.inner.dbs)
            .field("queued", &self.inner.pending.len())
            .field("writer", &self.inner.writer)
            .finish()
    }
}

impl CouchStore {
    /// Connects to the server of `config` and makes sure the three databases and their design
    /// documents exist (creating what is missing, updating design documents that differ from
    /// this build's, leaving identical ones alone).
    ///
    /// Must run inside a tokio runtime. Fails with [`CouchError::Unavailable`] when the
    /// server does not answer within the retry budget, [`CouchError::Config`] for a bad URL
    /// or prefix, and [`CouchError::Status`] when the server refuses (e.g. 401 without the
    /// admin credentials CouchDB needs to create databases).
    pub async fn open(config: CouchConfig) -> Result<CouchStore, CouchError> {
        let store = CouchStore::new(config)?;
        store.ensure_schema().await?;
        tracing::debug!(url = %store.url(), databases = ?store.databases(), "CouchDB store opened");
        Ok(store)
    }

    /// A store for `config` without contacting the server: the databases must exist already
    /// (or [`CouchStore::ensure_schema`] be called). Starts the bulk writer task, so it must
    /// run inside a tokio runtime.
    pub fn new(config: CouchConfig) -> Result<CouchStore, CouchError> {
        let dbs = Databases::new(&config.db_prefix)?;
        let couch = Arc::new(Couch::new(&config)?);
        let pending = Arc::new(Pending::default());
        let limits =
            Limits { max_batch: config.max_batch, concurrency: config.bulk_concurrency, patience: config.retry_budget };
        let writer = Writer::start(couch.clone(), dbs.activations.clone(), pending.clone(), limits)?;
        Ok(CouchStore { inner: Arc::new(Inner { couch, dbs, writer, pending }) })
    }

    /// Creates the missing databases and design documents and updates changed design
    /// documents (what [`CouchStore::open`] does; idempotent).
    pub async fn ensure_schema(&self) -> Result<(), CouchError> {
        schema::ensure(&self.inner.couch, &self.inner.dbs).await
    }

    /// The server's URL, without credentials.
    pub fn url(&self) -> &str {
        self.inner.couch.base().as_str()
    }

    /// The names of this store's databases.
    pub fn databases(&self) -> &Databases {
        &self.inner.dbs
    }

    /// How many activation records are queued and not yet durable.
    pub fn queued(&self) -> usize {
        self.inner.pending.len()
    }

    /// Waits until every activation record queued before this call is durable (or failed for
    /// good). While CouchDB is unreachable this waits for it to come back.
    pub async fn flush(&self) -> Result<(), CouchError> {
        self.inner.writer.flush().await
    }

    /// Stops the bulk writer after it has written everything queued, and waits for it.
    ///
    /// Used on graceful shutdown; it waits while CouchDB is unreachable (wrap it in a
    /// timeout to bound that). Afterwards activation writes fail with
    /// [`CouchError::Closed`] (as [`StoreError::Backend`](gust_core::store::StoreError::Backend));
    /// everything else keeps working.
    pub async fn close(&self) -> Result<(), CouchError> {
        self.inner.writer.close().await
    }
}
