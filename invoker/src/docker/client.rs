//! The Docker Engine API as the pool needs it (bollard over the daemon's socket, with the API
//! version negotiated: Debian's engine 20.10 speaks 1.41). Every container Gust creates carries
//! the label `gust.invoker=<instance>`, so an invoker finds and removes its own leftovers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::models::{
    ContainerCreateBody, ContainerStateStatusEnum, HostConfig, HostConfigLogConfig, Ipam, ResourcesUlimits,
};
use bollard::query_parameters::{
    AttachContainerOptions, CreateContainerOptions, EventsOptions, ListContainersOptions, RemoveContainerOptions,
};
use futures::Stream;

/// A Docker failure, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerError {
    /// The daemon is not reachable.
    #[error("the Docker daemon is not reachable ({0}); start it (e.g. `dockerd &`) or check /var/run/docker.sock")]
    Unreachable(String),
    /// The image is not present locally (nothing is ever pulled).
    #[error("the image '{0}' is not present on this machine")]
    NoSuchImage(String),
    /// Any other daemon error.
    #[error("docker: {0}")]
    Api(String),
}

fn api(e: bollard::errors::Error) -> DockerError {
    DockerError::Api(e.to_string())
}

/// The label that marks a container as this invoker's.
pub(crate) const INVOKER_LABEL: &str = "gust.invoker";

/// What to create.
#[derive(Debug, Clone)]
pub(crate) struct ContainerSpec {
    pub(crate) name: String,
    pub(crate) image: String,
    pub(crate) memory_mb: u64,
    pub(crate) cpu_shares: i64,
    pub(crate) env: Vec<String>,
    pub(crate) labels: HashMap<String, String>,
}

/// Output lines of a container: (is stderr, bytes).
pub(crate) type OutputStream = Pin<Box<dyn Stream<Item = (bool, bytes::Bytes)> + Send>>;

/// A connected daemon.
#[derive(Clone)]
pub(crate) struct Docker {
    api: bollard::Docker,
    invoker: String,
}

impl std::fmt::Debug for Docker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Docker").field("invoker", &self.invoker).finish_non_exhaustive()
    }
}

impl Docker {
    /// Connects to the local daemon and negotiates the API version.
    pub(crate) async fn connect(invoker: String) -> Result<Docker, DockerError> {
        let api =
            bollard::Docker::connect_with_local_defaults().map_err(|e| DockerError::Unreachable(e.to_string()))?;
        let api = api.negotiate_version().await.map_err(|e| DockerError::Unreachable(e.to_string()))?;
        api.ping().await.map_err(|e| DockerError::Unreachable(e.to_string()))?;
        Ok(Docker { api, invoker })
    }

