//! The store seams: entities, activations and subjects. Embedded (SQLite) and distributed
//! (CouchDB) implementations live in their own crates; in-memory ones in [`crate::memory`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::activation::Activation;
use crate::entity::{Collection, Entity, Revision, Versioned};
use crate::ids::ActivationId;
use crate::subject::{AuthKey, Identity, SubjectRecord};

/// A store failure, as callers need to tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The document exists already (create) or changed since it was read (update, delete).
    #[error("document update conflict")]
    Conflict,
    /// The store cannot be reached or is not answering; the caller may retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored document could not be read back.
    #[error("corrupt document {id}: {reason}")]
    Corrupt {
        /// The document.
        id: String,
        /// What was wrong.
        reason: String,
    },
    /// Anything else the backend reported.
    #[error("store error: {0}")]
    Backend(String),
}

/// Actions, packages, triggers and rules, keyed by document id with optimistic revisions.
#[async_trait]
pub trait EntityStore: Send + Sync + 'static {
    /// Reads a document of any collection.
    async fn get(&self, doc_id: &str) -> Result<Option<Versioned<Entity>>, StoreError>;

    /// Writes a document. `rev = None` creates it ([`StoreError::Conflict`] if the id is taken);
    /// `Some(rev)` replaces it only if `rev` is still current. Returns the new revision.
    async fn put(&self, entity: &Entity, rev: Option<&Revision>) -> Result<Revision, StoreError>;

    /// Deletes a document if `rev` is still current.
    async fn delete(&self, doc_id: &str, rev: &Revision) -> Result<(), StoreError>;

    /// Documents of `collection` whose root namespace is `namespace`, newest `updated` first.
    async fn list(
        &self,
        namespace: &str,
        collection: Collection,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<Entity>, StoreError>;

    /// How many documents [`EntityStore::list`] would see without skip and limit.
    async fn count(&self, namespace: &str, collection: Collection) -> Result<u64, StoreError>;
}

/// The filters of `GET .../activations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivationQuery {
    /// Namespace of the records.
    pub namespace: String,
    /// `name` or `pkg/name` (see [`Activation::filter_name`]).
    pub name: Option<String>,
    /// Inclusive lower bound on `start`, epoch ms.
    pub since: Option<u64>,
    /// Inclusive upper bound on `start`, epoch ms.
    pub upto: Option<u64>,
    /// Records to skip (newest first).
    pub skip: usize,
    /// Most records to return.
    pub limit: usize,
    /// Whether logs are needed (summaries do not show them).
    pub docs: bool,
}

/// A record write in flight: it resolves once the record is durable.
pub type Durable = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'static>>;

/// Activation records. Writes are idempotent on the activation id: a record written twice
/// (a redelivered activation) is kept once.
#[async_trait]
pub trait ActivationStore: Send + Sync + 'static {
    /// Queues a record for storing. As soon as this returns, this store's `get`, `list` and
    /// `count` see the record (read your writes), so a caller may be answered before the
    /// write is durable; the returned future resolves once it is durable.
    fn store(&self, activation: Arc<Activation>) -> Durable;

    /// Reads one record.
    async fn get(&self, namespace: &str, id: ActivationId) -> Result<Option<Activation>, StoreError>;

    /// Records matching `query`, newest `start` first.
    async fn list(&self, query: &ActivationQuery) -> Result<Vec<Activation>, StoreError>;

    /// How many records match `query` (skip applies, limit does not).
    async fn count(&self, query: &ActivationQuery) -> Result<u64, StoreError>;
}

/// Credentials. Keys are kept hashed ([`SubjectRecord`]); only verification sees a clear key.
#[async_trait]
pub trait SubjectStore: Send + Sync + 'static {
    /// The identity of `key`, if it is a known credential with the right secret.
    async fn identify(&self, key: &AuthKey) -> Result<Option<Identity>, StoreError>;

    /// Adds or replaces the credential with `record.uuid`.
    async fn put_subject(&self, record: SubjectRecord) -> Result<(), StoreError>;

    /// Removes the credential `uuid`; true if it existed.
    async fn delete_subject(&self, uuid: &str) -> Result<bool, StoreError>;

    /// Every credential record (for administration).
    async fn list_subjects(&self) -> Result<Vec<SubjectRecord>, StoreError>;
}
