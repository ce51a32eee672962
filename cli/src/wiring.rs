//! The one place that chooses backends: it reads the role's settings and builds the trait
//! objects the controller and the invoker are given. A new backend is a new arm here.

use std::path::PathBuf;
use std::sync::Arc;

use gust_controller::{ControllerConfig, ControllerServices};
use gust_core::bus::{InProcessBus, MessageBus};
use gust_core::exec::RuntimeManifest;
use gust_core::messages::{ControllerId, InvokerId};
use gust_core::registry::{InvokerRegistry, LocalRegistry};
use gust_core::retention::Sweeper;
use gust_core::store::{ActivationStore, EntityStore, SubjectStore};
use gust_invoker::docker::{DockerExecutor, DockerRuntime, DockerSettings, DockerUnavailable, PoolConfig};
use gust_invoker::wasm::{WasmExecutor, WasmRuntime, WasmSettings};
use gust_invoker::{Executor, InvokerConfig, InvokerServices};
use gust_sqlite::{JournaledBus, Replayed, SqliteStore};

/// The runtime kinds that run in Docker (kind, image, stem cells), shipped with Gust.
pub const RUNTIME_MANIFEST: &str = include_str!("../../runtimes/manifest.json");

/// The runtime manifest: the built-in Wasm kind and the Docker kinds of [`RUNTIME_MANIFEST`].
pub fn manifest() -> Result<RuntimeManifest, WiringError> {
    RuntimeManifest::with_docker_kinds(RUNTIME_MANIFEST).map_err(|e| WiringError::Manifest(e.to_string()))
}

/// Whether to use Docker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DockerMode {
    /// Use Docker when its daemon answers; otherwise Docker actions fail with a clear error.
    Auto,
    /// Never use Docker.
    Off,
}

/// Starts removing the activation records of `activations` that are older than `retention`
/// in the background (nothing when records are kept forever). Dropping the sweeper stops it.
pub fn retention_sweeper(
    activations: Arc<dyn ActivationStore>,
    retention: crate::config::Retention,
) -> Option<Sweeper> {
    match retention.0 {
        Some(r) => Some(Sweeper::spawn(activations, r)),
        None => {
            tracing::info!("Activation records are kept forever (activation retention is off).");
            None
        }
    }
}

/// What an embedded deployment is built from.
#[derive(Debug, Clone)]
pub struct EmbeddedSettings {
    /// Database and compiled-module cache.
    pub data_dir: PathBuf,
    /// WebAssembly activations at once.
    pub wasm_instances: u32,
    /// Docker or not.
    pub docker: DockerMode,
    /// Container pool sizing and timings.
    pub pool: PoolConfig,
    /// What runtimes see as `__OW_API_HOST`.
    pub api_host: Option<String>,
}

/// Everything an embedded (single-process) deployment runs on.
pub struct Embedded {
    /// The SQLite store behind all three store seams (closed on shutdown).
    pub store: SqliteStore,
    /// In-process channels, with the journal that keeps accepted activations through a crash.
    pub bus: Arc<JournaledBus>,
    /// What the journal held from a previous run (published again before anything else).
    pub replayed: Replayed,
    /// In-process invoker list.
    pub registry: Arc<LocalRegistry>,
    /// The Wasm engine, shared by the invoker (to run) and the controller (to precompile).
    pub wasm: WasmRuntime,
    /// The container pool, when Docker is in use (its containers are removed on shutdown).
    pub docker: Option<Arc<DockerExecutor>>,
    /// Why Docker is not in use, if it is not.
    pub docker_problem: Option<String>,
    manifest: RuntimeManifest,
    wasm_instances: u32,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded").field("store", &self.store).finish_non_exhaustive()
    }
}

/// Why the backends could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    /// The SQLite file could not be opened.
    #[error("cannot open the store at {path}: {source}")]
    Store {
        /// The file.
        path: String,
        /// Why.
        source: gust_sqlite::SqliteError,
    },
    /// The Wasm engine could not start.
    #[error(transparent)]
    Wasm(#[from] gust_invoker::wasm::WasmError),
    /// The runtime manifest does not parse.
    #[error("the runtime manifest is invalid: {0}")]
    Manifest(String),
}