    /// True when `image` is present locally.
    pub(crate) async fn has_image(&self, image: &str) -> Result<bool, DockerError> {
        match self.api.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(false),
            Err(e) => Err(api(e)),
        }
    }

    /// Creates a container with OpenWhisk's flags: memory = memory+swap, cpu shares, a pids
    /// limit, NET_RAW and NET_ADMIN dropped, a nofile ulimit, json-file logs, the bridge network.
    pub(crate) async fn create(&self, spec: &ContainerSpec) -> Result<String, DockerError> {
        let bytes = (spec.memory_mb as i64) << 20;
        let mut labels = spec.labels.clone();
        labels.insert(INVOKER_LABEL.into(), self.invoker.clone());
        let host = HostConfig {
            memory: Some(bytes),
            memory_swap: Some(bytes),
            cpu_shares: Some(spec.cpu_shares),
            pids_limit: Some(1024),
            cap_drop: Some(vec!["NET_RAW".into(), "NET_ADMIN".into()]),
            ulimits: Some(vec![ResourcesUlimits { name: Some("nofile".into()), soft: Some(1024), hard: Some(1024) }]),
            log_config: Some(HostConfigLogConfig { typ: Some("json-file".into()), config: None }),
            network_mode: Some("bridge".into()),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            env: Some(spec.env.clone()),
            labels: Some(labels),
            host_config: Some(host),
            ..Default::default()
        };
        let opts = CreateContainerOptions { name: Some(spec.name.clone()), ..Default::default() };
        match self.api.create_container(Some(opts), body).await {
            Ok(r) => Ok(r.id),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {
                Err(DockerError::NoSuchImage(spec.image.clone()))
            }
            Err(e) => Err(api(e)),
        }
    }

    /// Attaches to a created container's stdout and stderr (before it starts, so nothing is
    /// missed). The stream ends when the container stops.
    pub(crate) async fn attach(&self, id: &str) -> Result<OutputStream, DockerError> {
        use futures::StreamExt;
        let opts =
            AttachContainerOptions { stream: true, stdout: true, stderr: true, logs: false, ..Default::default() };
        let attached = self.api.attach_container(id, Some(opts)).await.map_err(api)?;
        let lines = attached.output.filter_map(|item| async move {
            match item {
                Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => Some((false, message)),
                Ok(LogOutput::StdErr { message }) => Some((true, message)),
                Ok(LogOutput::StdIn { .. }) | Err(_) => None,
            }
        });
        Ok(Box::pin(lines))
    }

    /// Starts a created container.
    pub(crate) async fn start(&self, id: &str) -> Result<(), DockerError> {
        self.api.start_container(id, None).await.map_err(api)
    }

    /// The container's address on the bridge network.
    pub(crate) async fn ip(&self, id: &str) -> Result<IpAddr, DockerError> {
        let info = self.api.inspect_container(id, None).await.map_err(api)?;
        let ip = info
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|nets| nets.values().find_map(|e| e.ip_address.clone().filter(|ip| !ip.is_empty())));
        ip.and_then(|s| s.parse().ok()).ok_or_else(|| DockerError::Api(format!("container {id} has no IP address")))
    }

    /// The address management settings (subnets, gateways) of network `name`; `None` when
    /// there is no such network or it has none.
    pub(crate) async fn network_ipam(&self, name: &str) -> Result<Option<Ipam>, DockerError> {
        match self.api.inspect_network(name, None).await {
            Ok(network) => Ok(network.ipam),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
            Err(e) => Err(api(e)),
        }
    }

    /// True when the kernel killed something in the container for lack of memory (as far as
    /// the daemon knows: it sets this when the container's main process was OOM-killed).
    pub(crate) async fn oom_killed(&self, id: &str) -> bool {
        match self.api.inspect_container(id, None).await {
            Ok(info) => info.state.and_then(|s| s.oom_killed).unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Pauses a container (cgroup freezer).
    pub(crate) async fn pause(&self, id: &str) -> Result<(), DockerError> {
        self.api.pause_container(id).await.map_err(api)
    }

    /// Unpauses a container.
    pub(crate) async fn unpause(&self, id: &str) -> Result<(), DockerError> {
        self.api.unpause_container(id).await.map_err(api)
    }

    /// Removes a container whatever its state (a paused one is unpaused first).
    pub(crate) async fn remove(&self, id: &str) -> Result<(), DockerError> {
        if let Ok(info) = self.api.inspect_container(id, None).await
            && info.state.and_then(|s| s.status) == Some(ContainerStateStatusEnum::PAUSED)
        {
            let _ = self.api.unpause_container(id).await;
        }
        let opts = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        match self.api.remove_container(id, Some(opts)).await {
            Ok(()) | Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(()),
            Err(e) => Err(api(e)),
        }
    }

    /// Ids of every container (running or not) labelled as this invoker's.
    pub(crate) async fn own_containers(&self) -> Result<Vec<String>, DockerError> {
        let filters = HashMap::from([("label".to_owned(), vec![format!("{INVOKER_LABEL}={}", self.invoker)])]);
        let opts = ListContainersOptions { all: true, filters: Some(filters), ..Default::default() };
        let list = self.api.list_containers(Some(opts)).await.map_err(api)?;
        Ok(list.into_iter().filter_map(|c| c.id).collect())
    }

    /// OOM events of this invoker's containers, as container ids.
    pub(crate) fn oom_events(&self) -> Pin<Box<dyn Stream<Item = String> + Send>> {
        use futures::StreamExt;
        let filters = HashMap::from([
            ("type".to_owned(), vec!["container".to_owned()]),
            ("event".to_owned(), vec!["oom".to_owned()]),
            ("label".to_owned(), vec![format!("{INVOKER_LABEL}={}", self.invoker)]),
        ]);
        let opts = EventsOptions { filters: Some(filters), ..Default::default() };
        Box::pin(self.api.events(Some(opts)).filter_map(|e| async move { e.ok()?.actor?.id }))
    }
}
