//! The configuration file of the distributed roles (`gust controller`, `gust invoker`): one
//! TOML file for a whole deployment, every section with defaults, unknown keys refused, and
//! the settings that differ per process overridable by flags and `GUST_*` variables.
//! `gust.sample.toml` at the repository root documents every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::standalone::parse_duration;
use crate::wiring::DockerMode;

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

/// How long activation records are kept: `7d`, `12h`, ... or `off` (forever). Parsed by
/// [`gust_core::retention::parse_retention`]; the default is
/// [`gust_core::retention::DEFAULT_RETENTION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<Duration>);

impl Default for Retention {
    fn default() -> Self {
        Retention(Some(gust_core::retention::DEFAULT_RETENTION))
    }
}

impl std::str::FromStr for Retention {
    type Err = gust_core::retention::BadRetention;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        gust_core::retention::parse_retention(s).map(Retention)
    }
}

impl<'de> Deserialize<'de> for Retention {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GustConfig {
    /// `[controller]`.
    #[serde(default)]
    pub controller: ControllerSection,
    /// `[invoker]`.
    #[serde(default)]
    pub invoker: InvokerSection,
    /// `[couchdb]`: subjects, entities, activations.
    #[serde(default)]
    pub couchdb: CouchSection,
    /// `[kafka]`: the bus.
    #[serde(default)]
    pub kafka: KafkaSection,
    /// `[consul]`: the invoker registry.
    #[serde(default)]
    pub consul: ConsulSection,
    /// `[[subjects]]`: credentials a controller makes sure exist when it starts.
    #[serde(default)]
    pub subjects: Vec<SubjectSection>,
}

/// `[controller]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerSection {
    /// Its id: completions for its requests come on `completed{id}`. Unique per controller.
    pub id: String,
    /// Where the REST API listens.
    pub listen: SocketAddr,
    /// How many controllers share the invokers (each counts 1/N of their capacity).
    pub controllers: u64,
    /// Where precompiled Wasm modules are cached (create-time validation).
    pub data_dir: PathBuf,
    /// Wasm instance slots of each invoker (match the invokers' `wasm_instances`).
    pub wasm_slots_per_invoker: u64,
    /// How long activation records are kept (`off`: forever). Every controller sweeps.
    pub activation_retention: Retention,
    /// Run a sequence of Wasm actions on one invoker, with no bus hop between its components
    /// (`false`: every sequence is driven step by step by a controller).
    pub fused_sequences: bool,
    /// The deployment's namespace throttles (each controller enforces its share); per-namespace
    /// overrides are set with `gust admin limits`.
    #[serde(flatten)]
    pub limits: LimitsSection,
    /// The HTTP server's timeouts, connection limit and shutdown grace.
    #[serde(flatten)]
    pub connections: ConnectionSection,
}

/// The system's namespace throttles, in a `[controller]` section or as `gust standalone` flags
/// (OpenWhisk's defaults: 60 invocations and 60 trigger fires per minute, 30 in flight).
#[derive(Debug, Clone, Copy, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Action invocations a namespace may start per minute.
    #[arg(long, env = "GUST_INVOCATIONS_PER_MINUTE", default_value_t = 60, value_name = "N")]
    pub invocations_per_minute: u32,
    /// Action invocations a namespace may have in flight at once.
    #[arg(long, env = "GUST_CONCURRENT_INVOCATIONS", default_value_t = 30, value_name = "N")]
    pub concurrent_invocations: u32,
    /// Trigger fires a namespace may make per minute.
    #[arg(long, env = "GUST_FIRES_PER_MINUTE", default_value_t = 60, value_name = "N")]
    pub fires_per_minute: u32,
}

impl Default for LimitsSection {
    fn default() -> Self {
        let t = gust_core::user_limits::Throttles::default();
        Self {
            invocations_per_minute: t.invocations_per_minute,
            concurrent_invocations: t.concurrent_invocations,
            fires_per_minute: t.fires_per_minute,
        }
    }
}

impl LimitsSection {
    /// The throttles these settings make.
    pub fn throttles(&self) -> gust_core::user_limits::Throttles {
        gust_core::user_limits::Throttles {
            invocations_per_minute: self.invocations_per_minute,
            concurrent_invocations: self.concurrent_invocations,
            fires_per_minute: self.fires_per_minute,
        }
    }
}

