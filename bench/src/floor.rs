//! (a) The in-process floor: a fresh instance of the echo module per call, with the engine the
//! invoker builds (`WasmSettings::new`, 256 pool slots), and no HTTP, store or bus around it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use gust_core::activation::ActivationStatus;
use gust_invoker::wasm::{DirectLimits, WasmExecutor, WasmModule, WasmSettings};
use serde_json::Value;

use crate::load::Caller;
use crate::tempdir::TempDir;

/// OpenWhisk's default action limits: 60 s, 256 MB, 10 MB of logs.
const LIMITS: DirectLimits =
    DirectLimits { timeout: Duration::from_secs(60), memory_bytes: 256 << 20, log_bytes: 10 << 20 };

/// The engine and the loaded module; dropping it stops the engine's epoch thread.
#[derive(Debug)]
pub(crate) struct Floor {
    exec: WasmExecutor,
    wasm: Vec<u8>,
    modules: Vec<Arc<WasmModule>>,
    env: Arc<[(String, String)]>,
    pooling: bool,
    _cache: TempDir,
}

impl Floor {
    /// Builds the engine and precompiles `wasm` into a scratch cache.
    pub(crate) fn new(wasm: &[u8], max_instances: u32) -> anyhow::Result<Self> {
        let cache = TempDir::new("floor")?;
        let mut settings = WasmSettings::new(cache.path().join("wasm-cache"));
        settings.max_instances = max_instances;
        let exec = WasmExecutor::new(&settings).context("cannot build the Wasm engine")?;
        let module = exec.load(wasm).context("cannot load the echo module")?;
        // The variables the invoker sets for every activation, so the guest's environment is the same size.
        let env: Vec<(String, String)> = [
            ("__OW_ACTIVATION_ID", "a5b2c3d4e5f60718293a4b5c6d7e8f90"),
            ("__OW_ACTION_NAME", "/guest/echo"),
            ("__OW_ACTION_VERSION", "0.0.1"),
            ("__OW_NAMESPACE", "guest"),
            ("__OW_TRANSACTION_ID", "bench"),
            ("__OW_DEADLINE", "4102444800000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let pooling = exec.pooling();
        Ok(Self { exec, wasm: wasm.to_vec(), modules: vec![Arc::new(module)], env: env.into(), pooling, _cache: cache })
    }

    /// Whether the pooling allocator is on.
    pub(crate) fn pooling(&self) -> bool {
        self.pooling
    }

    /// Loads the module again until there are `n` distinct loaded modules (as `n` actions would
    /// be in the invoker: each its own `Module`, memory image and pool-slot affinity).
    pub(crate) fn ensure_copies(&mut self, n: usize) -> anyhow::Result<()> {
        while self.modules.len() < n {
            let module = self.exec.load(&self.wasm).context("cannot load the echo module")?;
            self.modules.push(Arc::new(module));
        }
        Ok(())
    }

    /// A caller for one task in flight, running the first `copies` modules in turn from `first`.
    pub(crate) fn caller(&self, params: &Value, copies: usize, first: usize) -> anyhow::Result<FloorCaller> {
        let copies = copies.clamp(1, self.modules.len());
        Ok(FloorCaller {
            modules: self.modules[..copies].to_vec().into(),
            next: first,
            env: self.env.clone(),
            params: serde_json::to_vec(params)?,
            expected: params.clone(),
        })
    }
}

/// Runs the module directly, checking the result equals the parameters.
#[derive(Debug)]
pub(crate) struct FloorCaller {
    modules: Arc<[Arc<WasmModule>]>,
    next: usize,
    env: Arc<[(String, String)]>,
    params: Vec<u8>,
    expected: Value,
}

impl Caller for FloorCaller {
    async fn call(&mut self) -> anyhow::Result<()> {
        let module = &self.modules[self.next % self.modules.len()];
        self.next = self.next.wrapping_add(1);
        let out = module.invoke(self.params.clone(), &self.env, LIMITS).await;
        if out.response.status != ActivationStatus::Success {
            bail!("activation failed: {} {:?}", out.response.status.as_str(), out.response.result);
        }
        if out.response.result.as_ref() != Some(&self.expected) {
            bail!("wrong result: {:?}", out.response.result);
        }
        Ok(())
    }
}
