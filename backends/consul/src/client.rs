//! A thin client of the Consul agent's HTTP API: base URL, ACL token, timeouts, error mapping.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};

use crate::config::ConsulConfig;
use crate::error::ConsulError;

/// How long an ordinary (non-blocking) request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an error body is kept in [`ConsulError::Status`].
const MAX_ERROR_BODY: usize = 500;

/// The agent's HTTP API. Cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client for the agent of `config`.
    pub(crate) fn new(config: &ConsulConfig) -> Result<Self, ConsulError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ConsulError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, base: config.base_url().to_owned(), token: config.token.clone() })
    }

    /// A request to `path` (which starts with `/v1/`), with the token and the ordinary timeout.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path)).timeout(REQUEST_TIMEOUT);
        if let Some(token) = &self.token {
            rb = rb.header("X-Consul-Token", token);
        }
        rb
    }

    /// Sends `rb`; any status but 2xx is an error. `what` names the request in errors.
    pub(crate) async fn send(&self, what: &str, rb: RequestBuilder) -> Result<Response, ConsulError> {
        match self.send_allow_404(what, rb).await? {
            Some(resp) => Ok(resp),
            None => Err(ConsulError::Status { what: what.to_owned(), status: 404, body: "not found".into() }),
        }
    }

    /// Like [`Client::send`], but a 404 is `None` (a missing KV key, for instance).
    pub(crate) async fn send_allow_404(&self, what: &str, rb: RequestBuilder) -> Result<Option<Response>, ConsulError> {
        let resp = rb.send().await.map_err(|source| self.unreachable(what, source))?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let mut body = resp.text().await.unwrap_or_default().trim().to_owned();
            if body.len() > MAX_ERROR_BODY {
                let mut cut = MAX_ERROR_BODY;
                while !body.is_char_boundary(cut) {
                    cut -= 1;
                }
                body.truncate(cut);
                body.push('…');
            }
            return Err(ConsulError::Status { what: what.to_owned(), status: status.as_u16(), body });
        }
        Ok(Some(resp))
    }

    /// Reads a JSON body.
    pub(crate) async fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        resp: Response,
    ) -> Result<T, ConsulError> {
        let bytes = resp.bytes().await.map_err(|source| self.unreachable(what, source))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ConsulError::Decode { what: what.to_owned(), detail: format!("bad JSON: {e}") })
    }

    fn unreachable(&self, what: &str, source: reqwest::Error) -> ConsulError {
        ConsulError::Unreachable { url: self.base.clone(), what: what.to_owned(), source }
    }

    /// Checks that the agent answers and knows a leader (`GET /v1/status/leader`).
    pub(crate) async fn check_leader(&self) -> Result<String, ConsulError> {
        let what = "GET /v1/status/leader";
        let resp = self.send(what, self.request(Method::GET, "/v1/status/leader")).await?;
        let leader: String = self.json(what, resp).await?;
        if leader.is_empty() {
            return Err(ConsulError::Status {
                what: what.into(),
                status: 200,
                body: "the agent knows no leader".into(),
            });
        }
        Ok(leader)
    }
}

/// Percent-encodes everything but ASCII letters, digits, `-`, `_` and `.` (for one path segment
/// or one KV key segment). A segment of only dots is encoded whole, so it never means a folder.
pub(crate) fn escape_segment(s: &str) -> String {
    let only_dots = !s.is_empty() && s.bytes().all(|b| b == b'.');
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) && !only_dots {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_segments() {
        assert_eq!(escape_segment("worker-1.example_x"), "worker-1.example_x");
        assert_eq!(escape_segment("a/b c%"), "a%2Fb%20c%25");
        assert_eq!(escape_segment(".."), "%2E%2E");
        assert_eq!(escape_segment("é"), "%C3%A9");
    }
}
