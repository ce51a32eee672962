//! `gust standalone`: controller and invoker in one process, on SQLite, in-process channels and
//! the Wasm engine. Listens on 127.0.0.1:3233 like OpenWhisk's standalone and accepts
//! OpenWhisk's well-known `guest` key unless told otherwise.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use gust_core::bus::MessageBus;
use gust_core::store::SubjectStore;
use gust_core::subject::{AuthKey, GUEST_AUTH, MIN_KEY_CHARS, SubjectRecord};
use gust_invoker::Invoker;
use gust_invoker::docker::PoolConfig;
use tokio::net::TcpListener;

use crate::wiring;

/// Flags of `gust standalone` (each also readable from a `GUST_*` variable).
#[derive(Debug, Clone, clap::Args)]
pub struct StandaloneArgs {
    /// Port to listen on.
    #[arg(long, env = "GUST_PORT", default_value_t = 3233)]
    pub port: u16,
    /// Address to listen on. A non-loopback address needs a real key (--auth).
    #[arg(long, env = "GUST_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Where the database and the compiled-module cache live [default: the per-user data
    /// directory, e.g. ~/.local/share/gust].
    #[arg(long, env = "GUST_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The one credential accepted, as UUID:KEY [default: OpenWhisk's public guest key].
    #[arg(long, env = "GUST_AUTH", hide_env_values = true)]
    pub auth: Option<String>,
    /// The namespace that credential acts in.
    #[arg(long, env = "GUST_NAMESPACE", default_value = "guest")]
    pub namespace: String,
    /// WebAssembly activations that may run at once.
    #[arg(long, env = "GUST_WASM_INSTANCES", default_value_t = 256)]
    pub wasm_instances: u32,
    /// The API host actions see as __OW_API_HOST [default: this server's address; for action
    /// containers, the Docker bridge's gateway when it listens on loopback, where it listens too].
    #[arg(long, env = "GUST_API_HOST")]
    pub api_host: Option<String>,
    /// Docker for container actions: `auto` uses it when the daemon answers, `off` never.
    #[arg(long, env = "GUST_DOCKER", value_enum, default_value = "auto")]
    pub docker: wiring::DockerMode,
    /// Memory for action containers, MB: warm, paused and prewarmed containers count.
    #[arg(long, env = "GUST_USER_MEMORY", default_value_t = 2048)]
    pub user_memory: u64,
    /// Idle time before a warm container is paused (e.g. 10s, 500ms).
    #[arg(long, env = "GUST_PAUSE_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub pause_grace: Duration,
    /// Paused time before a container is removed (e.g. 10m).
    #[arg(long, env = "GUST_IDLE_TIMEOUT", default_value = "10m", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Keep the runtime manifest's stem cells (prewarmed containers) started.
    #[arg(long, env = "GUST_PREWARM", default_value_t = true, action = clap::ArgAction::Set)]
    pub prewarm: bool,
    /// Stem cells to keep instead of the manifest's: KIND=COUNT[xMB], comma-separated
    /// (e.g. nodejs:18=2,native=1x512). Ignored with --prewarm false.
    #[arg(long, env = "GUST_STEM_CELLS", value_name = "LIST")]
    pub stem_cells: Option<String>,
    /// How long activation records are kept: e.g. 7d, 12h, 30m; `off` (or 0) keeps them
    /// forever. Older records are removed in the background.
    #[arg(long, env = "GUST_ACTIVATION_RETENTION", default_value = "7d", value_name = "DURATION")]
    pub activation_retention: crate::config::Retention,
    /// Run a sequence of Wasm actions in one go on the invoker, with no bus hop between its
    /// components; `false` drives every sequence step by step.
    #[arg(long, env = "GUST_FUSED_SEQUENCES", default_value_t = true, action = clap::ArgAction::Set)]
    pub fused_sequences: bool,
    /// The namespace throttles (per-namespace overrides: `gust admin limits set`).
    #[command(flatten)]
    pub limits: crate::config::LimitsSection,
    /// The HTTP server's timeouts, connection limit and shutdown grace.
    #[command(flatten)]
    pub connections: crate::config::ConnectionSection,
}

