//! Starting a container the way OpenWhisk's invoker does: create (with its flags and labels),
//! attach to its output, start, and find its address; anything half-made is removed again.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::client::{ContainerSpec, Docker, DockerError};
use super::container::{Container, HttpClient};

/// Why a container could not be started.
pub(crate) type StartError = DockerError;

/// Starts containers for one invoker.
#[derive(Clone)]
pub(crate) struct Starter {
    pub(crate) docker: Docker,
    pub(crate) http: HttpClient,
    pub(crate) instance: String,
    pub(crate) user_memory_mb: u64,
    /// `__OW_API_HOST` for the runtimes.
    pub(crate) api_host: Option<String>,
}

impl std::fmt::Debug for Starter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Starter").field("instance", &self.instance).finish_non_exhaustive()
    }
}

/// Keeps `[A-Za-z0-9_]` of a name part (Docker names allow little else).
fn sanitize(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// OpenWhisk's cpu shares: proportional to the container's share of the user memory.
pub(crate) fn cpu_shares(memory_mb: u64, user_memory_mb: u64) -> i64 {
    ((1024 * memory_mb) / user_memory_mb.max(1)).max(2) as i64
}

impl Starter {
    /// Creates, attaches to and starts a container of `image` for `what` (an action name or
    /// `prewarm`), and returns it with its address on the bridge.
    pub(crate) async fn start(
        &self,
        slot: u64,
        kind: &str,
        image: &str,
        memory_mb: u64,
        what: &str,
    ) -> Result<Container, StartError> {
        let name = format!("gust_{}_{slot}_{}_{}", self.instance, sanitize(what), sanitize(kind));
        let mut env = vec![];
        if let Some(h) = &self.api_host {
            env.push(format!("__OW_API_HOST={h}"));
        }
        let labels = HashMap::from([("gust.kind".to_owned(), kind.to_owned())]);
        let spec = ContainerSpec {
            name,
            image: image.to_owned(),
            memory_mb,
            cpu_shares: cpu_shares(memory_mb, self.user_memory_mb),
            env,
            labels,
        };
        let id = self.docker.create(&spec).await?;
        match self.finish(&id).await {
            Ok(c) => Ok(c),
            Err(e) => {
                let _ = self.docker.remove(&id).await;
                Err(e)
            }
        }
    }

    async fn finish(&self, id: &str) -> Result<Container, StartError> {
        let output = self.docker.attach(id).await?;
        self.docker.start(id).await?;
        let ip = self.docker.ip(id).await?;
        Ok(Container::new(id.to_owned(), SocketAddr::new(ip, 8080), self.http.clone(), output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_shares_follow_openwhisk() {
        assert_eq!(cpu_shares(256, 1024), 256);
        assert_eq!(cpu_shares(128, 2048), 64);
        assert_eq!(cpu_shares(1, 1_000_000), 2);
    }

    #[test]
    fn names_keep_only_safe_characters() {
        assert_eq!(sanitize("guest/my action.v2"), "guestmyactionv2");
        assert_eq!(sanitize("nodejs:18"), "nodejs18");
    }
}
