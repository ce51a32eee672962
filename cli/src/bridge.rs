//! Where action containers reach `gust standalone`.
//!
//! Standalone listens on loopback by default, and a container cannot reach the host's loopback:
//! an action calling the API at `__OW_API_HOST` (the `openwhisk` npm module, a composition)
//! would get "connection refused". So when Docker is in use, no `--api-host` was given and the
//! server listens on loopback, it also listens on the Docker bridge's gateway (e.g. 172.17.0.1,
//! the host's own address on the network the containers are attached to), on the same port, and
//! containers are told that address. The bridge is reachable only from this host and its
//! containers, not a public address, so this keeps standalone's rule that the well-known guest
//! key is never served on a public address. Listening on every address (`--bind 0.0.0.0`)
//! includes the gateway already: containers are then told its address, with no second listener.
//! When the gateway cannot be found or bound, containers get the loopback URL as before and a
//! warning says why.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use gust_invoker::docker::DockerError;
use tokio::net::TcpListener;

use crate::wiring::DockerMode;

/// How long finding the gateway may take (the Docker daemon answers in milliseconds).
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// What containers are given instead of the server's own URL.
#[derive(Debug)]
pub(crate) struct ContainerAccess {
    /// `__OW_API_HOST` for containers: `http://<gateway>:<port>`.
    pub(crate) api_host: String,
    /// The listener on the gateway, to be served with the main one; `None` when the main
    /// listener already covers the gateway (it listens on every address).
    pub(crate) listener: Option<TcpListener>,
}

/// What the listening address calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Containers can use the server's own URL (or were given one): nothing to do.
    Nothing,
    /// Listen on the gateway too (the server listens on loopback only).
    Listen,
    /// Tell containers the gateway's address (the server listens on every address already).
    Tell,
}

fn plan(docker: DockerMode, explicit_api_host: bool, bound: IpAddr) -> Plan {
    if docker == DockerMode::Off || explicit_api_host {
        Plan::Nothing
    } else if bound.is_loopback() {
        Plan::Listen
    } else if bound.is_unspecified() {
        Plan::Tell
    } else {
        // A specific address of the host: containers reach it through their gateway.
        Plan::Nothing
    }
}

/// Only a private address is listened on: a bridge on a public address would expose the
/// server (and possibly the guest key) beyond this host.
fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => v6.is_unique_local(),
    }
}

/// How containers reach a server listening on `bound`, when that is not `bound` itself (see
/// the module documentation); `None` means "use the server's own URL".
pub(crate) async fn container_access(
    docker: DockerMode,
    explicit_api_host: bool,
    bound: SocketAddr,
) -> Option<ContainerAccess> {
    let plan = plan(docker, explicit_api_host, bound.ip());
    if plan == Plan::Nothing {
        return None;
    }
    let keep = "action containers are told the loopback address, where calls to the API from actions fail";
    let gateway = match tokio::time::timeout(LOOKUP_TIMEOUT, gust_invoker::docker::bridge_gateway()).await {
        Ok(Ok(Some(ip))) => ip,
        Ok(Ok(None)) => {
            tracing::warn!("The Docker network 'bridge' has no IPv4 subnet: {keep} (set --api-host).");
            return None;
        }
        // Docker is not running: no container will ask, and the Docker path says why itself.
        Ok(Err(DockerError::Unreachable(_))) => return None,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Cannot find the Docker bridge's gateway: {keep} (set --api-host).");
            return None;
        }
        Err(_) => {
            tracing::warn!("The Docker daemon did not say where its bridge is within {LOOKUP_TIMEOUT:?}: {keep}.");
            return None;
        }
    };
    if !private(gateway) {
        tracing::warn!(%gateway, "The Docker bridge's gateway is not a private address, so Gust does not listen there: {keep} (set --api-host).");
        return None;
    }
    let at = SocketAddr::new(gateway, bound.port());
    let api_host = format!("http://{at}");
    if plan == Plan::Tell {
        return Some(ContainerAccess { api_host, listener: None });
    }
    match TcpListener::bind(at).await {
        Ok(listener) => {
            tracing::info!(address = %at, "Listening on the Docker bridge too, for action containers.");
            Some(ContainerAccess { api_host, listener: Some(listener) })
        }
        Err(e) => {
            tracing::warn!(address = %at, error = %e, "Cannot listen on the Docker bridge's gateway: {keep} (free the port, or set --api-host).");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_loopback_or_wildcard_server_using_docker_without_an_api_host_needs_the_bridge() {
        assert_eq!(plan(DockerMode::Auto, false, ip("127.0.0.1")), Plan::Listen);
        assert_eq!(plan(DockerMode::Auto, false, ip("::1")), Plan::Listen);
        assert_eq!(plan(DockerMode::Auto, false, ip("0.0.0.0")), Plan::Tell);
        assert_eq!(plan(DockerMode::Auto, false, ip("::")), Plan::Tell);
        assert_eq!(plan(DockerMode::Auto, false, ip("192.168.1.20")), Plan::Nothing);
        assert_eq!(plan(DockerMode::Auto, true, ip("127.0.0.1")), Plan::Nothing, "--api-host wins");
        assert_eq!(plan(DockerMode::Off, false, ip("127.0.0.1")), Plan::Nothing);
    }

    #[test]
    fn only_private_gateways_are_listened_on() {
        assert!(private(ip("172.17.0.1")));
        assert!(private(ip("10.1.0.1")));
        assert!(private(ip("192.168.99.1")));
        assert!(private(ip("fd00:dead::1")));
        assert!(!private(ip("8.8.8.1")));
        assert!(!private(ip("2001:db8::1")));
    }
}
