//! `gust controller` and `gust invoker`: the roles of a distributed deployment, on CouchDB,
//! Kafka and Consul (see gust.sample.toml). Any number of controllers, one invoker per
//! machine; `gust standalone` needs none of this.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use gust_core::messages::{ControllerId, InvokerId};
use gust_core::store::SubjectStore;
use gust_core::subject::{AuthKey, SubjectRecord};
use gust_invoker::docker::{DockerExecutor, DockerRuntime, DockerSettings, DockerUnavailable, PoolConfig};
use gust_invoker::wasm::{WasmExecutor, WasmRuntime, WasmSettings};
use gust_invoker::{Executor, Invoker, InvokerConfig, InvokerServices};
use tokio::net::TcpListener;

use crate::config::GustConfig;
use crate::standalone::shutdown_signal;
use crate::wiring::{self, DockerMode};

/// Where the services are, overriding the file (for one process).
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// The configuration file (see gust.sample.toml) [default: built-in defaults].
    #[arg(long, env = "GUST_CONFIG")]
    pub config: Option<PathBuf>,
    /// CouchDB URL.
    #[arg(long, env = "GUST_COUCHDB_URL")]
    pub couchdb: Option<String>,
    /// Kafka bootstrap brokers.
    #[arg(long, env = "GUST_KAFKA_BROKERS")]
    pub kafka: Option<String>,
    /// Consul agent URL.
    #[arg(long, env = "GUST_CONSUL_URL")]
    pub consul: Option<String>,
}

impl ServiceArgs {
    fn load(&self) -> anyhow::Result<GustConfig> {
        let mut c = GustConfig::load(self.config.as_deref())?;
        if let Some(u) = &self.couchdb {
            c.couchdb.url = u.clone();
        }
        if let Some(b) = &self.kafka {
            c.kafka.brokers = b.clone();
        }
        if let Some(u) = &self.consul {
            c.consul.url = u.clone();
        }
        Ok(c)
    }
}

/// Flags of `gust controller`.
#[derive(Debug, Clone, clap::Args)]
pub struct ControllerArgs {
    #[command(flatten)]
    services: ServiceArgs,
    /// This controller's id (unique among the controllers).
    #[arg(long, env = "GUST_CONTROLLER_ID")]
    id: Option<String>,
    /// Where the REST API listens.
    #[arg(long, env = "GUST_LISTEN")]
    listen: Option<SocketAddr>,
}

/// Flags of `gust invoker`.
#[derive(Debug, Clone, clap::Args)]
pub struct InvokerArgs {
    #[command(flatten)]
    services: ServiceArgs,
    /// A fixed invoker id (consumes topic invoker<ID>).
    #[arg(long, env = "GUST_INVOKER_ID")]
    id: Option<u32>,
    /// The name an id is claimed for in Consul when no id is given [default: the host name].
    #[arg(long, env = "GUST_INVOKER_NAME")]
    name: Option<String>,
}

/// Makes sure the configured credentials exist (keys are stored hashed). A controller that
/// listens off loopback refuses keys others could guess (the public guest key, weak keys).
async fn ensure_subjects(store: &dyn SubjectStore, config: &GustConfig) -> anyhow::Result<()> {
    let listen = config.controller.listen;
    for s in &config.subjects {
        gust_core::names::validate_namespace(&s.namespace)
            .map_err(|e| anyhow::anyhow!("[[subjects]] namespace '{}': {e}", s.namespace))?;
        let key: AuthKey = s.auth.parse().with_context(|| format!("[[subjects]] auth for '{}'", s.namespace))?;
        if !listen.ip().is_loopback()
            && let Err(weak) = key.fit_for_network()
        {
            anyhow::bail!(
                "refusing to listen on {listen} with the [[subjects]] credential of '{}': {weak}. Generate \
                 one with `gust admin --config FILE user create {}`, or listen on loopback",
                s.namespace,
                s.namespace
            );
        }
        if store.identify(&key).await?.is_none_or(|id| id.namespace != s.namespace) {
            store.put_subject(SubjectRecord::new(&s.namespace, &s.namespace, &key)).await?;
        }
    }
    Ok(())
}

