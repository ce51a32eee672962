//! Actions as the invoke path needs them (no code), by document id, so that a warm invoke
//! does not read the entity store. Entries are dropped on every local write and expire after
//! a TTL, since other controllers may write too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use gust_core::action::Action;
use gust_core::entity::Revision;

/// A cached action revision.
#[derive(Debug)]
pub(crate) struct CachedAction {
    pub(crate) rev: Revision,
    pub(crate) action: Action,
    loaded: Instant,
}

/// Document id -> cached action.
pub(crate) struct ActionCache {
    entries: DashMap<String, Arc<CachedAction>>,
    ttl: Duration,
}

impl ActionCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { entries: DashMap::new(), ttl }
    }

    /// The cached action, if fresh.
    pub(crate) fn get(&self, doc_id: &str) -> Option<Arc<CachedAction>> {
        let e = self.entries.get(doc_id)?;
        (e.loaded.elapsed() < self.ttl).then(|| e.clone())
    }

    /// Caches `action` (its code is dropped).
    pub(crate) fn put(&self, doc_id: String, rev: Revision, action: &Action) -> Arc<CachedAction> {
        let c = Arc::new(CachedAction { rev, action: action.without_code(), loaded: Instant::now() });
        self.entries.insert(doc_id, c.clone());
        c
    }

    /// Forgets `doc_id` (after a write).
    pub(crate) fn invalidate(&self, doc_id: &str) {
        self.entries.remove(doc_id);
    }
}
