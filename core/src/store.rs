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
use crate::user_limits::UserLimits;

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

    /// The documents `query` selects, newest `updated` first, then by document id, descending.
    async fn list(&self, query: &EntityQuery) -> Result<Vec<Entity>, StoreError>;

    /// How many documents [`EntityStore::list`] would see without skip and limit.
    async fn count(&self, query: &EntityQuery) -> Result<u64, StoreError>;
}

/// Which entities a list or count selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityQuery {
    /// The collection.
    pub collection: Collection,
    /// The root namespace: with no package, every document of the collection under it
    /// (actions inside its packages too).
    pub namespace: String,
    /// Only the documents inside this package of the namespace (path `namespace/package`).
    pub package: Option<String>,
    /// Only documents other namespaces may see ([`Entity::is_shared`]).
    pub public_only: bool,
    /// Documents to skip.
    pub skip: usize,
    /// Most documents to return.
    pub limit: usize,
}

impl EntityQuery {
    /// Every document of `collection` under root namespace `namespace`, up to `limit`.
    pub fn new(collection: Collection, namespace: &str) -> Self {
        Self { collection, namespace: namespace.to_owned(), package: None, public_only: false, skip: 0, limit: 200 }
    }

    /// Only the documents inside `package`.
    pub fn in_package(mut self, package: &str) -> Self {
        self.package = Some(package.to_owned());
        self
    }

    /// Only shared documents.
    pub fn public(mut self) -> Self {
        self.public_only = true;
        self
    }

    /// A page of it.
    pub fn page(mut self, skip: usize, limit: usize) -> Self {
        self.skip = skip;
        self.limit = limit;
        self
    }

    /// The path of the documents it selects when it names a package (`ns/pkg`).
    pub fn package_path(&self) -> Option<String> {
        self.package.as_ref().map(|p| format!("{}/{p}", self.namespace))
    }

    /// True when `e` is one of the documents it selects (skip and limit aside): the reference
    /// every backend's filter must agree with.
    pub fn matches(&self, e: &Entity) -> bool {
        e.collection() == self.collection
            && e.root_namespace() == self.namespace
            && self.package_path().is_none_or(|p| e.path() == p)
            && (!self.public_only || e.is_shared())
    }
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

/// Waits until `record` is durable, starting from the write `first` and storing it again while
/// that fails (with a pause that doubles up to 5 s): whoever commits a bus message only after
/// its record is stored must never give up, or an accepted activation would be lost.
pub async fn persist(store: &dyn ActivationStore, record: &Arc<Activation>, first: Durable) {
    let mut attempt = first;
    let mut backoff = std::time::Duration::from_millis(20);
    while let Err(e) = attempt.await {
        tracing::warn!(error = %e, "Storing the activation record failed; retrying.");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
        attempt = store.store(record.clone());
    }
}

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

    /// Removes every record (with its logs) whose `start` is before `cutoff` (epoch ms), in
    /// every namespace, and returns how many it removed. Records stored before the call count.
    ///
    /// Backends remove in bounded batches, so writes of new records keep going meanwhile.
    /// Idempotent: removing again (or from several processes at once) removes nothing twice.
    /// This is what activation retention runs ([`crate::retention`]).
    async fn remove_older_than(&self, cutoff: u64) -> Result<u64, StoreError>;
}

/// Credentials, and the limits of namespaces. Keys are kept hashed ([`SubjectRecord`]); only
/// verification sees a clear key.
#[async_trait]
pub trait SubjectStore: Send + Sync + 'static {
    /// The identity of `key`, if it is a known credential with the right secret, with the
    /// limits set for its namespace.
    async fn identify(&self, key: &AuthKey) -> Result<Option<Identity>, StoreError>;

    /// Adds or replaces the credential with `record.uuid`.
    async fn put_subject(&self, record: SubjectRecord) -> Result<(), StoreError>;

    /// Removes the credential `uuid`; true if it existed.
    async fn delete_subject(&self, uuid: &str) -> Result<bool, StoreError>;

    /// Every credential record (for administration).
    async fn list_subjects(&self) -> Result<Vec<SubjectRecord>, StoreError>;

    /// The limits set for `namespace` (the overrides of the system's), if any.
    async fn get_limits(&self, namespace: &str) -> Result<Option<UserLimits>, StoreError>;

    /// Sets the limits of `namespace`, replacing earlier ones.
    async fn put_limits(&self, namespace: &str, limits: &UserLimits) -> Result<(), StoreError>;

    /// Removes the limits of `namespace`; true if it had some.
    async fn delete_limits(&self, namespace: &str) -> Result<bool, StoreError>;
}