/// Runs a controller until SIGINT or SIGTERM.
pub async fn controller(args: ControllerArgs) -> anyhow::Result<()> {
    let mut config = args.services.load()?;
    if let Some(id) = args.id {
        config.controller.id = id;
    }
    if let Some(l) = args.listen {
        config.controller.listen = l;
    }
    let c = config.controller.clone();
    let serving = c.connections.settings(crate::config::open_files());
    let listener = TcpListener::bind(c.listen).await.with_context(|| format!("cannot listen on {}", c.listen))?;
    let parts = wiring::distributed(&config, &format!("controller-{}", c.id)).await?;
    ensure_subjects(parts.store.as_ref(), &config).await?;
    crate::catalog::install_or_warn(parts.store.as_ref()).await;

    gust_core::private_files::create_dir_all(&c.data_dir)
        .with_context(|| format!("cannot create {}", c.data_dir.display()))?;
    let mut ws = WasmSettings::new(c.data_dir.join("wasm-cache"));
    ws.max_instances = 4;
    let preparer = WasmRuntime(Arc::new(WasmExecutor::new(&ws)?));
    let mut cc = gust_controller::ControllerConfig::new(ControllerId(c.id.clone()));
    cc.manifest = parts.manifest.clone();
    cc.controllers = c.controllers;
    cc.wasm_slots_per_invoker = c.wasm_slots_per_invoker;
    cc.throttles = c.limits.throttles();
    cc.fuse_sequences = c.fused_sequences;
    let services = gust_controller::ControllerServices {
        entities: parts.store.clone(),
        activations: parts.store.clone(),
        subjects: parts.store.clone(),
        bus: parts.bus.clone(),
        registry: parts.registry.clone(),
        preparer: Arc::new(preparer),
    };
    let state = gust_controller::start(cc, services);
    // Every controller sweeps: removals are idempotent, so several at once only repeat work.
    let sweeper = wiring::retention_sweeper(parts.store.clone(), c.activation_retention);
    tracing::info!(id = %c.id, address = %c.listen, cluster = %config.consul.cluster, "Gust controller is ready.");
    gust_controller::serve(listener, state, serving, shutdown_signal()).await.context("the HTTP server failed")?;
    drop(sweeper);
    parts.bus.close();
    parts.store.close().await.context("closing the store")?;
    tracing::info!("Gust controller stopped.");
    Ok(())
}

/// The host name, for claiming an invoker id.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Runs an invoker until SIGINT or SIGTERM, then lets what it runs finish (what it has not
/// started stays in Kafka for its next run).
pub async fn invoker(args: InvokerArgs) -> anyhow::Result<()> {
    let mut config = args.services.load()?;
    if args.id.is_some() {
        config.invoker.id = args.id;
    }
    if args.name.is_some() {
        config.invoker.name = args.name;
    }
    let iv = config.invoker.clone();
    let parts = wiring::distributed(&config, "invoker").await?;
    let id = match iv.id {
        Some(n) => InvokerId(n),
        None => {
            let name = iv.name.clone().unwrap_or_else(host_name);
            let id = parts.registry.claim_invoker_id(&name).await?;
            tracing::info!(name, id = id.0, "Claimed an invoker id.");
            id
        }
    };

    gust_core::private_files::create_dir_all(&iv.data_dir)
        .with_context(|| format!("cannot create {}", iv.data_dir.display()))?;
    let mut ws = WasmSettings::new(iv.data_dir.join("wasm-cache"));
    ws.max_instances = iv.wasm_instances;
    let wasm = WasmRuntime(Arc::new(WasmExecutor::new(&ws)?));
    let mut executors: Vec<Arc<dyn Executor>> = vec![Arc::new(wasm)];
    let docker = match iv.docker {
        DockerMode::Off => {
            let kinds = gust_invoker::docker::docker_kinds(&parts.manifest);
            let reason = "Docker is turned off for this invoker.".to_owned();
            executors.push(Arc::new(DockerUnavailable { kinds, reason }));
            None
        }
        DockerMode::Auto => {
            let instance: String = format!("{}i{}", config.consul.cluster, id.0)
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            let stem_cells =
                gust_invoker::docker::chosen_stem_cells(&parts.manifest, iv.prewarm, iv.stem_cells.as_deref())
                    .context("[invoker] stem_cells")?;
            let settings = DockerSettings {
                instance,
                pool: PoolConfig {
                    user_memory_mb: iv.user_memory_mb,
                    pause_grace: iv.pause_grace,
                    idle_timeout: iv.idle_timeout,
                    stem_cells,
                },
                api_host: iv.api_host.clone(),
            };
            match DockerExecutor::start(settings, &parts.manifest).await {
                Ok(d) => {
                    executors.push(Arc::new(DockerRuntime(d.clone())));
                    Some(d)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "Docker is not available: Docker actions will fail on this invoker.");
                    let kinds = gust_invoker::docker::docker_kinds(&parts.manifest);
                    executors.push(Arc::new(DockerUnavailable { kinds, reason: e.to_string() }));
                    None
                }
            }
        }
    };

    let mut ic = InvokerConfig::new(id);
    ic.user_memory_mb = iv.user_memory_mb;
    ic.max_concurrent = iv.wasm_instances as usize;
    ic.api_host = iv.api_host.clone();
    ic.answer_before_durable = iv.answer_before_store;
    let services = InvokerServices {
        bus: parts.bus.clone(),
        entities: parts.store.clone(),
        activations: parts.store.clone(),
        registry: parts.registry.clone(),
    };
    let run = Invoker::new(ic, services, executors).run();
    tracing::info!(invoker = %id, cluster = %config.consul.cluster, "Gust invoker is ready.");
    // On a signal, close the bus: the invoker then finishes what it runs and returns.
    let bus = parts.bus.clone();
    let stop = async move {
        shutdown_signal().await;
        tracing::info!("Stopping: finishing the activations in flight.");
        bus.close();
        std::future::pending::<()>().await
    };
    let result = tokio::select! {
        r = run => r,
        () = stop => Ok(()),
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "The invoker stopped with an error.");
    }
    if let Some(d) = docker {
        d.shutdown().await;
    }
    parts.store.close().await.context("closing the store")?;
    tracing::info!("Gust invoker stopped.");
    Ok(())
}
