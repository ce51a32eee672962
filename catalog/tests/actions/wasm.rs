//! Runs the catalog's embedded modules the way Gust's invoker runs a `wasm:wasip1` action: a
//! fresh WASI p1 instance per activation, the parameters as JSON on stdin, the `__OW_*`
//! variables in the environment, the result as one JSON line on stdout.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;
use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

/// The namespace the activations run in unless a test says otherwise.
pub(crate) const NAMESPACE: &str = "guest";
/// The API host the activations are told unless a test says otherwise.
pub(crate) const API_HOST: &str = "http://127.0.0.1:3233";

/// One engine and linker for every test, and each catalog action compiled once.
struct Runner {
    engine: Engine,
    linker: Linker<WasiP1Ctx>,
    /// By `package/action`.
    modules: BTreeMap<String, Module>,
}

fn runner() -> &'static Runner {
    static RUNNER: OnceLock<Runner> = OnceLock::new();
    RUNNER.get_or_init(|| {
        let engine = Engine::default();
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx).expect("WASI p1 links");
        let packages = gust_catalog::packages().unwrap_or_else(|missing| panic!("{missing}"));
        let mut modules = BTreeMap::new();
        for package in &packages {
            for action in &package.actions {
                let module = Module::new(&engine, action.module)
                    .unwrap_or_else(|e| panic!("{}/{} does not compile: {e:#}", package.name, action.name));
                modules.insert(format!("{}/{}", package.name, action.name), module);
            }
        }
        Runner { engine, linker, modules }
    })
}

/// Runs `action` (`package/action`) on `params` with `__OW_NAMESPACE` and `__OW_API_HOST`
/// set, and returns its result.
pub(crate) fn run(action: &str, params: Value) -> Value {
    run_with_env(action, params, &[("__OW_NAMESPACE", NAMESPACE), ("__OW_API_HOST", API_HOST)])
}

/// Runs `action` on `params` with exactly the environment `env`, and returns its result.
pub(crate) fn run_with_env(action: &str, params: Value, env: &[(&str, &str)]) -> Value {
    let runner = runner();
    let module = runner.modules.get(action).unwrap_or_else(|| panic!("no action {action} in the catalog"));
    let stdin = serde_json::to_vec(&params).expect("parameters serialize");
    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    let wasi = WasiCtxBuilder::new()
        .stdin(MemoryInputPipe::new(stdin))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .envs(env)
        .arg(action)
        .build_p1();
    let mut store = Store::new(&runner.engine, wasi);
    let instance = runner.linker.instantiate(&mut store, module).unwrap_or_else(|e| panic!("{action}: {e:#}"));
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start").unwrap_or_else(|e| panic!("{action}: {e:#}"));
    if let Err(e) = start.call(&mut store, ()) {
        let code = e.downcast_ref::<I32Exit>().map(|exit| exit.0);
        let logs = String::from_utf8_lossy(&stderr.contents()).into_owned();
        assert_eq!(code, Some(0), "{action} failed: {e:#}; logs: {logs}");
    }
    let out = stdout.contents();
    let text = std::str::from_utf8(&out).unwrap_or_else(|e| panic!("{action} wrote no UTF-8: {e}"));
    let line = text.strip_suffix('\n').unwrap_or_else(|| panic!("{action} wrote no line: {text:?}"));
    assert!(!line.contains('\n'), "{action} wrote more than one line: {text:?}");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{action} wrote no JSON ({e}): {line}"))
}

/// The message of an application error result, which must have no other key.
pub(crate) fn error_of(result: &Value) -> &str {
    let object = result.as_object().unwrap_or_else(|| panic!("not an object: {result}"));
    assert_eq!(object.len(), 1, "an error result has one key: {result}");
    object.get("error").and_then(Value::as_str).unwrap_or_else(|| panic!("not an error: {result}"))
}
