//! [`ClientError`]: everything a call of the [`Client`](super::Client) can fail with.

use serde_json::Value;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error status; `message` and `code` come from OpenWhisk's
    /// error body `{"error": "...", "code": "<transaction id>"}`.
    #[error("{message}{}", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: u16,
        /// The server's message (or the status text when the body had none).
        message: String,
        /// The transaction id of the failed request, when the server sent one.
        code: Option<String>,
    },
    /// The request did not get an answer (connection refused, DNS, TLS, timeout, ...).
    #[error("{0}")]
    Transport(String),
    /// The server answered with something that is not the expected JSON.
    #[error("{0}")]
    InvalidResponse(String),
    /// The settings are missing or unusable (no credential, malformed apihost, ...).
    #[error("{0}")]
    Settings(String),
    /// An argument cannot name anything on the server (an empty or over-long entity name, ...).
    #[error("{0}")]
    InvalidArgument(String),
}

impl ClientError {
    /// The HTTP status of an [`ClientError::Api`] error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// An [`ClientError::Api`] error from an error response: the body's `error` (or, for an
    /// activation record, its `response.result.error`), else `fallback`.
    pub(crate) fn from_body(status: u16, body: &Value, fallback: &str) -> ClientError {
        let message = match (&body["error"], &body["response"]["result"]["error"]) {
            (Value::String(s), _) => s.clone(),
            (Value::Null, Value::String(s)) => s.clone(),
            (Value::Null, Value::Null) => fallback.to_owned(),
            (Value::Null, other) => other.to_string(),
            (other, _) => other.to_string(),
        };
        let code = match &body["code"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        ClientError::Api { status, message, code }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn api_errors_show_the_message_and_the_transaction_id() {
        let e =
            ClientError::from_body(404, &json!({"error": "The requested resource does not exist.", "code": "abc"}), "");
        assert_eq!(e.to_string(), "The requested resource does not exist. (code abc)");
        assert_eq!(e.status(), Some(404));
    }

    #[test]
    fn api_errors_without_a_body_use_the_fallback() {
        let e = ClientError::from_body(500, &Value::Null, "Internal Server Error");
        assert_eq!(e.to_string(), "Internal Server Error");
    }

    #[test]
    fn activation_bodies_give_their_result_error() {
        let body = json!({"response": {"status": "whisk internal error", "result": {"error": "disk full"}}});
        assert_eq!(ClientError::from_body(500, &body, "x").to_string(), "disk full");
        let numeric = ClientError::from_body(400, &json!({"error": "bad", "code": 17}), "x");
        assert_eq!(numeric.to_string(), "bad (code 17)");
    }
}