/// Opens the embedded backends, and the Docker pool when Docker is wanted and answers.
pub async fn embedded(settings: &EmbeddedSettings) -> Result<Embedded, WiringError> {
    let manifest = manifest()?;
    let db = settings.data_dir.join("gust.db");
    let store =
        SqliteStore::open(&db).map_err(|source| WiringError::Store { path: db.display().to_string(), source })?;
    let (bus, replayed) = JournaledBus::open(store.clone(), InProcessBus::new())
        .await
        .map_err(|source| WiringError::Store { path: db.display().to_string(), source })?;
    let mut wasm_settings = WasmSettings::new(settings.data_dir.join("wasm-cache"));
    wasm_settings.max_instances = settings.wasm_instances;
    let wasm = WasmRuntime(Arc::new(WasmExecutor::new(&wasm_settings)?));
    let (docker, docker_problem) = match settings.docker {
        DockerMode::Off => (None, Some("Docker is turned off (--docker off).".to_owned())),
        DockerMode::Auto => {
            let instance = instance_name(&settings.data_dir);
            let ds = DockerSettings { instance, pool: settings.pool.clone(), api_host: settings.api_host.clone() };
            match DockerExecutor::start(ds, &manifest).await {
                Ok(d) => (Some(d), None),
                Err(e) => {
                    tracing::warn!(error = %e, "Docker is not available: Docker actions will fail until it is.");
                    (None, Some(e.to_string()))
                }
            }
        }
    };
    Ok(Embedded {
        store,
        bus: Arc::new(bus),
        replayed,
        registry: Arc::new(LocalRegistry::new()),
        wasm,
        docker,
        docker_problem,
        manifest,
        wasm_instances: settings.wasm_instances,
    })
}

/// The name of the deployment kept in `data_dir` (created on first use): its containers carry
/// it, so a restart removes exactly its own leftovers, and two standalones on one Docker host
/// keep out of each other's way.
fn instance_name(data_dir: &std::path::Path) -> String {
    let path = data_dir.join("instance");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_owned();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            return s;
        }
    }
    let fresh = gust_core::ids::random_alphanumeric(10).to_ascii_lowercase();
    if let Err(e) = gust_core::private_files::write(&path, &fresh) {
        tracing::warn!(error = %e, "Cannot remember this deployment's name; leftovers of this run will not be removed next time.");
    }
    fresh
}

impl Embedded {
    fn stores(&self) -> (Arc<dyn EntityStore>, Arc<dyn ActivationStore>, Arc<dyn SubjectStore>) {
        let s = Arc::new(self.store.clone());
        (s.clone(), s.clone(), s)
    }

    /// The retention sweeper of the store (see [`retention_sweeper`]).
    pub fn sweeper(&self, retention: crate::config::Retention) -> Option<Sweeper> {
        retention_sweeper(self.stores().1, retention)
    }

    /// The controller's services.
    pub fn controller(&self) -> (ControllerConfig, ControllerServices) {
        let (entities, activations, subjects) = self.stores();
        let bus: Arc<dyn MessageBus> = self.bus.clone();
        let registry: Arc<dyn InvokerRegistry> = self.registry.clone();
        let services = ControllerServices {
            entities,
            activations,
            subjects,
            bus,
            registry,
            preparer: Arc::new(self.wasm.clone()),
        };
        let mut config = ControllerConfig::new(ControllerId("0".into()));
        config.manifest = self.manifest.clone();
        config.wasm_slots_per_invoker = u64::from(self.wasm_instances);
        // The SQLite store serves its own queued writes: nothing to keep here.
        config.keep_recent_records = false;
        (config, services)
    }

    /// The invoker's services and executors: Wasm always, Docker when available (or a stand-in
    /// that says why not).
    pub fn invoker(&self) -> (InvokerConfig, InvokerServices, Vec<Arc<dyn Executor>>) {
        let (entities, activations, _) = self.stores();
        let services =
            InvokerServices { bus: self.bus.clone(), entities, activations, registry: self.registry.clone() };
        let mut executors: Vec<Arc<dyn Executor>> = vec![Arc::new(self.wasm.clone())];
        match (&self.docker, &self.docker_problem) {
            (Some(d), _) => executors.push(Arc::new(DockerRuntime(d.clone()))),
            (None, problem) => {
                let kinds = gust_invoker::docker::docker_kinds(&self.manifest);
                let reason = problem.clone().unwrap_or_else(|| "Docker is not available.".into());
                executors.push(Arc::new(DockerUnavailable { kinds, reason }));
            }
        }
        let mut config = InvokerConfig::new(InvokerId(0));
        // The controller reads the same SQLite store: a queued record is already readable.
        config.answer_before_durable = true;
        (config, services, executors)
    }
}

/// Everything a distributed role runs on: CouchDB for every store, Kafka for the bus (with
/// the cluster's topic prefix), Consul for the invoker registry.
pub struct Distributed {
    /// The CouchDB store behind the three store seams (closed on shutdown).
    pub store: Arc<gust_couchdb::CouchStore>,
    /// The Kafka bus (closed on shutdown: consumers stop, uncommitted work stays in Kafka).
    pub bus: Arc<dyn MessageBus>,
    /// The Consul registry.
    pub registry: Arc<gust_consul::ConsulRegistry>,
    /// The runtime kinds.
    pub manifest: RuntimeManifest,
}

