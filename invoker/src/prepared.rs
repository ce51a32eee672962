//! Action revisions the invoker has made runnable, keyed by (document id, revision), so the
//! warm path never touches the entity store or a compiler.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gust_core::action::Action;
use parking_lot::RwLock;
use tokio::sync::OnceCell;

use crate::executor::{PrepareError, Runnable};

/// A runnable revision and its metadata.
pub(crate) struct Prepared {
    /// The action without its code.
    pub(crate) action: Action,
    /// The sandbox handle.
    pub(crate) runnable: Arc<dyn Runnable>,
}

type Cell = Arc<OnceCell<Arc<Prepared>>>;

struct Entry {
    cell: Cell,
    last_used: AtomicU64,
}

/// A bounded map from (doc id, revision) to prepared revisions, least recently used out first.
/// Concurrent first uses of one revision share one preparation.
pub(crate) struct PreparedCache {
    entries: RwLock<HashMap<(String, String), Entry>>,
    clock: AtomicU64,
    capacity: usize,
}

impl fmt::Debug for PreparedCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedCache").field("entries", &self.entries.read().len()).finish()
    }
}

/// Whether a lookup found the revision ready or had to prepare it.
pub(crate) enum Lookup {
    Warm(Arc<Prepared>),
    Cold(Arc<Prepared>),
}

impl PreparedCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { entries: RwLock::new(HashMap::new()), clock: AtomicU64::new(0), capacity: capacity.max(1) }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    fn cell(&self, key: &(String, String)) -> Cell {
        if let Some(e) = self.entries.read().get(key) {
            e.last_used.store(self.tick(), Ordering::Relaxed);
            return e.cell.clone();
        }
        let mut map = self.entries.write();
        if map.len() >= self.capacity && !map.contains_key(key) {
            let oldest = map.iter().min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed)).map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        let now = self.tick();
        map.entry(key.clone())
            .or_insert_with(|| Entry { cell: Arc::new(OnceCell::new()), last_used: AtomicU64::new(now) })
            .cell
            .clone()
    }

    /// The prepared revision `key`, running `prepare` if nobody has yet. A failed preparation
    /// is not cached: the next activation tries again.
    pub(crate) async fn get_or_prepare<F, Fut>(&self, key: (String, String), prepare: F) -> Result<Lookup, PrepareError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Prepared, PrepareError>>,
    {
        let cell = self.cell(&key);
        if let Some(p) = cell.get() {
            return Ok(Lookup::Warm(p.clone()));
        }
        let mut cold = false;
        let got = cell
            .get_or_try_init(|| {
                cold = true;
                async { prepare().await.map(Arc::new) }
            })
            .await;
        match got {
            Ok(p) if cold => Ok(Lookup::Cold(p.clone())),
            Ok(p) => Ok(Lookup::Warm(p.clone())),
            Err(e) => {
                self.entries.write().remove(&key);
                Err(e)
            }
        }
    }

    /// How many revisions are cached.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.read().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::{RunOutcome, RunRequest};
    use async_trait::async_trait;
    use gust_core::action::ActionPut;
    use gust_core::activation::ActivationResponse;
    use gust_core::exec::RuntimeManifest;
    use gust_core::limits::LimitBounds;
    use gust_core::names::FullyQualifiedName;
    use serde_json::json;

    struct Nothing;

    #[async_trait]
    impl Runnable for Nothing {
        async fn run(&self, _req: RunRequest<'_>) -> RunOutcome {
            RunOutcome {
                response: ActivationResponse::success(json!({}), None),
                logs: vec![],
                timed_out: false,
                init_time_ms: None,
                started_ms: None,
                leftovers: crate::executor::Leftovers::default(),
            }
        }
    }

    fn prepared() -> Prepared {
        let put: ActionPut = serde_json::from_value(json!({"exec": {"kind": "wasm:wasip1", "code": "AAAA"}})).unwrap();
        let action = put
            .create(&FullyQualifiedName::new("ns", "a"), &RuntimeManifest::default(), &LimitBounds::default(), 0)
            .unwrap();
        Prepared { action, runnable: Arc::new(Nothing) }
    }

    fn key(n: u32) -> (String, String) {
        (format!("ns/a{n}"), "1".into())
    }

    #[tokio::test]
    async fn the_first_use_is_cold_and_later_ones_warm() {
        let c = PreparedCache::new(4);
        assert!(matches!(c.get_or_prepare(key(1), || async { Ok(prepared()) }).await, Ok(Lookup::Cold(_))));
        assert!(matches!(c.get_or_prepare(key(1), || async { Ok(prepared()) }).await, Ok(Lookup::Warm(_))));
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let c = PreparedCache::new(4);
        let r = c.get_or_prepare(key(1), || async { Err(PrepareError::internal("down")) }).await;
        assert!(r.is_err());
        assert_eq!(c.len(), 0);
        assert!(matches!(c.get_or_prepare(key(1), || async { Ok(prepared()) }).await, Ok(Lookup::Cold(_))));
    }

    #[tokio::test]
    async fn the_least_recently_used_revision_goes_first() {
        let c = PreparedCache::new(2);
        c.get_or_prepare(key(1), || async { Ok(prepared()) }).await.unwrap();
        c.get_or_prepare(key(2), || async { Ok(prepared()) }).await.unwrap();
        c.get_or_prepare(key(1), || async { Ok(prepared()) }).await.unwrap();
        c.get_or_prepare(key(3), || async { Ok(prepared()) }).await.unwrap();
        assert_eq!(c.len(), 2);
        assert!(matches!(c.get_or_prepare(key(1), || async { Ok(prepared()) }).await, Ok(Lookup::Warm(_))));
        assert!(matches!(c.get_or_prepare(key(2), || async { Ok(prepared()) }).await, Ok(Lookup::Cold(_))));
    }
}