/// How the API server treats connections, in a `[controller]` section or as `gust standalone`
/// flags: a client gets so long to send a request head, may stall its body so long, is kept
/// alive so long between requests; so many connections may be open (past the limit, the
/// oldest idle ones are closed); a shutdown waits so long for the requests in flight.
#[derive(Debug, Clone, Copy, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionSection {
    /// The longest a request head may take to arrive (e.g. 10s).
    #[arg(long, env = "GUST_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    #[serde(deserialize_with = "duration")]
    pub header_timeout: Duration,
    /// The longest a request body may stall (no byte arriving) before the connection is closed.
    #[arg(long, env = "GUST_BODY_TIMEOUT", default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    #[serde(deserialize_with = "duration")]
    pub body_timeout: Duration,
    /// How long an idle keep-alive connection is kept open.
    #[arg(long, env = "GUST_KEEP_ALIVE_TIMEOUT", default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    #[serde(deserialize_with = "duration")]
    pub keep_alive_timeout: Duration,
    /// The most client connections open at once; past it the oldest idle ones are closed
    /// [default: 10000, or fewer when the open-file limit leaves less after 256].
    #[arg(long, env = "GUST_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// How long a shutdown waits for the requests in flight before closing their connections.
    #[arg(long, env = "GUST_SHUTDOWN_GRACE", default_value = "20s", value_parser = parse_duration, value_name = "DURATION")]
    #[serde(deserialize_with = "duration")]
    pub shutdown_grace: Duration,
}

impl Default for ConnectionSection {
    fn default() -> Self {
        let s = gust_controller::ServeSettings::default();
        Self {
            header_timeout: s.header_timeout,
            body_timeout: s.body_timeout,
            keep_alive_timeout: s.keep_alive_timeout,
            max_connections: None,
            shutdown_grace: s.shutdown_grace,
        }
    }
}

/// Raises the soft open-file limit to the hard one (a server holds a descriptor per
/// connection) and returns it, logged.
pub fn open_files() -> Option<u64> {
    let files = gust_controller::raise_open_file_limit();
    match files {
        Some(n) => tracing::info!(open_files = n, "The open-file limit."),
        None => tracing::info!("The open-file limit is unknown or unlimited."),
    }
    files
}

impl ConnectionSection {
    /// The server settings, the connection limit defaulting from the open-file limit.
    pub fn settings(&self, open_files: Option<u64>) -> gust_controller::ServeSettings {
        gust_controller::ServeSettings {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            keep_alive_timeout: self.keep_alive_timeout,
            max_connections: self
                .max_connections
                .unwrap_or_else(|| gust_controller::default_max_connections(open_files)),
            shutdown_grace: self.shutdown_grace,
        }
    }
}

impl Default for ControllerSection {
    fn default() -> Self {
        Self {
            id: "0".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 3233)),
            controllers: 1,
            data_dir: PathBuf::from("/var/tmp/gust/controller"),
            wasm_slots_per_invoker: 256,
            activation_retention: Retention::default(),
            fused_sequences: true,
            limits: LimitsSection::default(),
            connections: ConnectionSection::default(),
        }
    }
}

/// `[invoker]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvokerSection {
    /// A fixed id (topic `invoker{id}`); without one, an id is claimed from Consul for `name`.
    pub id: Option<u32>,
    /// A stable name for the claimed id [default: the host name].
    pub name: Option<String>,
    /// Memory for action containers, MB.
    pub user_memory_mb: u64,
    /// WebAssembly activations at once.
    pub wasm_instances: u32,
    /// Docker for container actions.
    pub docker: DockerMode,
    /// Idle time before a warm container is paused.
    #[serde(deserialize_with = "duration")]
    pub pause_grace: Duration,
    /// Paused time before a container is removed.
    #[serde(deserialize_with = "duration")]
    pub idle_timeout: Duration,
    /// Keep the runtime manifest's stem cells started.
    pub prewarm: bool,
    /// Stem cells to keep instead of the manifest's (`KIND=COUNT[xMB]`, comma-separated).
    pub stem_cells: Option<String>,
    /// Where the compiled-module cache lives.
    pub data_dir: PathBuf,
    /// What actions see as `__OW_API_HOST`.
    pub api_host: Option<String>,
    /// Answer a blocking caller before the activation record is durable in CouchDB (as
    /// OpenWhisk does); the Kafka offset is committed only after it is, either way.
    pub answer_before_store: bool,
}

impl Default for InvokerSection {
    fn default() -> Self {
        Self {
            id: None,
            name: None,
            user_memory_mb: 2048,
            wasm_instances: 256,
            docker: DockerMode::Auto,
            pause_grace: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(600),
            prewarm: true,
            stem_cells: None,
            data_dir: PathBuf::from("/var/tmp/gust/invoker"),
            api_host: None,
            answer_before_store: true,
        }
    }
}

/// `[couchdb]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CouchSection {
    /// The server.
    pub url: String,
    /// Basic-auth user, if the server needs one.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
    /// Database name prefix (`<prefix>whisks`, `<prefix>activations`, `<prefix>subjects`).
    pub prefix: String,
}

impl Default for CouchSection {
    fn default() -> Self {
        Self { url: "http://127.0.0.1:5984".into(), username: None, password: None, prefix: "gust_".into() }
    }
}

/// `[kafka]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaSection {
    /// Bootstrap brokers, comma separated.
    pub brokers: String,
}

