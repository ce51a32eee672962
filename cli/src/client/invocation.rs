//! Invoking actions: `POST .../actions/{name}`.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{Client, ClientError};

/// The header that carries the activation id of an invocation.
const ACTIVATION_ID_HEADER: &str = "x-openwhisk-activation-id";

/// What an invocation answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// 202 (accepted: non-blocking, or blocking past the wait), 200 (finished with success) or
    /// 502 (finished with an application or action developer error).
    pub status: u16,
    /// The activation id, from the `x-openwhisk-activation-id` header or the body.
    pub activation_id: Option<String>,
    /// `{"activationId"}` for a 202; the activation record, or only its result when the result
    /// was asked for (an array result is always bare).
    pub body: Value,
}

impl Invocation {
    /// True when the activation finished (200 or 502), false when it is still running (202).
    pub fn finished(&self) -> bool {
        self.status != StatusCode::ACCEPTED.as_u16()
    }

    /// True for a 502: the action ran and failed (application or developer error).
    pub fn failed(&self) -> bool {
        self.status == StatusCode::BAD_GATEWAY.as_u16()
    }
}

impl Client {
    /// Invokes action `name` with `params` (a JSON object). `blocking` waits for the outcome
    /// (up to `timeout_ms`, the server's maximum by default); `result` then answers only the
    /// result. A 200, 202 or 502 is an [`Invocation`]; any other status is an error.
    pub async fn invoke(
        &self,
        name: &str,
        params: &Value,
        blocking: bool,
        result: bool,
        timeout_ms: Option<u64>,
    ) -> Result<Invocation, ClientError> {
        let mut rb = self
            .request(Method::POST, &self.action_path(name)?)
            .query(&[("blocking", blocking), ("result", result)])
            .json(params);
        if let Some(t) = timeout_ms {
            rb = rb.query(&[("timeout", t)]);
        }
        let ok = [StatusCode::OK, StatusCode::ACCEPTED, StatusCode::BAD_GATEWAY];
        let reply = self.send(rb, |s| ok.contains(&s)).await?;
        let from_header = reply.headers.get(ACTIVATION_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let activation_id = from_header.or_else(|| reply.body["activationId"].as_str().map(str::to_owned));
        Ok(Invocation { status: reply.status.as_u16(), activation_id, body: reply.body })
    }
}
