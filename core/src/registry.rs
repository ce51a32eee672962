//! The invoker-registry seam: which invokers are alive, and their capacity.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::messages::InvokerId;

/// A live invoker as the controllers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvokerInfo {
    /// Its id (and so its topic).
    pub id: InvokerId,
    /// Memory it offers to actions, MB.
    pub user_memory_mb: u64,
}

/// A registry failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry service cannot be reached.
    #[error("invoker registry unavailable: {0}")]
    Unavailable(String),
}

/// Invokers announce themselves here; controllers read the healthy set.
#[async_trait]
pub trait InvokerRegistry: Send + Sync + 'static {
    /// Announces an invoker (and keeps announcing it while it is healthy).
    async fn register(&self, info: InvokerInfo) -> Result<(), RegistryError>;

    /// Withdraws an invoker (on shutdown).
    async fn deregister(&self, id: InvokerId) -> Result<(), RegistryError>;

    /// The invokers healthy now, sorted by id. Cheap: called on every invocation.
    fn healthy(&self) -> Arc<Vec<InvokerInfo>>;
}

/// A list in memory: the registry of `gust standalone`.
#[derive(Default)]
pub struct LocalRegistry {
    invokers: RwLock<Arc<Vec<InvokerInfo>>>,
}

impl fmt::Debug for LocalRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRegistry").field("invokers", &self.invokers.read().len()).finish()
    }
}

impl LocalRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl InvokerRegistry for LocalRegistry {
    async fn register(&self, info: InvokerInfo) -> Result<(), RegistryError> {
        let mut g = self.invokers.write();
        let mut v: Vec<InvokerInfo> = g.iter().filter(|i| i.id != info.id).cloned().collect();
        v.push(info);
        v.sort_by_key(|i| i.id);
        *g = Arc::new(v);
        Ok(())
    }

    async fn deregister(&self, id: InvokerId) -> Result<(), RegistryError> {
        let mut g = self.invokers.write();
        *g = Arc::new(g.iter().filter(|i| i.id != id).cloned().collect());
        Ok(())
    }

    fn healthy(&self) -> Arc<Vec<InvokerInfo>> {
        self.invokers.read().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn register_replaces_and_sorts() {
        let r = LocalRegistry::new();
        r.register(InvokerInfo { id: InvokerId(2), user_memory_mb: 1 }).await.unwrap();
        r.register(InvokerInfo { id: InvokerId(0), user_memory_mb: 1 }).await.unwrap();
        r.register(InvokerInfo { id: InvokerId(2), user_memory_mb: 5 }).await.unwrap();
        let h = r.healthy();
        assert_eq!(h.iter().map(|i| i.id.0).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(h[1].user_memory_mb, 5);
        r.deregister(InvokerId(0)).await.unwrap();
        assert_eq!(r.healthy().len(), 1);
    }
}
