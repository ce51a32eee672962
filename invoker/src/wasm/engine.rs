//! The one wasmtime `Engine` of an invoker: pooling allocator, epoch ticker, WASI p1 linker.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, Linker, PoolingAllocationConfig};

use super::WasmError;
use super::run::ActState;

/// How often the epoch advances; timeouts are checked at this granularity, and a running
/// guest yields to the scheduler this often.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Settings of the Wasm fast path.
#[derive(Debug, Clone)]
pub struct WasmSettings {
    /// Activations that may run at once: the pool's instance, memory and stack slots.
    pub max_instances: u32,
    /// The largest memory limit an action may have, bytes (OpenWhisk's maximum is 512 MB).
    pub max_memory_bytes: u64,
    /// Linear memory kept resident per pool slot between activations, bytes. Together with
    /// `pagemap_scan` this removes the page faults and IPIs of tearing instances down.
    pub keep_resident_bytes: usize,
    /// Where precompiled modules (`.cwasm`) are cached, by content digest.
    pub cache_dir: PathBuf,
    /// Use the pooling allocator (falls back to on-demand allocation if the host refuses it).
    pub pooling: bool,
}

impl WasmSettings {
    /// Defaults for an invoker caching under `cache_dir`.
    pub fn new(cache_dir: PathBuf) -> Self {
        Self {
            max_instances: 256,
            max_memory_bytes: 512 << 20,
            keep_resident_bytes: 256 << 10,
            cache_dir,
            pooling: true,
        }
    }
}

/// The engine and the linker every action revision is instantiated with.
pub(crate) struct EngineParts {
    pub(crate) engine: Engine,
    pub(crate) linker: Arc<Linker<ActState>>,
    /// Whether the pooling allocator is in use (reported by the bench).
    pub(crate) pooling: bool,
}

fn config(settings: &WasmSettings, pooling: bool) -> Config {
    let mut cfg = Config::new();
    cfg.epoch_interruption(true);
    if pooling {
        let n = settings.max_instances.max(1);
        let mut pool = PoolingAllocationConfig::new();
        pool.total_memories(n)
            .total_tables(n)
            .total_core_instances(n)
            .total_stacks(n)
            .max_memory_size(settings.max_memory_bytes as usize)
            .linear_memory_keep_resident(settings.keep_resident_bytes)
            .table_keep_resident(64 << 10)
            .pagemap_scan(Enabled::Auto);
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    cfg
}

/// Builds the engine (pooling when possible), starts the epoch ticker and links WASI p1.
pub(crate) fn build(settings: &WasmSettings) -> Result<EngineParts, WasmError> {
    let (engine, pooling) = match Engine::new(&config(settings, settings.pooling)) {
        Ok(e) => (e, settings.pooling),
        Err(e) if settings.pooling => {
            tracing::warn!(error = %e, "Pooling allocator unavailable; falling back to on-demand allocation.");
            (Engine::new(&config(settings, false)).map_err(|e| WasmError::Engine(e.to_string()))?, false)
        }
        Err(e) => return Err(WasmError::Engine(e.to_string())),
    };
    start_ticker(&engine)?;
    let mut linker: Linker<ActState> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut ActState| &mut s.wasi)
        .map_err(|e| WasmError::Engine(e.to_string()))?;
    Ok(EngineParts { engine, linker: Arc::new(linker), pooling })
}

/// One thread advances the epoch every tick for as long as the engine lives.
fn start_ticker(engine: &Engine) -> Result<(), WasmError> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("gust-wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(|_| ())
        .map_err(|e| WasmError::Engine(format!("cannot start the epoch ticker: {e}")))
}