/// `500ms`, `10s`, `10m`, `1h`, or a number of milliseconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    const UNITS: &[(&str, u64)] = &[("", 1), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
    gust_core::time::parse_amount(s, UNITS)
        .ok_or_else(|| format!("'{}' is not a duration like 500ms, 10s or 10m", s.trim()))
}

/// The data directory `gust standalone` (and `gust admin`) use without `--data-dir`.
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    dirs::data_local_dir().map(|d| d.join("gust")).context("cannot find a per-user data directory; pass --data-dir")
}

/// The credential to accept. Off loopback, a key others could guess is refused: OpenWhisk's
/// public guest key (in any form) and weak keys.
fn credential(args: &StandaloneArgs) -> anyhow::Result<AuthKey> {
    let raw = args.auth.as_deref().unwrap_or(GUEST_AUTH);
    let key: AuthKey = raw.parse().context("--auth must look like UUID:KEY")?;
    if !args.bind.is_loopback()
        && let Err(weak) = key.fit_for_network()
    {
        let example = AuthKey::generate();
        bail!(
            "refusing to listen on {} with this credential: {weak}. Anyone who can reach this address \
             could run code here.\nConfigure a real key first, for example:\n  \
             gust standalone --bind {} --auth {example}",
            args.bind,
            args.bind
        );
    }
    if key.key.chars().count() < MIN_KEY_CHARS && !key.is_well_known_guest() {
        bail!(
            "the key part of --auth is too short: use at least {MIN_KEY_CHARS} random characters (OpenWhisk uses 64)"
        );
    }
    Ok(key)
}

/// The file in the data directory that remembers the UUID of the credential standalone put
/// in the store (from `--auth`, or the guest key).
const OWN_KEY_FILE: &str = "standalone-key";

/// Makes `key` the standalone's own credential: the one it put in the store before (when the
/// key changed) is removed, so that only the configured key of the standalone works; the
/// credentials `gust admin` created stay.
async fn own_credential(
    store: &gust_sqlite::SqliteStore,
    data_dir: &std::path::Path,
    namespace: &str,
    key: &AuthKey,
) -> anyhow::Result<()> {
    let remembered = data_dir.join(OWN_KEY_FILE);
    let previous = std::fs::read_to_string(&remembered).ok().map(|s| s.trim().to_owned());
    for old in store.list_subjects().await? {
        let was_ours = match &previous {
            Some(uuid) => *uuid == old.uuid,
            // Data directories from before this file: the standalone's record was the one of
            // subject and namespace `namespace`.
            None => old.subject == namespace && old.namespace == namespace,
        };
        if was_ours && old.uuid != key.uuid {
            store.delete_subject(&old.uuid).await?;
        }
    }
    store.put_subject(SubjectRecord::new(namespace, namespace, key)).await?;
    gust_core::private_files::write(&remembered, &key.uuid)
        .with_context(|| format!("cannot write {}", remembered.display()))?;
    Ok(())
}

