//! The healthy-invoker snapshot, kept fresh by blocking health queries.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use gust_core::messages::InvokerId;
use gust_core::registry::InvokerInfo;
use parking_lot::RwLock;
use reqwest::Method;
use serde::Deserialize;

use crate::client::Client;
use crate::config::ConsulConfig;
use crate::error::ConsulError;
use crate::register::{META_CLUSTER, META_INVOKER, META_MEMORY};

/// How long one blocking query may wait for a change (Consul adds up to 1/16 of jitter).
const WAIT: Duration = Duration::from_secs(30);
/// First and last pause after a failed query.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The shared snapshot: readers clone the `Arc`, the watcher swaps it.
pub(crate) type Snapshot = Arc<RwLock<Arc<Vec<InvokerInfo>>>>;

/// One entry of `GET /v1/health/service/<service>` (only what is needed).
#[derive(Debug, Deserialize)]
struct HealthEntry {
    #[serde(rename = "Service")]
    service: ServiceEntry,
}

#[derive(Debug, Deserialize)]
struct ServiceEntry {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Meta", default)]
    meta: Option<BTreeMap<String, String>>,
}

/// One health query's answer: this cluster's passing invokers, sorted, and the index.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) invokers: Vec<InvokerInfo>,
    pub(crate) index: u64,
}

/// `GET /v1/health/service/<service>?passing=true&tag=<cluster tag>`, blocking until the
/// index passes `index` (or `WAIT` runs out) when `index` is not 0.
pub(crate) async fn query(client: &Client, config: &ConsulConfig, index: u64) -> Result<Answer, ConsulError> {
    let path = format!("/v1/health/service/{}", config.service);
    let what = format!("GET {path}");
    let mut rb = client.request(Method::GET, &path).query(&[("passing", "true"), ("tag", &config.cluster_tag())]);
    if index > 0 {
        rb = rb
            .query(&[("index", index.to_string()), ("wait", format!("{}s", WAIT.as_secs()))])
            .timeout(WAIT + WAIT / 16 + Duration::from_secs(10));
    }
    let resp = client.send(&what, rb).await?;
    let header = resp.headers().get("X-Consul-Index").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let Some(new_index) = header else {
        return Err(ConsulError::Decode { what, detail: "no X-Consul-Index header".into() });
    };
    let entries: Vec<HealthEntry> = client.json(&what, resp).await?;
    Ok(Answer { invokers: invokers_of(config, entries), index: new_index })
}

/// This cluster's invokers among `entries`, one per id, sorted by id.
fn invokers_of(config: &ConsulConfig, entries: Vec<HealthEntry>) -> Vec<InvokerInfo> {
    let mut by_id = BTreeMap::new();
    for e in entries {
        let meta = e.service.meta.unwrap_or_default();
        if meta.get(META_CLUSTER) != Some(&config.cluster) {
            continue;
        }
        let id = meta.get(META_INVOKER).and_then(|v| v.parse::<u32>().ok());
        let memory = meta.get(META_MEMORY).and_then(|v| v.parse::<u64>().ok());
        match (id, memory) {
            (Some(id), Some(user_memory_mb)) => {
                by_id.insert(id, InvokerInfo { id: InvokerId(id), user_memory_mb });
            }
            _ => tracing::debug!(service_id = %e.service.id, "Ignoring a Consul service without invoker meta."),
        }
    }
    by_id.into_values().collect()
}

/// Follows the health of this cluster's invokers forever (the task is aborted when the registry
/// is dropped), starting after the answer at `index`. On errors it keeps the last snapshot,
/// logs, backs off and starts again with a non-blocking query.
pub(crate) async fn watch(client: Client, config: ConsulConfig, snapshot: Snapshot, mut index: u64) {
    let mut backoff = BACKOFF_MIN;
    let mut failing = false;
    loop {
        match query(&client, &config, index).await {
            Ok(answer) => {
                if failing {
                    tracing::info!(cluster = %config.cluster, "Consul health queries work again.");
                    failing = false;
                }
                backoff = BACKOFF_MIN;
                publish(&snapshot, &config, answer.invokers);
                // Consul's rules: an index that goes backwards (the agent restarted) or is not
                // positive starts over with a fresh, non-blocking query.
                index = if answer.index < index || answer.index == 0 { 0 } else { answer.index };
                if index == 0 {
                    tokio::time::sleep(BACKOFF_MIN).await;
                }
            }
            Err(e) => {
                if failing {
                    tracing::debug!(cluster = %config.cluster, error = %e, "Consul health query failed again.");
                } else {
                    tracing::warn!(cluster = %config.cluster, error = %e,
                        "Consul health query failed; keeping the last healthy invokers and retrying.");
                    failing = true;
                }
                index = 0;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// Swaps in `invokers` when they differ from the snapshot, logging who came and went.
pub(crate) fn publish(snapshot: &Snapshot, config: &ConsulConfig, invokers: Vec<InvokerInfo>) {
    let old = snapshot.read().clone();
    if *old == invokers {
        return;
    }
    let ids = |v: &[InvokerInfo]| v.iter().map(|i| i.id.0).collect::<Vec<_>>();
    tracing::info!(cluster = %config.cluster, before = ?ids(&old), now = ?ids(&invokers), "Healthy invokers changed.");
    *snapshot.write() = Arc::new(invokers);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_this_cluster_sorted_and_deduplicated() {
        let config = ConsulConfig::for_cluster("blue");
        let entries: Vec<HealthEntry> = serde_json::from_value(serde_json::json!([
            {"Service": {"ID": "a", "Meta": {"gust_cluster": "blue", "invoker_id": "7", "user_memory_mb": "512"}}},
            {"Service": {"ID": "b", "Meta": {"gust_cluster": "green", "invoker_id": "1", "user_memory_mb": "1"}}},
            {"Service": {"ID": "c", "Meta": {"gust_cluster": "blue", "invoker_id": "2", "user_memory_mb": "256"}}},
            {"Service": {"ID": "d", "Meta": {"gust_cluster": "blue", "invoker_id": "x", "user_memory_mb": "1"}}},
            {"Service": {"ID": "e", "Meta": null}},
            {"Service": {"ID": "f"}},
        ]))
        .unwrap();
        let got = invokers_of(&config, entries);
        assert_eq!(
            got,
            vec![
                InvokerInfo { id: InvokerId(2), user_memory_mb: 256 },
                InvokerInfo { id: InvokerId(7), user_memory_mb: 512 },
            ]
        );
    }
}
