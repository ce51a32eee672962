//! The `docker` CLI: whether Docker is usable, a deployment's containers (by its
//! `gust.invoker=<instance>` label), and (i, j) `docker run --rm` per call, params on stdin.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, bail};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

use crate::load::Caller;

/// The label every container of a Gust deployment carries.
const INVOKER_LABEL: &str = "gust.invoker";

/// One container of `docker ps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    /// Its name, e.g. `gust_<instance>_3_prewarm_nodejs18`.
    pub(crate) name: String,
    /// `created`, `running`, `paused`, `exited`, ...
    pub(crate) state: String,
}

/// The Docker CLI the bench runs.
#[derive(Debug, Clone)]
pub(crate) struct DockerCli {
    bin: PathBuf,
}

impl DockerCli {
    /// `/usr/bin/docker` (Debian's, matching engine 20.10) when present, else `docker` on PATH.
    pub(crate) fn find() -> Self {
        let debian = Path::new("/usr/bin/docker");
        let bin = if debian.is_file() { debian.to_path_buf() } else { PathBuf::from("docker") };
        Self { bin }
    }

    /// The CLI's path.
    pub(crate) fn bin(&self) -> &Path {
        &self.bin
    }

    async fn output(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(&self.bin)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("cannot run {}", self.bin.display()))?;
        if !out.status.success() {
            bail!(
                "`docker {}` failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The engine's version once the daemon answers and every image of `images` is present.
    pub(crate) async fn check(&self, images: &[&str]) -> anyhow::Result<String> {
        let version = self
            .output(&["version", "--format", "{{.Server.Version}}"])
            .await
            .context("the Docker daemon does not answer (scripts/setup-docker starts it)")?;
        for image in images {
            self.output(&["image", "inspect", "--format", "{{.Id}}", image])
                .await
                .with_context(|| format!("the image {image} is missing (runtimes/build-images builds it)"))?;
        }
        Ok(version.trim().to_owned())
    }

    /// The containers of deployment `instance` (all states).
    pub(crate) async fn containers(&self, instance: &str) -> anyhow::Result<Vec<Listed>> {
        let filter = format!("label={INVOKER_LABEL}={instance}");
        let text = self.output(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}\t{{.State}}"]).await?;
        Ok(text
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(name, state)| Listed { name: name.to_owned(), state: state.to_owned() })
            .collect())
    }

    /// Force-removes every container of deployment `instance` (ours only); returns how many.
    pub(crate) async fn remove_all(&self, instance: &str) -> anyhow::Result<usize> {
        let filter = format!("label={INVOKER_LABEL}={instance}");
        let ids = self.output(&["ps", "-aq", "--filter", &filter]).await?;
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(&ids);
            self.output(&args).await?;
        }
        Ok(ids.len())
    }
}

/// `docker run --rm -i <args>` per call, `params` on stdin; checks stdout equals `params`.
#[derive(Debug)]
pub(crate) struct RunCaller {
    bin: PathBuf,
    args: Vec<String>,
    input: Vec<u8>,
    expected: Value,
}

impl RunCaller {
    /// A caller running `docker run --rm -i` followed by `args` (options, image, command).
    pub(crate) fn new(docker: &DockerCli, args: Vec<String>, params: &Value) -> anyhow::Result<Self> {
        Ok(Self { bin: docker.bin.clone(), args, input: serde_json::to_vec(params)?, expected: params.clone() })
    }
}

impl Caller for RunCaller {
    async fn call(&mut self) -> anyhow::Result<()> {
        let mut child = Command::new(&self.bin)
            .args(["run", "--rm", "-i"])
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
            bail!("docker run exited with {}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
        }
        let same = serde_json::from_slice::<Value>(&out.stdout).is_ok_and(|v| v == self.expected);
        if !same {
            bail!("the output differs from the input: {}", String::from_utf8_lossy(&out.stdout));
        }
        Ok(())
    }
}
