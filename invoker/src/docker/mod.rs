//! The Docker path: actions of the runtime kinds (`nodejs:18`, `python:3.11`, `native`) and
//! user images (`blackbox`) run in containers, as OpenWhisk runs them: create, start, inspect,
//! `/init`, `/run`, collect the logs up to the sentinels, keep the container warm.
//!
//! - [`client`]: the Engine API (bollard), with labels to find our own containers;
//! - [`gateway`]: the bridge network's gateway, where containers reach the host;
//! - [`start`]: creating a container with OpenWhisk's flags;
//! - [`container`]: a started container, its keep-alive HTTP client and its output;
//! - [`logs`]: output split into activations at the sentinels, within the log limit;
//! - [`placement`]: the pure placement decision; [`pool`]: the task that owns the containers;
//! - [`run`]: one activation on a container; [`stem_cells`]: which prewarmed containers to keep.

mod client;
mod container;
mod gateway;
mod logs;
mod oom;
mod placement;
mod pool;
mod run;
mod start;
mod stem_cells;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use gust_core::action::Action;
use gust_core::exec::{Exec, RuntimeManifest, Sandbox};

pub use client::DockerError;
pub use gateway::bridge_gateway;
pub use pool::{PoolConfig, StemCell};
pub use stem_cells::{StemCellsError, chosen_stem_cells};

use crate::executor::{Executor, PrepareError, Runnable};
use client::Docker;
use pool::Pool;
use start::Starter;

/// Settings of the Docker path of one invoker.
#[derive(Debug, Clone)]
pub struct DockerSettings {
    /// This invoker's name among every Gust on the Docker host: it is in container names and
    /// in the `gust.invoker` label, so that an invoker removes its own leftovers and nobody
    /// else's (two standalones, or a test suite, can share one daemon). `[a-z0-9]` only.
    pub instance: String,
    /// Pool sizing and timings.
    pub pool: PoolConfig,
    /// The API host runtimes see as `__OW_API_HOST`.
    pub api_host: Option<String>,
}

/// Runs Docker actions for one invoker.
pub struct DockerExecutor {
    docker: Docker,
    pool: Pool,
    starter: Starter,
    /// kind -> image.
    images: HashMap<String, String>,
    /// Runtime images that were not built when the pool started.
    missing: Vec<String>,
    oom: oom::OomWatch,
}

impl std::fmt::Debug for DockerExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerExecutor").field("images", &self.images).finish_non_exhaustive()
    }
}

impl DockerExecutor {
    /// Connects to the daemon, removes this invoker's leftover containers, checks the runtime
    /// images and starts the pool (and its stem cells).
    pub async fn start(
        settings: DockerSettings,
        manifest: &RuntimeManifest,
    ) -> Result<Arc<DockerExecutor>, DockerError> {
        let docker = Docker::connect(settings.instance.clone()).await?;
        let leftovers = docker.own_containers().await?;
        if !leftovers.is_empty() {
            tracing::info!(count = leftovers.len(), "Removing containers left over by an earlier run.");
        }
        for id in leftovers {
            docker.remove(&id).await?;
        }
        let mut images = HashMap::new();
        for k in &manifest.kinds {
            if let Sandbox::Docker { image } = &k.sandbox {
                images.insert(k.kind.clone(), image.clone());
            }
        }
        let mut pool_config = settings.pool.clone();
        let mut missing = vec![];
        for image in images.values() {
            if !docker.has_image(image).await? {
                missing.push(image.clone());
            }
        }
        if !missing.is_empty() {
            missing.sort();
            tracing::warn!(
                images = %missing.join(", "),
                "Runtime images are missing: their kinds fail until they are built with runtimes/build-images."
            );
            let absent = missing.clone();
            pool_config.stem_cells.retain(|c| !absent.contains(&c.image));
        }
        let starter = Starter {
            docker: docker.clone(),
            http: container::http_client(),
            instance: settings.instance.clone(),
            user_memory_mb: pool_config.user_memory_mb,
            api_host: settings.api_host.clone(),
        };
        let oom = oom::OomWatch::start(&docker);
        let pool = Pool::start(pool_config, docker.clone(), starter.clone());
        Ok(Arc::new(DockerExecutor { docker, pool, starter, images, missing, oom }))
    }

    /// Runtime images of the manifest that are not built on this machine.
    pub fn missing_images(&self) -> &[String] {
        &self.missing
    }

    /// Removes every container of this invoker (on shutdown).
    pub async fn shutdown(&self) {
        self.pool.shutdown().await;
    }
}

/// The executor handle the invoker holds.
#[derive(Debug, Clone)]
pub struct DockerRuntime(pub Arc<DockerExecutor>);

#[async_trait]
impl Executor for DockerRuntime {
    fn runs(&self, exec: &Exec) -> bool {
        match exec {
            Exec::Blackbox { .. } => true,
            Exec::Code { kind, .. } => self.0.images.contains_key(kind.as_str()),
            Exec::Sequence { .. } => false,
        }
    }

    async fn prepare(&self, action: &Action) -> Result<Arc<dyn Runnable>, PrepareError> {
        let ex = &self.0;
        let image =
            match &action.exec {
                Exec::Blackbox { image, .. } => image.clone(),
                Exec::Code { kind, .. } => ex.images.get(kind.as_str()).cloned().ok_or_else(|| {
                    PrepareError::internal(format!("No runtime image is configured for kind '{kind}'."))
                })?,
                Exec::Sequence { .. } => {
                    return Err(PrepareError::internal("A sequence has no container of its own.".to_owned()));
                }
            };
        let present = ex.docker.has_image(&image).await.map_err(|e| PrepareError::internal(e.to_string()))?;
        if !present {
            return Err(match &action.exec {
                Exec::Blackbox { .. } => PrepareError::developer(format!(
                    "The image '{image}' is not present on this machine, and Gust does not pull images: build or load it with docker first."
                )),
                exec => PrepareError::internal(format!(
                    "The runtime image '{image}' for kind '{}' is not built on this machine: run runtimes/build-images.",
                    exec.kind()
                )),
            });
        }
        Ok(Arc::new(run::DockerAction::new(action, image, self.0.clone())))
    }
}

/// Stands in for the Docker path when the daemon is not reachable: Docker kinds fail with a
/// message that says why and what to do, instead of an unknown-kind error.
#[derive(Debug, Clone)]
pub struct DockerUnavailable {
    /// The Docker kinds of the manifest.
    pub kinds: Vec<String>,
    /// Why Docker is not available.
    pub reason: String,
}

#[async_trait]
impl Executor for DockerUnavailable {
    fn runs(&self, exec: &Exec) -> bool {
        match exec {
            Exec::Blackbox { .. } => true,
            Exec::Code { kind, .. } => self.kinds.iter().any(|k| k == kind.as_str()),
            Exec::Sequence { .. } => false,
        }
    }

    async fn prepare(&self, action: &Action) -> Result<Arc<dyn Runnable>, PrepareError> {
        Err(PrepareError::internal(format!(
            "Actions of kind '{}' run in Docker, which this invoker cannot use: {}",
            action.exec.kind(),
            self.reason
        )))
    }
}

/// The manifest's Docker kinds.
pub fn docker_kinds(manifest: &RuntimeManifest) -> Vec<String> {
    manifest.kinds.iter().filter(|k| matches!(k.sandbox, Sandbox::Docker { .. })).map(|k| k.kind.clone()).collect()
}
