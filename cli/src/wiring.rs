//! The one place that chooses backends: it reads the role's settings and builds the trait
//! objects the controller and the invoker are given. A new backend is a new arm here.

use std::path::Path;
use std::sync::Arc;

use gust_controller::{ControllerConfig, ControllerServices};
use gust_core::bus::{InProcessBus, MessageBus};
use gust_core::messages::{ControllerId, InvokerId};
use gust_core::registry::{InvokerRegistry, LocalRegistry};
use gust_core::store::{ActivationStore, EntityStore, SubjectStore};
use gust_invoker::wasm::{WasmExecutor, WasmRuntime, WasmSettings};
use gust_invoker::{Executor, InvokerConfig, InvokerServices};
use gust_sqlite::SqliteStore;

/// Everything an embedded (single-process) deployment runs on.
pub struct Embedded {
    /// The SQLite store behind all three store seams (closed on shutdown).
    pub store: SqliteStore,
    /// In-process channels.
    pub bus: Arc<InProcessBus>,
    /// In-process invoker list.
    pub registry: Arc<LocalRegistry>,
    /// The Wasm engine, shared by the invoker (to run) and the controller (to precompile).
    pub wasm: WasmRuntime,
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
}

/// Opens the embedded backends under `data_dir`.
pub fn embedded(data_dir: &Path, wasm_instances: u32) -> Result<Embedded, WiringError> {
    let db = data_dir.join("gust.db");
    let store =
        SqliteStore::open(&db).map_err(|source| WiringError::Store { path: db.display().to_string(), source })?;
    let mut settings = WasmSettings::new(data_dir.join("wasm-cache"));
    settings.max_instances = wasm_instances;
    let wasm = WasmRuntime(Arc::new(WasmExecutor::new(&settings)?));
    Ok(Embedded { store, bus: Arc::new(InProcessBus::new()), registry: Arc::new(LocalRegistry::new()), wasm })
}

impl Embedded {
    fn stores(&self) -> (Arc<dyn EntityStore>, Arc<dyn ActivationStore>, Arc<dyn SubjectStore>) {
        let s = Arc::new(self.store.clone());
        (s.clone(), s.clone(), s)
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
        (ControllerConfig::new(ControllerId("0".into())), services)
    }

    /// The invoker's services and executors.
    pub fn invoker(&self) -> (InvokerConfig, InvokerServices, Vec<Arc<dyn Executor>>) {
        let (entities, activations, _) = self.stores();
        let services =
            InvokerServices { bus: self.bus.clone(), entities, activations, registry: self.registry.clone() };
        let executors: Vec<Arc<dyn Executor>> = vec![Arc::new(self.wasm.clone())];
        (InvokerConfig::new(InvokerId(0)), services, executors)
    }
}