impl std::fmt::Debug for Distributed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Distributed").finish_non_exhaustive()
    }
}

/// Why a distributed role could not reach its services.
#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    /// CouchDB.
    #[error("CouchDB at {url}: {source}")]
    CouchDb {
        /// Where.
        url: String,
        /// Why.
        source: gust_couchdb::CouchError,
    },
    /// Kafka.
    #[error("Kafka at {brokers}: {source}")]
    Kafka {
        /// Where.
        brokers: String,
        /// Why.
        source: gust_kafka::KafkaError,
    },
    /// Consul.
    #[error("Consul at {url}: {source}")]
    Consul {
        /// Where.
        url: String,
        /// Why.
        source: gust_consul::ConsulError,
    },
    /// The manifest.
    #[error(transparent)]
    Wiring(#[from] WiringError),
}

/// Opens the CouchDB store of `config`.
async fn couch_store(config: &crate::config::GustConfig) -> Result<gust_couchdb::CouchStore, ServicesError> {
    let c = &config.couchdb;
    let mut couch = gust_couchdb::CouchConfig::new(c.url.clone()).with_db_prefix(c.prefix.clone());
    if let (Some(u), Some(p)) = (&c.username, &c.password) {
        couch = couch.with_credentials(u.clone(), p.clone());
    }
    gust_couchdb::CouchStore::open(couch).await.map_err(|source| ServicesError::CouchDb { url: c.url.clone(), source })
}

/// Connects to the services of `config`; `client` names this process to Kafka.
pub async fn distributed(config: &crate::config::GustConfig, client: &str) -> Result<Distributed, ServicesError> {
    let manifest = manifest()?;
    let store = couch_store(config).await?;
    let mut kafka = gust_kafka::KafkaConfig::new(config.kafka.brokers.clone());
    kafka.client_id = client.to_owned();
    let bus = gust_kafka::KafkaBus::connect(kafka)
        .await
        .map_err(|source| ServicesError::Kafka { brokers: config.kafka.brokers.clone(), source })?;
    // Topics and groups carry the cluster's name: deployments sharing a broker never meet.
    let bus: Arc<dyn MessageBus> =
        Arc::new(gust_core::bus::PrefixedBus::new(Arc::new(bus), format!("{}.", config.consul.cluster)));
    let mut consul = gust_consul::ConsulConfig::for_cluster(config.consul.cluster.clone());
    consul.url = config.consul.url.clone();
    consul.ttl = config.consul.ttl;
    consul.token = config.consul.token.clone();
    let registry = gust_consul::ConsulRegistry::connect(consul)
        .await
        .map_err(|source| ServicesError::Consul { url: config.consul.url.clone(), source })?;
    Ok(Distributed { store: Arc::new(store), bus, registry: Arc::new(registry), manifest })
}

/// The store `gust admin` works on.
#[derive(Debug)]
pub enum AdminStore {
    /// A standalone's data directory.
    Sqlite(PathBuf),
    /// The CouchDB of a distributed deployment.
    Couch(Box<crate::config::GustConfig>),
}

/// The subject store `gust admin` opened, to be closed when done.
pub struct OpenedAdminStore {
    /// Credentials and limits.
    pub subjects: Arc<dyn SubjectStore>,
    sqlite: Option<SqliteStore>,
    couch: Option<(Arc<gust_couchdb::CouchStore>, String)>,
}

impl std::fmt::Debug for OpenedAdminStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedAdminStore").finish_non_exhaustive()
    }
}

impl OpenedAdminStore {
    /// Waits until every write is durable, and lets go of the store.
    pub async fn close(self) -> Result<(), ServicesError> {
        if let Some(s) = self.sqlite {
            s.close().await.map_err(|source| {
                ServicesError::Wiring(WiringError::Store { path: s.path().display().to_string(), source })
            })?;
        }
        if let Some((c, url)) = self.couch {
            c.close().await.map_err(|source| ServicesError::CouchDb { url, source })?;
        }
        Ok(())
    }
}

/// Opens the subject store of `target` (creating a standalone's file when it has none yet).
pub async fn admin_store(target: &AdminStore) -> Result<OpenedAdminStore, ServicesError> {
    match target {
        AdminStore::Sqlite(dir) => {
            let db = dir.join("gust.db");
            let store = SqliteStore::open(&db)
                .map_err(|source| WiringError::Store { path: db.display().to_string(), source })?;
            Ok(OpenedAdminStore { subjects: Arc::new(store.clone()), sqlite: Some(store), couch: None })
        }
        AdminStore::Couch(config) => {
            let store = Arc::new(couch_store(config).await?);
            let url = config.couchdb.url.clone();
            Ok(OpenedAdminStore { subjects: store.clone(), sqlite: None, couch: Some((store, url)) })
        }
    }
}
