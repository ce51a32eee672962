//! (c) `wasmtime run echo.wasm` as a process per call, the parameters on stdin.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde_json::Value;
use tokio::process::Command;

use crate::process_caller::ProcessCaller;

/// The version the bench documents and `bench/run` installs.
pub(crate) const WASMTIME_VERSION: &str = "48.0.8";

/// The `wasmtime` CLI: the given path, else `wasmtime` on PATH, else `$CARGO_HOME/bin/wasmtime`.
pub(crate) fn find(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = given {
        return Some(p.to_path_buf());
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("wasmtime"))
        .find(|p| p.is_file());
    on_path.or_else(|| {
        let cargo_home = match std::env::var_os("CARGO_HOME") {
            Some(h) => PathBuf::from(h),
            None => PathBuf::from(std::env::var_os("HOME")?).join(".cargo"),
        };
        Some(cargo_home.join("bin/wasmtime")).filter(|p| p.is_file())
    })
}

/// `wasmtime --version`, e.g. `wasmtime 48.0.8 (…)`.
pub(crate) async fn version(bin: &Path) -> anyhow::Result<String> {
    let out =
        Command::new(bin).arg("--version").output().await.with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() {
        bail!("{} --version failed: {}", bin.display(), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// One `wasmtime run module` per call, `params` on stdin.
pub(crate) fn caller(bin: &Path, module: &Path, params: &Value) -> anyhow::Result<ProcessCaller> {
    let args = vec![OsString::from("run"), module.as_os_str().to_owned()];
    ProcessCaller::new("wasmtime run", bin.to_path_buf(), args, params)
}
