//! (c) `wasmtime run echo.wasm` as a process per call, the parameters on stdin.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, bail};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

use crate::load::Caller;

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

/// Spawns one `wasmtime run` per call and checks its stdout equals the parameters.
#[derive(Debug)]
pub(crate) struct CliCaller {
    bin: PathBuf,
    module: PathBuf,
    input: Vec<u8>,
    expected: Value,
}

impl CliCaller {
    /// A caller running `module` with `params` on stdin.
    pub(crate) fn new(bin: &Path, module: &Path, params: &Value) -> anyhow::Result<Self> {
        Ok(Self {
            bin: bin.to_path_buf(),
            module: module.to_path_buf(),
            input: serde_json::to_vec(params)?,
            expected: params.clone(),
        })
    }
}

impl Caller for CliCaller {
    async fn call(&mut self) -> anyhow::Result<()> {
        let mut child = Command::new(&self.bin)
            .arg("run")
            .arg(&self.module)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot run {}", self.bin.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(&self.input).await?;
        }
        let out = child.wait_with_output().await?;
        if !out.status.success() {
            bail!("wasmtime run exited with {}: {}", out.status, String::from_utf8_lossy(&out.stderr));
        }
        let same = serde_json::from_slice::<Value>(&out.stdout).is_ok_and(|v| v == self.expected);
        if !same {
            bail!("the output differs from the input: {}", String::from_utf8_lossy(&out.stdout));
        }
        Ok(())
    }
}
