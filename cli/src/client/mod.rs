//! A typed client of the OpenWhisk REST API (`/api/v1`), used by the `gust` commands and by
//! the end-to-end tests.
//!
//! Every method answers the server's JSON as it came (`serde_json::Value`) or a
//! [`ClientError`]; nothing is printed. Action names may be `name`, `pkg/name`, or fully
//! qualified (`/ns/name`, `/ns/pkg/name`); packages, triggers and rules do not nest (`name` or
//! `/ns/name`). Plain names are addressed in the settings' namespace, `_` (the credential's
//! own) unless the settings name one; so are lists, unless they are given a namespace.

mod actions;
mod activations;
mod collections;
mod error;
mod invocation;
mod namespaces;
mod packages;
mod path;
mod rules;
mod triggers;

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

pub use activations::ActivationFilter;
pub use error::ClientError;
pub use invocation::Invocation;
pub use path::escape_segment;
pub(crate) use path::{NameKind, split_name};

use crate::props::{Settings, is_loopback};

/// The longest a request may take: above the server's 60 s blocking wait and 65 s request timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(150);
/// The longest connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection-pooling client of one API host with one credential.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// `<apihost>`, for messages.
    apihost: String,
    /// `<apihost>/api/v1`.
    base: String,
    user: String,
    key: String,
    /// The namespace segment plain names are addressed in (escaped).
    namespace: String,
    /// The same namespace as written (`_` unless the settings name one), for request bodies.
    namespace_name: String,
}

impl std::fmt::Debug for Client {
    /// Shows everything but the secret part of the credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("user", &self.user)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// A response whose status was accepted by the caller.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Client {
    /// A client for `settings`; fails when the credential is not `UUID:KEY` or the host is not a URL.
    pub fn new(settings: &Settings) -> Result<Client, ClientError> {
        let (user, key) = settings.auth.split_once(':').ok_or_else(|| {
            ClientError::Settings(
                "the credential (AUTH) must look like UUID:KEY, with a colon between the parts".into(),
            )
        })?;
        let apihost = settings.apihost.trim_end_matches('/').to_owned();
        let base = format!("{apihost}/api/v1");
        reqwest::Url::parse(&base)
            .map_err(|e| ClientError::Settings(format!("the API host '{apihost}' is not a valid URL: {e}")))?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("gust-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ClientError::Settings(format!("cannot set up the HTTP client: {e}")))?;
        let namespace_name = settings.namespace.clone().unwrap_or_else(|| "_".to_owned());
        let namespace = escape_segment(&namespace_name);
        Ok(Client { http, apihost, base, user: user.to_owned(), key: key.to_owned(), namespace, namespace_name })
    }

    /// The API host this client talks to (scheme, host and port).
    pub fn apihost(&self) -> &str {
        &self.apihost
    }

    /// A request to `path` (below `/api/v1`) with the credential.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).basic_auth(&self.user, Some(&self.key))
    }

    /// Sends `rb`; answers the reply when `accept` allows its status, else the server's error.
    pub(crate) async fn send(
        &self,
        rb: RequestBuilder,
        accept: impl Fn(StatusCode) -> bool,
    ) -> Result<Reply, ClientError> {
        let req = rb.build().map_err(|e| ClientError::InvalidArgument(format!("cannot build the request: {e}")))?;
        let method = req.method().clone();
        let url = req.url().to_string();
        let resp = self.http.execute(req).await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        tracing::debug!(%method, %url, status = status.as_u16(), "Response.");
        let bytes = resp.bytes().await.map_err(|e| self.transport_error(&e))?;
        let parsed = if bytes.iter().all(u8::is_ascii_whitespace) {
            Ok(Value::Null)
        } else {
            serde_json::from_slice::<Value>(&bytes)
        };
        let reason = status.canonical_reason().unwrap_or("unknown status");
        if !accept(status) {
            let fallback = match &parsed {
                Ok(_) => format!("{} {reason}", status.as_u16()),
                Err(_) => format!("{} {reason}: {}", status.as_u16(), snippet(&bytes)),
            };
            return Err(ClientError::from_body(status.as_u16(), parsed.as_ref().unwrap_or(&Value::Null), &fallback));
        }
        let body = parsed.map_err(|e| {
            ClientError::InvalidResponse(format!(
                "{url} answered {} {reason} with a body that is not JSON ({e}): {}",
                status.as_u16(),
                snippet(&bytes)
            ))
        })?;
        Ok(Reply { status, headers, body })
    }

    /// Sends `rb` and answers the JSON body of a 2xx reply.
    pub(crate) async fn json(&self, rb: RequestBuilder) -> Result<Value, ClientError> {
        Ok(self.send(rb, |s| s.is_success()).await?.body)
    }

    /// A readable message for a request that got no answer.
    fn transport_error(&self, e: &reqwest::Error) -> ClientError {
        let mut root: &dyn std::error::Error = e;
        while let Some(next) = root.source() {
            root = next;
        }
        let host = &self.apihost;
        ClientError::Transport(if e.is_connect() && is_loopback(host) {
            format!("cannot reach {host} ({root}): is `gust standalone` running?")
        } else if e.is_connect() {
            format!("cannot reach {host} ({root}): check the API host (--apihost, GUST_APIHOST or APIHOST)")
        } else if e.is_timeout() {
            format!("{host} did not answer within {} s", REQUEST_TIMEOUT.as_secs())
        } else {
            format!("the request to {host} failed: {e} ({root})")
        })
    }
}

/// The start of a body, for messages.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_without_a_colon_is_a_settings_error() {
        let err = Client::new(&Settings::new("localhost", "nocolon")).unwrap_err();
        assert!(matches!(err, ClientError::Settings(m) if m.contains("UUID:KEY")));
    }

    #[test]
    fn a_host_that_is_not_a_url_is_a_settings_error() {
        let err = Client::new(&Settings::new("http://exa mple:99", "u:k")).unwrap_err();
        assert!(matches!(err, ClientError::Settings(m) if m.contains("not a valid URL")));
    }

    #[test]
    fn the_namespace_defaults_to_the_credentials_own() {
        let c = Client::new(&Settings::new("localhost:3233", "u:k")).unwrap();
        assert_eq!((c.namespace.as_str(), c.base.as_str()), ("_", "http://localhost:3233/api/v1"));
        let mut s = Settings::new("localhost:3233", "u:k");
        s.namespace = Some("my team".into());
        assert_eq!(Client::new(&s).unwrap().namespace, "my%20team");
    }

    #[test]
    fn debug_output_hides_the_key() {
        let c = Client::new(&Settings::new("localhost:3233", "user:secret")).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("user") && !shown.contains("secret"), "{shown}");
    }

    #[test]
    fn snippets_are_cut() {
        assert_eq!(snippet(b"  short \n"), "short");
        assert_eq!(snippet("é".repeat(300).as_bytes()).chars().count(), 203);
    }

    #[tokio::test]
    async fn an_unreachable_loopback_host_suggests_starting_gust() {
        // Port 9 (discard) on loopback: nothing listens in a test environment.
        let c = Client::new(&Settings::new("http://127.0.0.1:9", "u:k")).unwrap();
        let err = c.namespaces().await.unwrap_err();
        assert!(matches!(&err, ClientError::Transport(m) if m.contains("is `gust standalone` running?")), "{err}");
        assert!(err.to_string().starts_with("cannot reach http://127.0.0.1:9"), "{err}");
    }
}
