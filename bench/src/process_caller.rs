//! A process per call, the parameters on its stdin, its stdout checked to equal them: (c)
//! `wasmtime run` and (i, j) `docker run --rm` are both this.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{Context as _, bail};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

use crate::load::Caller;

/// Runs `bin args` once per call.
#[derive(Debug)]
pub(crate) struct ProcessCaller {
    /// What it runs, for messages (`wasmtime run`, `docker run`).
    what: &'static str,
    bin: PathBuf,
    args: Vec<OsString>,
    input: Vec<u8>,
    expected: Value,
}

impl ProcessCaller {
    /// A caller running `bin args` with `params` on stdin.
    pub(crate) fn new(what: &'static str, bin: PathBuf, args: Vec<OsString>, params: &Value) -> anyhow::Result<Self> {
        Ok(Self { what, bin, args, input: serde_json::to_vec(params)?, expected: params.clone() })
    }
}

impl Caller for ProcessCaller {
    async fn call(&mut self) -> anyhow::Result<()> {
        let mut child = Command::new(&self.bin)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot run {}", self.bin.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(&self.input).await?;
            // Dropping stdin closes it: the program sees the end of its input.
        }
        let out = child.wait_with_output().await?;
        if !out.status.success() {
            bail!("{} exited with {}: {}", self.what, out.status, String::from_utf8_lossy(&out.stderr).trim());
        }
        let same = serde_json::from_slice::<Value>(&out.stdout).is_ok_and(|v| v == self.expected);
        if !same {
            bail!("the output differs from the input: {}", String::from_utf8_lossy(&out.stdout));
        }
        Ok(())
    }
}
