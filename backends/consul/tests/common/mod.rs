//! Shared helpers of the tests against a real Consul agent (`scripts/services/consul start`).
#![allow(dead_code, unreachable_pub)]

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use gust_consul::{ConsulConfig, ConsulRegistry};
use gust_core::messages::InvokerId;
use gust_core::registry::{InvokerInfo, InvokerRegistry};

/// The agent under test: `GUST_TEST_CONSUL`, default `http://127.0.0.1:8500`.
pub fn consul_url() -> String {
    std::env::var("GUST_TEST_CONSUL").unwrap_or_else(|_| "http://127.0.0.1:8500".into())
}

/// A cluster name no other test (or test run) uses.
pub fn random_cluster(prefix: &str) -> String {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("test-{prefix}-{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// The configuration of `cluster` with `ttl` on the agent under test.
pub fn config(cluster: &str, ttl: Duration) -> ConsulConfig {
    ConsulConfig { url: consul_url(), cluster: cluster.into(), ttl, ..ConsulConfig::default() }
}

/// Connects, or fails the test with instructions.
pub async fn connect(cluster: &str, ttl: Duration) -> ConsulRegistry {
    match ConsulRegistry::connect(config(cluster, ttl)).await {
        Ok(r) => r,
        Err(e) => panic!(
            "no Consul agent answers at {} ({e}); start it with scripts/services/consul start \
             (or point GUST_TEST_CONSUL at one)",
            consul_url()
        ),
    }
}

/// An invoker's info.
pub fn info(id: u32, user_memory_mb: u64) -> InvokerInfo {
    InvokerInfo { id: InvokerId(id), user_memory_mb }
}

/// The ids in `r.healthy()`.
pub fn healthy_ids(r: &ConsulRegistry) -> Vec<u32> {
    r.healthy().iter().map(|i| i.id.0).collect()
}

/// Polls `r.healthy()` until `pred` holds; the time it took, or a failure after `timeout`.
pub async fn wait_for(
    r: &ConsulRegistry,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&[InvokerInfo]) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        if pred(&r.healthy()) {
            return start.elapsed();
        }
        if start.elapsed() > timeout {
            panic!("{what}: not within {timeout:?}; healthy() = {:?}", r.healthy());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Removes what a test left in Consul: its services and its KV folder.
pub async fn cleanup(cluster: &str, ids: &[u32]) {
    let http = reqwest::Client::new();
    let base = consul_url();
    for id in ids {
        let _ = http.put(format!("{base}/v1/agent/service/deregister/gust-invoker-{cluster}-{id}")).send().await;
    }
    let _ = http.delete(format!("{base}/v1/kv/gust/{cluster}?recurse")).send().await;
}