/// Runs until SIGINT or SIGTERM, then drains: no accepted activation is dropped.
pub async fn run(args: StandaloneArgs) -> anyhow::Result<()> {
    gust_core::names::validate_namespace(&args.namespace).map_err(|e| anyhow::anyhow!("--namespace: {e}"))?;
    let key = credential(&args)?;
    let serving = args.connections.settings(crate::config::open_files());
    let data_dir = match &args.data_dir {
        Some(d) => d.clone(),
        None => default_data_dir()?,
    };
    // Records, parameters and compiled modules: readable by this user only (0700).
    gust_core::private_files::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    // Held until the process ends.
    let _lock = crate::datadir::DataDirLock::acquire(&data_dir)?;
    let addr = SocketAddr::new(args.bind, args.port);
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is another Gust or OpenWhisk running? try --port)"))?;
    let addr = listener.local_addr().unwrap_or(addr);

    let api_host = args.api_host.clone().unwrap_or_else(|| format!("http://{addr}"));
    // Containers cannot reach loopback: they may get the Docker bridge's address instead.
    let bridge = crate::bridge::container_access(args.docker, args.api_host.is_some(), addr).await;
    let container_api_host = bridge.as_ref().map_or_else(|| api_host.clone(), |b| b.api_host.clone());
    let manifest = wiring::manifest()?;
    let stem_cells = gust_invoker::docker::chosen_stem_cells(&manifest, args.prewarm, args.stem_cells.as_deref())
        .context("--stem-cells")?;
    let settings = wiring::EmbeddedSettings {
        data_dir: data_dir.clone(),
        wasm_instances: args.wasm_instances,
        docker: args.docker,
        pool: PoolConfig {
            user_memory_mb: args.user_memory,
            pause_grace: args.pause_grace,
            idle_timeout: args.idle_timeout,
            stem_cells,
        },
        api_host: Some(container_api_host.clone()),
    };
    let parts = wiring::embedded(&settings).await?;
    let replayed = parts.replayed;
    if replayed.published > 0 {
        tracing::warn!(
            activations = replayed.published,
            "The last run stopped before these accepted activations finished: they run again now, with their ids."
        );
    }
    own_credential(&parts.store, &data_dir, &args.namespace, &key).await?;
    crate::catalog::install_or_warn(&parts.store).await;

    let (mut icfg, iservices, executors) = parts.invoker();
    icfg.max_concurrent = args.wasm_instances as usize;
    icfg.user_memory_mb = args.user_memory;
    icfg.api_host = Some(api_host.clone());
    let invoker = Invoker::new(icfg, iservices, executors);
    let invoker_task = tokio::spawn(invoker.run());

    let (mut ccfg, cservices) = parts.controller();
    ccfg.throttles = args.limits.throttles();
    ccfg.fuse_sequences = args.fused_sequences;
    let state = gust_controller::start(ccfg, cservices);
    let sweeper = parts.sweeper(args.activation_retention);
    tracing::info!(address = %addr, data = %data_dir.display(), namespace = %args.namespace, "Gust standalone is ready.");
    eprintln!(
        "Gust standalone listening on http://{addr} (namespace '{}', data in {})",
        args.namespace,
        data_dir.display()
    );
    if container_api_host != api_host {
        eprintln!("Action containers reach it at {container_api_host} (the Docker bridge, not a public address).");
    }
    match (&parts.docker, &parts.docker_problem) {
        (Some(d), _) if !d.missing_images().is_empty() => eprintln!(
            "Docker actions run in containers, but these runtime images are not built: {}.\n\
             Their kinds fail until you build them with: runtimes/build-images",
            d.missing_images().join(", ")
        ),
        (Some(_), _) => eprintln!("Docker actions run in containers (user memory {} MB).", args.user_memory),
        (None, Some(why)) => eprintln!("Docker actions are unavailable: {why}"),
        (None, None) => {}
    }
    let l = &args.limits;
    eprintln!(
        "Each namespace may start {} invocations a minute and have {} in flight (--invocations-per-minute, \
         --concurrent-invocations; per namespace: gust admin limits set).",
        l.invocations_per_minute, l.concurrent_invocations
    );
    match args.activation_retention.0 {
        Some(r) => {
            eprintln!("Activation records are kept for {} (--activation-retention).", gust_core::retention::describe(r))
        }
        None => eprintln!("Activation records are kept forever (--activation-retention off)."),
    }
    if key.is_well_known_guest() {
        eprintln!("Accepting OpenWhisk's guest key: wsk property set --apihost http://{addr} --auth {GUEST_AUTH}");
    }

    let listeners = std::iter::once(listener).chain(bridge.and_then(|b| b.listener)).collect();
    gust_controller::serve_all(listeners, state, serving, shutdown_signal()).await.context("the HTTP server failed")?;
    tracing::info!("Shutting down: finishing accepted activations.");
    drop(sweeper);
    parts.bus.close();
    match tokio::time::timeout(Duration::from_secs(330), invoker_task).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::error!(error = %e, "The invoker stopped with an error."),
        Ok(Err(e)) => tracing::error!(error = %e, "The invoker task failed."),
        Err(_) => tracing::error!("The invoker did not finish in time."),
    }
    if let Some(docker) = &parts.docker {
        docker.shutdown().await;
    }
    parts.store.close().await.context("closing the store")?;
    eprintln!("Gust standalone stopped.");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(bind: &str, auth: Option<&str>) -> StandaloneArgs {
        StandaloneArgs {
            port: 0,
            bind: bind.parse().unwrap(),
            data_dir: None,
            auth: auth.map(str::to_owned),
            namespace: "guest".into(),
            wasm_instances: 8,
            api_host: None,
            docker: wiring::DockerMode::Off,
            user_memory: 2048,
            pause_grace: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(600),
            prewarm: true,
            stem_cells: None,
            activation_retention: crate::config::Retention::default(),
            fused_sequences: true,
            limits: crate::config::LimitsSection::default(),
            connections: crate::config::ConnectionSection::default(),
        }
    }

    /// The flags of `gust standalone` after `gust`, parsed.
    fn parsed(flags: &[&str]) -> Result<StandaloneArgs, clap::Error> {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: StandaloneArgs,
        }
        let argv = std::iter::once("gust").chain(flags.iter().copied());
        <Cli as clap::Parser>::try_parse_from(argv).map(|c| c.args)
    }

    #[test]
    fn throttles_default_to_openwhisks() {
        assert_eq!(parsed(&[]).unwrap().limits.throttles(), gust_core::user_limits::Throttles::default());
        assert_eq!(parsed(&["--invocations-per-minute", "5"]).unwrap().limits.invocations_per_minute, 5);
    }

    #[test]
    fn connection_settings_are_flags() {
        assert_eq!(parsed(&[]).unwrap().connections.settings(None), gust_controller::ServeSettings::default());
        let args = parsed(&[
            "--header-timeout",
            "1s",
            "--body-timeout",
            "2s",
            "--keep-alive-timeout",
            "3s",
            "--max-connections",
            "40",
            "--shutdown-grace",
            "500ms",
        ])
        .unwrap();
        let s = args.connections.settings(None);
        assert_eq!(
            (s.header_timeout, s.body_timeout, s.keep_alive_timeout, s.max_connections, s.shutdown_grace),
            (Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(3), 40, Duration::from_millis(500))
        );
        assert_eq!(args.idle_timeout, Duration::from_secs(600), "the containers' idle timeout is another");
    }

    #[test]
    fn activation_retention_defaults_to_seven_days_and_can_be_off() {
        let parse = |flags: &[&str]| parsed(flags).map(|a| a.activation_retention.0);
        assert_eq!(parse(&[]).unwrap(), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse(&["--activation-retention", "2h"]).unwrap(), Some(Duration::from_secs(7200)));
        assert_eq!(parse(&["--activation-retention", "off"]).unwrap(), None);
        assert_eq!(parse(&["--activation-retention", "0"]).unwrap(), None);
        let err = parse(&["--activation-retention", "forever"]).err().unwrap().to_string();
        assert!(err.contains("not a retention"), "{err}");
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("250"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn the_guest_key_is_refused_off_loopback() {
        let err = credential(&args("0.0.0.0", None)).unwrap_err().to_string();
        assert!(err.contains("refusing to listen on 0.0.0.0"), "{err}");
        assert!(err.contains("public guest key"), "{err}");
        // The guest secret under another UUID, the whole key uppercased, a weak key: refused
        // off loopback, the weak one accepted on loopback.
        let guest_secret = GUEST_AUTH.split_once(':').unwrap().1;
        let renamed = format!("{}:{guest_secret}", AuthKey::generate().uuid);
        assert!(credential(&args("0.0.0.0", Some(&renamed))).is_err());
        assert!(credential(&args("10.1.2.3", Some(&GUEST_AUTH.to_uppercase()))).is_err());
        let weak = format!("{}:aaaaaaaaaaaaaaaa", AuthKey::generate().uuid);
        let err = credential(&args("0.0.0.0", Some(&weak))).unwrap_err().to_string();
        assert!(err.contains("too predictable"), "{err}");
        assert!(credential(&args("127.0.0.1", Some(&weak))).is_ok());
        assert!(credential(&args("127.0.0.1", None)).unwrap().is_well_known_guest());
        assert!(credential(&args("::1", None)).is_ok());
        let real = AuthKey::generate().to_string();
        assert!(credential(&args("0.0.0.0", Some(&real))).is_ok());
        assert!(credential(&args("0.0.0.0", Some("u:short"))).is_err());
    }
}