impl Default for KafkaSection {
    fn default() -> Self {
        Self { brokers: "127.0.0.1:9092".into() }
    }
}

/// `[consul]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsulSection {
    /// The agent.
    pub url: String,
    /// This deployment's name (several can share one Consul).
    pub cluster: String,
    /// The invokers' health-check TTL: a silent invoker is dropped after about this long.
    #[serde(deserialize_with = "duration")]
    pub ttl: Duration,
    /// An ACL token, if the agent needs one.
    pub token: Option<String>,
}

impl Default for ConsulSection {
    fn default() -> Self {
        Self { url: "http://127.0.0.1:8500".into(), cluster: "gust".into(), ttl: Duration::from_secs(10), token: None }
    }
}

/// `[[subjects]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectSection {
    /// The namespace the key acts in.
    pub namespace: String,
    /// `UUID:KEY`.
    pub auth: String,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong (with the line).
        message: String,
    },
}

impl GustConfig {
    /// Reads `path`, or the defaults when there is no file.
    pub fn load(path: Option<&Path>) -> Result<GustConfig, ConfigError> {
        let Some(path) = path else { return Ok(GustConfig::default()) };
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid { path: path.display().to_string(), message })
    }

    /// Parses the text of a configuration file.
    pub fn parse(text: &str) -> Result<GustConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_configuration_parses() {
        let sample = include_str!("../../gust.sample.toml");
        let c = GustConfig::parse(sample).unwrap();
        assert_eq!(c.controller.listen.port(), 3233);
        assert_eq!(c.consul.ttl, Duration::from_secs(10));
        assert_eq!(c.subjects.len(), 1);
        assert_eq!(c.controller.activation_retention, Retention::default());
    }

    #[test]
    fn an_empty_file_is_all_defaults() {
        let c = GustConfig::parse("").unwrap();
        assert_eq!(c.kafka.brokers, "127.0.0.1:9092");
        assert_eq!(c.invoker.pause_grace, Duration::from_secs(10));
        assert!(c.invoker.id.is_none());
        assert_eq!(c.controller.limits.throttles(), gust_core::user_limits::Throttles::default());
    }

    #[test]
    fn throttles_are_controller_keys() {
        let c = GustConfig::parse("[controller]\ninvocations_per_minute = 1000\nconcurrent_invocations = 5\n").unwrap();
        assert_eq!(c.controller.limits.invocations_per_minute, 1000);
        assert_eq!(c.controller.limits.concurrent_invocations, 5);
        assert_eq!(c.controller.limits.fires_per_minute, 60);
        assert!(GustConfig::parse("[controller]\ninvocations_per_minute = -1\n").is_err());
    }

    #[test]
    fn connection_settings_are_controller_keys() {
        let c = GustConfig::parse("").unwrap();
        assert_eq!(c.controller.connections.settings(Some(1 << 20)), gust_controller::ServeSettings::default());
        let c = GustConfig::parse(
            "[controller]\nheader_timeout = \"2s\"\nmax_connections = 50\nshutdown_grace = \"500ms\"\n\
             invocations_per_minute = 7\n",
        )
        .unwrap();
        let s = c.controller.connections.settings(None);
        assert_eq!(s.header_timeout, Duration::from_secs(2));
        assert_eq!(s.max_connections, 50);
        assert_eq!(s.shutdown_grace, Duration::from_millis(500));
        assert_eq!(s.keep_alive_timeout, Duration::from_secs(60));
        assert_eq!(c.controller.limits.invocations_per_minute, 7);
        let e = GustConfig::parse("[controller]\nheader_timeout = \"soon\"\n").unwrap_err();
        assert!(e.contains("not a duration"), "{e}");
        let e = GustConfig::parse("[controller]\nheader_timeot = \"1s\"\n").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn activation_retention_is_a_controller_key_defaulting_to_seven_days() {
        let week = Some(Duration::from_secs(7 * 86_400));
        assert_eq!(GustConfig::parse("").unwrap().controller.activation_retention, Retention(week));
        let c = GustConfig::parse("[controller]\nactivation_retention = \"36h\"\n").unwrap();
        assert_eq!(c.controller.activation_retention, Retention(Some(Duration::from_secs(36 * 3600))));
        let c = GustConfig::parse("[controller]\nactivation_retention = \"off\"\n").unwrap();
        assert_eq!(c.controller.activation_retention, Retention(None));
        let e = GustConfig::parse("[controller]\nactivation_retention = \"a week\"\n").unwrap_err();
        assert!(e.contains("not a retention"), "{e}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_the_line() {
        let e = GustConfig::parse("[kafka]\nbroker = \"x\"\n").unwrap_err();
        assert!(e.contains("unknown field `broker`"), "{e}");
        let e = GustConfig::parse("[consul]\nttl = \"soon\"\n").unwrap_err();
        assert!(e.contains("not a duration"), "{e}");
    }
}
