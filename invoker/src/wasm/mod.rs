//! The WebAssembly fast path (kind `wasm:wasip1`): modules validated and precompiled when an
//! action is created, cached on disk by digest, loaded once per revision into an
//! `InstancePre`, and run in a fresh instance from the pooling allocator per activation.

mod cache;
mod engine;
mod pipes;
mod run;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use gust_core::action::Action;
use gust_core::exec::Exec;
use gust_core::prepare::{ExecPreparer, ExecRejected};
use wasmtime::{Engine, ExternType, InstancePre, Linker};

pub use engine::WasmSettings;

use crate::executor::{Executor, PrepareError, RunOutcome, RunRequest, Runnable};
use cache::ModuleCache;
use run::{ActState, WasmRun};

/// Why the Wasm path refused a module or could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WasmError {
    /// The engine could not be built.
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    /// The precompiled-module cache failed.
    #[error("WebAssembly module cache: {0}")]
    Cache(String),
    /// The action code is not base64.
    #[error("The action code of a 'wasm:wasip1' action must be a base64-encoded WebAssembly module.")]
    NotBase64,
    /// The bytes are not a valid module.
    #[error("The action code is not a valid WebAssembly module: {0}")]
    Invalid(String),
    /// The module is valid but is not a WASI command.
    #[error(
        "The WebAssembly module does not export a '_start' function: build it as a WASI command for wasm32-wasip1 (a binary, not a library)."
    )]
    NotACommand,
    /// The module imports something the host does not provide.
    #[error("The WebAssembly module cannot run here: {0} (only WASI preview 1 imports are provided).")]
    Link(String),
}

/// Runs `wasm:wasip1` actions.
pub struct WasmExecutor {
    engine: Engine,
    linker: Arc<Linker<ActState>>,
    cache: ModuleCache,
    pooling: bool,
}

impl std::fmt::Debug for WasmExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmExecutor").field("pooling", &self.pooling).finish_non_exhaustive()
    }
}

impl WasmExecutor {
    /// Builds the engine; called once per process.
    pub fn new(settings: &WasmSettings) -> Result<Self, WasmError> {
        let parts = engine::build(settings)?;
        let cache = ModuleCache::new(&settings.cache_dir, &parts.engine)?;
        Ok(Self { engine: parts.engine, linker: parts.linker, cache, pooling: parts.pooling })
    }

    /// Whether the pooling allocator is in use.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// Validates a module, precompiles it into the cache (unless cached already), and checks
    /// that it is a WASI command this host can link. Blocking: tens of ms for a real module.
    pub fn load(&self, wasm: &[u8]) -> Result<WasmModule, WasmError> {
        let path = self.cache.ensure(&self.engine, wasm)?;
        let module = self.cache.load(&self.engine, &path)?;
        let starts = module.exports().any(|e| e.name() == "_start" && matches!(e.ty(), ExternType::Func(_)));
        if !starts {
            return Err(WasmError::NotACommand);
        }
        let pre = self.linker.instantiate_pre(&module).map_err(|e| WasmError::Link(format!("{e:#}")))?;
        Ok(WasmModule { engine: self.engine.clone(), pre, name: String::from("action") })
    }

    /// Decodes the base64 code of a Wasm exec and loads it (off the async workers).
    async fn load_exec(self: &Arc<Self>, exec: &Exec) -> Result<WasmModule, WasmError> {
        let code = exec.code().ok_or(WasmError::NotBase64)?;
        let wasm = base64::engine::general_purpose::STANDARD.decode(code.trim()).map_err(|_| WasmError::NotBase64)?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.load(&wasm))
            .await
            .map_err(|e| WasmError::Engine(format!("compilation task failed: {e}")))?
    }
}

/// A loaded module, ready to instantiate.
pub struct WasmModule {
    engine: Engine,
    pre: InstancePre<ActState>,
    name: String,
}

impl std::fmt::Debug for WasmModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmModule").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Limits of one direct run (see [`WasmModule::invoke`]).
#[derive(Debug, Clone, Copy)]
pub struct DirectLimits {
    /// Time limit.
    pub timeout: Duration,
    /// Memory limit, bytes.
    pub memory_bytes: u64,
    /// Log limit, bytes.
    pub log_bytes: u64,
}

impl WasmModule {
    /// Runs one activation directly, without the invoker around it: the in-process floor the
    /// bench measures, and the body of every Wasm activation.
    pub async fn invoke(&self, params: Vec<u8>, env: &[(String, String)], limits: DirectLimits) -> RunOutcome {
        let out = run::run(
            &self.engine,
            &self.pre,
            WasmRun {
                stdin: params,
                env,
                name: &self.name,
                timeout: limits.timeout,
                memory_bytes: limits.memory_bytes,
                log_bytes: limits.log_bytes,
            },
        )
        .await;
        RunOutcome {
            response: out.response,
            logs: out.logs,
            timed_out: out.timed_out,
            init_time_ms: None,
            started_ms: None,
            leftovers: out.leftovers,
        }
    }
}

#[async_trait]
impl Runnable for WasmModule {
    async fn run(&self, req: RunRequest<'_>) -> RunOutcome {
        let l = req.action.limits;
        let limits = DirectLimits {
            timeout: Duration::from_millis(l.timeout),
            memory_bytes: l.memory_bytes(),
            log_bytes: l.log_bytes(),
        };
        self.invoke(req.params, &req.env, limits).await
    }
}

/// The executor handle the invoker holds.
#[derive(Debug, Clone)]
pub struct WasmRuntime(pub Arc<WasmExecutor>);

#[async_trait]
impl Executor for WasmRuntime {
    fn runs(&self, exec: &Exec) -> bool {
        exec.is_wasm()
    }

    async fn prepare(&self, action: &Action) -> Result<Arc<dyn Runnable>, PrepareError> {
        match self.0.load_exec(&action.exec).await {
            Ok(mut m) => {
                m.name = action.meta.name.clone();
                Ok(Arc::new(m))
            }
            Err(e @ (WasmError::Engine(_) | WasmError::Cache(_))) => Err(PrepareError::internal(e.to_string())),
            Err(e) => Err(PrepareError::developer(e.to_string())),
        }
    }
}

#[async_trait]
impl ExecPreparer for WasmRuntime {
    async fn prepare(&self, exec: &Exec) -> Result<(), ExecRejected> {
        if !exec.is_wasm() {
            return Ok(());
        }
        match self.0.load_exec(exec).await {
            Ok(_) => Ok(()),
            Err(e @ (WasmError::Engine(_) | WasmError::Cache(_))) => {
                // Not the module's fault: accept it; the invoker compiles it on first use.
                tracing::error!(error = %e, "Could not precompile a module at create time.");
                Ok(())
            }
            Err(e) => Err(ExecRejected(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests;
