//! Activation records: the stored form, the user-facing `response`, and list summaries.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ids::ActivationId;
use crate::params::Params;
use crate::semver::SemVer;

/// How an activation ended (OpenWhisk's `response.statusCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum ActivationStatus {
    /// 0: the action returned a result.
    Success,
    /// 1: the action returned `{"error": ...}`.
    ApplicationError,
    /// 2: the action crashed, timed out, ran out of memory or produced no valid result.
    DeveloperError,
    /// 3: the platform failed.
    WhiskError,
}

impl ActivationStatus {
    /// The status string clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::ApplicationError => "application error",
            Self::DeveloperError => "action developer error",
            Self::WhiskError => "whisk internal error",
        }
    }

    /// The numeric code.
    pub fn code(self) -> u8 {
        self.into()
    }
}

impl From<ActivationStatus> for u8 {
    fn from(s: ActivationStatus) -> u8 {
        match s {
            ActivationStatus::Success => 0,
            ActivationStatus::ApplicationError => 1,
            ActivationStatus::DeveloperError => 2,
            ActivationStatus::WhiskError => 3,
        }
    }
}

impl TryFrom<u8> for ActivationStatus {
    type Error = String;

    fn try_from(v: u8) -> Result<Self, String> {
        match v {
            0 => Ok(Self::Success),
            1 => Ok(Self::ApplicationError),
            2 => Ok(Self::DeveloperError),
            3 => Ok(Self::WhiskError),
            n => Err(format!("unknown activation status code {n}")),
        }
    }
}

/// The stored `response` of an activation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationResponse {
    /// Outcome.
    #[serde(rename = "statusCode")]
    pub status: ActivationStatus,
    /// The result object (or array), or `{"error": ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Result size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

impl ActivationResponse {
    /// A successful result.
    pub fn success(result: Value, size: Option<u64>) -> Self {
        Self { status: ActivationStatus::Success, result: Some(result), size }
    }

    /// An error outcome whose result is `{"error": message}`.
    pub fn error(status: ActivationStatus, message: impl Into<String>) -> Self {
        Self { status, result: Some(json!({ "error": message.into() })), size: None }
    }

    /// The user-facing shape: `statusCode` removed, `success` and `status` added.
    pub fn user_view(&self) -> Value {
        let mut m = Map::new();
        m.insert("status".into(), Value::String(self.status.as_str().into()));
        m.insert("success".into(), Value::Bool(self.status == ActivationStatus::Success));
        m.insert("result".into(), self.result.clone().unwrap_or(Value::Object(Map::new())));
        if let Some(size) = self.size {
            m.insert("size".into(), json!(size));
        }
        Value::Object(m)
    }
}

/// A stored activation record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    /// Namespace of the caller.
    pub namespace: String,
    /// Action name without package.
    pub name: String,
    /// The caller's subject.
    pub subject: String,
    /// The id.
    #[serde(rename = "activationId")]
    pub activation_id: ActivationId,
    /// Start, epoch ms.
    pub start: u64,
    /// End, epoch ms (0 for trigger activations).
    pub end: u64,
    /// `end - start`, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    /// Outcome and result.
    pub response: ActivationResponse,
    /// Formatted log lines.
    pub logs: Vec<String>,
    /// The action's version.
    pub version: SemVer,
    /// Always false for actions.
    pub publish: bool,
    /// `path`, `kind`, `limits`, `waitTime`, `initTime`, `timeout`, ...
    pub annotations: Params,
    /// Enclosing sequence activation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<ActivationId>,
}

impl Activation {
    /// The full record as clients see it (GET activation, blocking invokes, `docs=true`).
    pub fn user_view(&self) -> Value {
        let mut v = json!({
            "namespace": self.namespace,
            "name": self.name,
            "subject": self.subject,
            "activationId": self.activation_id,
            "start": self.start,
            "response": self.response.user_view(),
            "logs": self.logs,
            "version": self.version,
            "publish": self.publish,
            "annotations": self.annotations,
        });
        if self.end != 0 {
            v["end"] = json!(self.end);
            v["duration"] = json!(self.duration.unwrap_or(self.end.saturating_sub(self.start)));
        }
        if let Some(c) = self.cause {
            v["cause"] = json!(c);
        }
        v
    }

    /// The list summary (`docs=false`): numeric `statusCode`, no response, no logs.
    pub fn summary(&self) -> Value {
        let mut v = json!({
            "namespace": self.namespace,
            "name": self.name,
            "version": self.version,
            "publish": self.publish,
            "annotations": self.annotations,
            "activationId": self.activation_id,
            "start": self.start,
            "statusCode": self.response.status.code(),
        });
        if self.end != 0 {
            v["end"] = json!(self.end);
            v["duration"] = json!(self.duration.unwrap_or(self.end.saturating_sub(self.start)));
        }
        if let Some(c) = self.cause {
            v["cause"] = json!(c);
        }
        v
    }

    /// The `path` annotation (`ns/name` or `ns/pkg/name`), which the list `name` filter matches.
    pub fn path(&self) -> Option<&str> {
        self.annotations.get("path").and_then(Value::as_str)
    }

    /// The name the `name` list filter compares with: `name`, or `pkg/name` for packaged actions.
    pub fn filter_name(&self) -> String {
        match self.path().map(|p| p.split('/').collect::<Vec<_>>()) {
            Some(parts) if parts.len() == 3 => format!("{}/{}", parts[1], parts[2]),
            _ => self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Activation {
        Activation {
            namespace: "guest".into(),
            name: "hello".into(),
            subject: "guest".into(),
            activation_id: "c7bb1339cb4f40e3a6ccead6c99f804e".parse().unwrap(),
            start: 10,
            end: 12,
            duration: Some(2),
            response: ActivationResponse::success(json!({"payload": "Hello"}), Some(19)),
            logs: vec![],
            version: SemVer::INITIAL,
            publish: false,
            annotations: Params::new().with("path", json!("guest/hello")),
            cause: None,
        }
    }

    #[test]
    fn user_view_hides_status_code_and_adds_success() {
        let v = sample().user_view();
        assert_eq!(
            v["response"],
            json!({"status": "success", "success": true, "result": {"payload": "Hello"}, "size": 19})
        );
        assert_eq!(v["duration"], 2);
        assert_eq!(v["activationId"], "c7bb1339cb4f40e3a6ccead6c99f804e");
    }

    #[test]
    fn stored_form_round_trips_with_numeric_status() {
        let a = sample();
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["response"]["statusCode"], 0);
        assert_eq!(serde_json::from_value::<Activation>(v).unwrap(), a);
    }

    #[test]
    fn summary_has_status_code_and_no_response() {
        let v = sample().summary();
        assert_eq!(v["statusCode"], 0);
        assert!(v.get("response").is_none());
        assert!(v.get("logs").is_none());
    }

    #[test]
    fn filter_name_includes_the_package_for_packaged_actions() {
        let mut a = sample();
        assert_eq!(a.filter_name(), "hello");
        a.annotations.set("path", json!("guest/utils/hello"));
        assert_eq!(a.filter_name(), "utils/hello");
    }
}
