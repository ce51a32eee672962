//! gust-consul: Gust's distributed invoker registry on Consul.
//!
//! - An invoker **registers** as a Consul service instance (`<service>-<cluster>-<id>`, tagged and
//!   annotated with its cluster, id and user memory) with a TTL health check, and a background
//!   task passes the check every third of the TTL. An invoker that dies stops passing it: Consul
//!   marks it critical after the TTL, and removes it from the catalog a while later.
//! - Controllers read [`InvokerRegistry::healthy`]: an in-memory snapshot of this cluster's
//!   passing instances, kept fresh by blocking health queries (`?index=`), so reading it costs
//!   one lock and one `Arc` clone.
//! - Invokers without a configured id claim a stable one per unique name
//!   ([`ConsulRegistry::claim_invoker_id`]) through Consul's KV store with check-and-set.
//!
//! Only Consul's documented HTTP API is used (agent service/check endpoints, health, KV).

mod client;
mod config;
mod error;
mod ids;
mod register;
mod watch;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use gust_core::messages::InvokerId;
use gust_core::registry::{InvokerInfo, InvokerRegistry, RegistryError};
use parking_lot::{Mutex, RwLock};
use tokio::task::JoinHandle;

pub use crate::config::ConsulConfig;
pub use crate::error::ConsulError;

use crate::client::Client;
use crate::register::Registration;
use crate::watch::Snapshot;

/// The invoker registry on a Consul agent.
///
/// Dropping it stops its background tasks: the health watch and the heartbeats of the invokers
/// it registered (which then turn critical after their TTL, as if the process had died).
pub struct ConsulRegistry {
    config: ConsulConfig,
    client: Client,
    snapshot: Snapshot,
    watcher: JoinHandle<()>,
    heartbeats: Mutex<HashMap<InvokerId, JoinHandle<()>>>,
}

impl fmt::Debug for ConsulRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsulRegistry")
            .field("config", &self.config)
            .field("healthy", &self.snapshot.read().len())
            .field("registered", &self.heartbeats.lock().len())
            .finish()
    }
}

impl ConsulRegistry {
    /// Connects to the agent (it must answer and know a leader), reads this cluster's healthy
    /// invokers once, and starts the background watch that keeps them fresh.
    ///
    /// Must be called inside a tokio runtime.
    pub async fn connect(config: ConsulConfig) -> Result<Self, ConsulError> {
        config.validate()?;
        let client = Client::new(&config)?;
        let leader = client.check_leader().await?;
        let first = watch::query(&client, &config, 0).await?;
        tracing::info!(url = %config.url, cluster = %config.cluster, leader = %leader,
            healthy = first.invokers.len(), "Connected to Consul.");
        let snapshot: Snapshot = Arc::new(RwLock::new(Arc::new(first.invokers)));
        let watcher = tokio::spawn(watch::watch(client.clone(), config.clone(), snapshot.clone(), first.index));
        Ok(Self { config, client, snapshot, watcher, heartbeats: Mutex::new(HashMap::new()) })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ConsulConfig {
        &self.config
    }

    /// The id of the invoker called `unique_name` (e.g. its host name) in this cluster: the same
    /// name always gets the same id back, and different names get different ids, even when many
    /// claim at once. Ids are handed out from 0 upwards.
    pub async fn claim_invoker_id(&self, unique_name: &str) -> Result<InvokerId, ConsulError> {
        ids::claim(&self.client, &self.config, unique_name).await
    }

    /// Registers `info` and starts its heartbeat (replacing an earlier one for the same id).
    pub async fn register_invoker(&self, info: InvokerInfo) -> Result<(), ConsulError> {
        let reg = Registration::new(&self.config, &info);
        reg.register(&self.client).await?;
        let task = tokio::spawn(register::heartbeat(self.client.clone(), reg, self.config.heartbeat_period()));
        if let Some(old) = self.heartbeats.lock().insert(info.id, task) {
            old.abort();
        }
        tracing::info!(invoker = %info.id, memory_mb = info.user_memory_mb, cluster = %self.config.cluster,
            ttl = ?self.config.ttl, "Invoker registered in Consul.");
        Ok(())
    }

    /// Stops the heartbeat of `id` and deregisters it.
    pub async fn deregister_invoker(&self, id: InvokerId) -> Result<(), ConsulError> {
        let task = self.heartbeats.lock().remove(&id);
        if let Some(task) = task {
            task.abort();
            // Wait until it has stopped, so that no re-registration of its own can follow ours.
            let _ = task.await;
        }
        register::deregister(&self.client, &self.config.service_id(id)).await?;
        tracing::info!(invoker = %id, cluster = %self.config.cluster, "Invoker deregistered from Consul.");
        Ok(())
    }
}

impl Drop for ConsulRegistry {
    fn drop(&mut self) {
        self.watcher.abort();
        for (_, task) in self.heartbeats.lock().drain() {
            task.abort();
        }
    }
}

#[async_trait]
impl InvokerRegistry for ConsulRegistry {
    async fn register(&self, info: InvokerInfo) -> Result<(), RegistryError> {
        Ok(self.register_invoker(info).await?)
    }

    async fn deregister(&self, id: InvokerId) -> Result<(), RegistryError> {
        Ok(self.deregister_invoker(id).await?)
    }

    fn healthy(&self) -> Arc<Vec<InvokerInfo>> {
        self.snapshot.read().clone()
    }
}
