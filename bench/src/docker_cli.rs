//! The `docker` CLI: whether Docker is usable, a deployment's containers (by its
//! `gust.invoker=<instance>` label), and (i, j) `docker run --rm` per call ([`run_caller`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, bail};
use serde_json::Value;
use tokio::process::Command;

use crate::process_caller::ProcessCaller;

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

/// `docker run --rm -i <args>` per call (`args`: options, image, command), `params` on stdin.
pub(crate) fn run_caller(docker: &DockerCli, args: Vec<String>, params: &Value) -> anyhow::Result<ProcessCaller> {
    let mut all: Vec<OsString> = ["run", "--rm", "-i"].iter().map(OsString::from).collect();
    all.extend(args.into_iter().map(OsString::from));
    ProcessCaller::new("docker run", docker.bin.clone(), all, params)
}
