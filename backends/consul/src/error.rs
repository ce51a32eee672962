//! What can go wrong talking to Consul.

use gust_core::registry::RegistryError;

/// A failure of the Consul registry.
#[derive(Debug, thiserror::Error)]
pub enum ConsulError {
    /// The configuration cannot work (bad URL, bad cluster or service name, zero TTL).
    #[error("invalid Consul configuration: {0}")]
    Config(String),
    /// The agent did not answer (refused, timed out, broken connection).
    #[error("Consul agent at {url} cannot be reached ({what}): {source}")]
    Unreachable {
        /// The agent's base URL.
        url: String,
        /// The request, e.g. `PUT /v1/agent/service/register`.
        what: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The agent answered with an error status.
    #[error("Consul answered {status} to {what}: {body}")]
    Status {
        /// The request.
        what: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the answer's body (Consul explains errors in plain text).
        body: String,
    },
    /// The agent answered something this crate does not understand.
    #[error("unexpected answer from Consul to {what}: {detail}")]
    Decode {
        /// The request.
        what: String,
        /// What was wrong with it.
        detail: String,
    },
    /// An invoker id could not be claimed (for example, too much contention on the counter).
    #[error("could not claim an invoker id for {name:?}: {detail}")]
    Claim {
        /// The unique invoker name.
        name: String,
        /// Why.
        detail: String,
    },
}

impl From<ConsulError> for RegistryError {
    fn from(e: ConsulError) -> Self {
        RegistryError::Unavailable(e.to_string())
    }
}
