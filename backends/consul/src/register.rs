//! An invoker's service registration with a TTL check, and the heartbeat that keeps it passing.

use std::time::Duration;

use gust_core::registry::InvokerInfo;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::Client;
use crate::config::{ConsulConfig, go_duration};
use crate::error::ConsulError;

/// The meta key naming the cluster.
pub(crate) const META_CLUSTER: &str = "gust_cluster";
/// The meta key holding the invoker id (a number).
pub(crate) const META_INVOKER: &str = "invoker_id";
/// The meta key holding the invoker's user memory, MB.
pub(crate) const META_MEMORY: &str = "user_memory_mb";

/// Everything needed to (re-)register one invoker and pass its check.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    /// The service instance id.
    pub(crate) service_id: String,
    /// The TTL check's id.
    pub(crate) check_id: String,
    /// The body of `PUT /v1/agent/service/register`.
    body: Value,
}

impl Registration {
    /// The registration of `info` in the cluster of `config`.
    pub(crate) fn new(config: &ConsulConfig, info: &InvokerInfo) -> Self {
        let service_id = config.service_id(info.id);
        let check_id = config.check_id(info.id);
        let body = json!({
            "ID": service_id,
            "Name": config.service,
            "Tags": [config.cluster_tag(), format!("gust-invoker={}", info.id.0)],
            "Meta": {
                META_CLUSTER: config.cluster,
                META_INVOKER: info.id.0.to_string(),
                META_MEMORY: info.user_memory_mb.to_string(),
            },
            "Check": {
                "CheckID": check_id,
                "Name": format!("{} heartbeat", info.id),
                "TTL": go_duration(config.ttl),
                // Healthy from the start: the invoker registers once it is ready for work.
                "Status": "passing",
                "DeregisterCriticalServiceAfter": go_duration(config.deregister_after()),
            },
        });
        Self { service_id, check_id, body }
    }

    /// `PUT /v1/agent/service/register` (idempotent: registering again replaces it).
    pub(crate) async fn register(&self, client: &Client) -> Result<(), ConsulError> {
        let what = format!("PUT /v1/agent/service/register ({})", self.service_id);
        client.send(&what, client.request(Method::PUT, "/v1/agent/service/register").json(&self.body)).await?;
        Ok(())
    }

    /// `PUT /v1/agent/check/pass/<check>`.
    pub(crate) async fn pass(&self, client: &Client) -> Result<(), ConsulError> {
        let path = format!("/v1/agent/check/pass/{}", self.check_id);
        client.send(&format!("PUT {path}"), client.request(Method::PUT, &path)).await?;
        Ok(())
    }
}

/// `PUT /v1/agent/service/deregister/<id>` (also removes its check; unknown ids are fine).
pub(crate) async fn deregister(client: &Client, service_id: &str) -> Result<(), ConsulError> {
    let path = format!("/v1/agent/service/deregister/{service_id}");
    client.send(&format!("PUT {path}"), client.request(Method::PUT, &path)).await?;
    Ok(())
}

/// Passes the check every `period` for as long as the task lives (it is aborted on deregister
/// and when the registry is dropped). When the agent no longer knows the check (it restarted, or
/// someone deregistered the service behind our back), the service is registered again.
pub(crate) async fn heartbeat(client: Client, reg: Registration, period: Duration) {
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; the registration has just passed.
    ticker.tick().await;
    let mut failing = false;
    loop {
        ticker.tick().await;
        match reg.pass(&client).await {
            Ok(()) => {
                if failing {
                    tracing::info!(service_id = %reg.service_id, "Consul heartbeat works again.");
                    failing = false;
                }
            }
            // The agent answered but refused: it has forgotten the check. Register again.
            Err(ConsulError::Status { status, body, .. }) => {
                tracing::warn!(service_id = %reg.service_id, status, body = %body,
                    "Consul no longer knows the invoker's check; registering it again.");
                match reg.register(&client).await {
                    Ok(()) => {
                        tracing::info!(service_id = %reg.service_id, "Invoker registered again in Consul.");
                        failing = false;
                    }
                    Err(e) => {
                        tracing::warn!(service_id = %reg.service_id, error = %e, "Registering again failed.");
                        failing = true;
                    }
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(service_id = %reg.service_id, error = %e, "Consul heartbeat failed; retrying.");
                }
                failing = true;
            }
        }
    }
}
