//! Where the agent is, which cluster this is, and how invokers are named in Consul.

use std::fmt;
use std::time::Duration;

use gust_core::messages::InvokerId;

use crate::error::ConsulError;

/// How to reach Consul and how this Gust cluster's invokers appear in it.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsulConfig {
    /// The agent's HTTP API, e.g. `http://127.0.0.1:8500` (the default).
    pub url: String,
    /// This Gust cluster's name: several clusters can share one Consul, each sees only its own
    /// invokers and has its own invoker ids. Letters, digits, `-`, `_` and `.` (default `gust`).
    pub cluster: String,
    /// The Consul service name the invokers register under (default `gust-invoker`).
    pub service: String,
    /// The health-check TTL: an invoker that stops heartbeating is no longer healthy after about
    /// this long (default 10 s). It heartbeats every third of it.
    pub ttl: Duration,
    /// An ACL token, sent as `X-Consul-Token`, when the agent needs one.
    pub token: Option<String>,
}

impl Default for ConsulConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8500".into(),
            cluster: "gust".into(),
            service: "gust-invoker".into(),
            ttl: Duration::from_secs(10),
            token: None,
        }
    }
}

impl fmt::Debug for ConsulConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsulConfig")
            .field("url", &self.url)
            .field("cluster", &self.cluster)
            .field("service", &self.service)
            .field("ttl", &self.ttl)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Consul reaps critical services no sooner than a minute after they turned critical.
const MIN_DEREGISTER_AFTER: Duration = Duration::from_secs(60);

impl ConsulConfig {
    /// The defaults with another cluster name.
    pub fn for_cluster(cluster: impl Into<String>) -> Self {
        Self { cluster: cluster.into(), ..Self::default() }
    }

    /// Checks what would otherwise fail later, or build odd service ids and URLs.
    pub(crate) fn validate(&self) -> Result<(), ConsulError> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(ConsulError::Config(format!("url {:?} is not an http:// or https:// URL", self.url)));
        }
        for (what, name) in [("cluster", &self.cluster), ("service", &self.service)] {
            let ok = !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                && name != "."
                && name != "..";
            if !ok {
                return Err(ConsulError::Config(format!(
                    "{what} name {name:?} must be 1 to 64 letters, digits, '-', '_' or '.'"
                )));
            }
        }
        if self.ttl < Duration::from_millis(300) {
            return Err(ConsulError::Config(format!("ttl {:?} is too short (at least 300 ms)", self.ttl)));
        }
        Ok(())
    }

    /// The agent's base URL without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        self.url.trim_end_matches('/')
    }

    /// The Consul service instance id of an invoker: `<service>-<cluster>-<id>`.
    pub(crate) fn service_id(&self, id: InvokerId) -> String {
        format!("{}-{}-{}", self.service, self.cluster, id.0)
    }

    /// The id of the invoker's TTL check.
    pub(crate) fn check_id(&self, id: InvokerId) -> String {
        format!("{}-ttl", self.service_id(id))
    }

    /// The tag every instance of this cluster carries (the watch filters on it).
    pub(crate) fn cluster_tag(&self) -> String {
        format!("gust-cluster={}", self.cluster)
    }

    /// How often a registration passes its check.
    pub(crate) fn heartbeat_period(&self) -> Duration {
        self.ttl / 3
    }

    /// How long an invoker may stay critical before Consul removes it from the catalog.
    pub(crate) fn deregister_after(&self) -> Duration {
        (self.ttl * 3).max(MIN_DEREGISTER_AFTER)
    }

    /// The KV folder of this cluster's invoker ids.
    pub(crate) fn ids_prefix(&self) -> String {
        format!("gust/{}/invoker-ids", self.cluster)
    }
}

/// A Go duration string (Consul's format) of whole milliseconds, e.g. `1500ms`.
pub(crate) fn go_duration(d: Duration) -> String {
    format!("{}ms", d.as_millis().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_validation() {
        let c = ConsulConfig::for_cluster("blue");
        c.validate().unwrap();
        assert_eq!(c.service_id(InvokerId(3)), "gust-invoker-blue-3");
        assert_eq!(c.check_id(InvokerId(3)), "gust-invoker-blue-3-ttl");
        assert_eq!(c.heartbeat_period().as_millis(), 3333);
        assert_eq!(c.deregister_after(), Duration::from_secs(60));
        assert_eq!(go_duration(Duration::from_secs(2)), "2000ms");
        assert!(ConsulConfig::for_cluster("a/b").validate().is_err());
        assert!(ConsulConfig::for_cluster("").validate().is_err());
        assert!(ConsulConfig { url: "127.0.0.1:8500".into(), ..ConsulConfig::default() }.validate().is_err());
        assert!(ConsulConfig { ttl: Duration::ZERO, ..ConsulConfig::default() }.validate().is_err());
        let dbg = format!("{:?}", ConsulConfig { token: Some("secret".into()), ..ConsulConfig::default() });
        assert!(!dbg.contains("secret"));
    }
}
