//! Messages between controllers and invokers, and the topics they travel on.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::activation::Activation;
use crate::ids::{ActivationId, TransactionId};
use crate::limits::ActionLimits;
use crate::names::FullyQualifiedName;
use crate::semver::SemVer;
use crate::subject::Identity;
use crate::topic::{Topic, TopicKind};

/// An invoker's number; its work topic is `invoker{N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InvokerId(pub u32);

impl InvokerId {
    /// The invoker's own work topic.
    pub fn topic(self) -> Topic {
        Topic::new(TopicKind::Invoker, format!("invoker{}", self.0))
    }
}

impl fmt::Display for InvokerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invoker{}", self.0)
    }
}

/// A controller's id; completions for its requests go to `completed{C}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ControllerId(pub String);

impl ControllerId {
    /// The controller's own completion topic.
    pub fn topic(&self) -> Topic {
        Topic::new(TopicKind::Completed, format!("completed{}", self.0))
    }
}

/// Work for an invoker: run one activation of one action revision.
///
/// It never carries the code: the invoker loads the action revision itself (and caches it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationMessage {
    /// Request id and arrival time (`waitTime` is measured from it).
    pub transid: TransactionId,
    /// The action to run.
    pub action: FullyQualifiedName,
    /// Its version (for the record).
    pub version: SemVer,
    /// The store revision to load.
    pub revision: String,
    /// Who invoked it.
    pub user: Arc<Identity>,
    /// The activation's id, chosen by the controller.
    #[serde(rename = "activationId")]
    pub activation_id: ActivationId,
    /// The controller waiting for completions.
    #[serde(rename = "rootControllerIndex")]
    pub root_controller: ControllerId,
    /// Whether a caller waits for the result.
    pub blocking: bool,
    /// Arguments, already merged (action parameters, then the request body).
    pub content: Option<Value>,
    /// Parameter names that go to initialisation only.
    #[serde(rename = "initArgs", default, skip_serializing_if = "Vec::is_empty")]
    pub init_args: Vec<String>,
    /// Enclosing sequence, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<ActivationId>,
    /// The package binding the action was invoked through (`ns/binding`), if any: the
    /// record's `binding` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// A whole sequence for this invoker to run, one component after the other (the fused
    /// path): `action`, `version` and `revision` are then the sequence's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fused: Option<FusedSequence>,
}

/// A sequence whose components the controller resolved, for one invoker to run without a bus
/// round trip between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FusedSequence {
    /// The sequence's limits (its record's `limits` annotation).
    pub limits: ActionLimits,
    /// The components, in order.
    pub components: Vec<FusedComponent>,
}

/// One resolved component of a fused sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FusedComponent {
    /// The action that runs, in its own package.
    pub action: FullyQualifiedName,
    /// Its version.
    pub version: SemVer,
    /// The store revision to load.
    pub revision: String,
    /// Package, binding and action parameters, merged (the input goes over them).
    pub parameters: serde_json::Map<String, Value>,
    /// Parameter names that go to initialisation only.
    #[serde(rename = "initArgs", default, skip_serializing_if = "Vec::is_empty")]
    pub init_args: Vec<String>,
    /// The binding it was named through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
}

/// What an invoker tells a controller about an activation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckMessage {
    /// The request id.
    pub transid: TransactionId,
    /// Which activation.
    #[serde(rename = "activationId")]
    pub activation_id: ActivationId,
    /// The record, for blocking callers (absent in plain completions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Arc<Activation>>,
    /// True when the invoker has finished with the activation (its capacity is free again).
    pub completed: bool,
    /// True when the outcome was a whisk internal error.
    #[serde(rename = "isSystemError")]
    pub is_system_error: bool,
    /// The invoker that ran it (none for a chain a controller drove).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoker: Option<InvokerId>,
}

/// An invoker's periodic health announcement (topic `health`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PingMessage {
    /// Which invoker.
    pub invoker: InvokerId,
    /// Its user memory, MB.
    #[serde(rename = "userMemory")]
    pub user_memory_mb: u64,
    /// False when the invoker is draining.
    #[serde(rename = "isEnabled")]
    pub enabled: bool,
}

/// Everything that travels on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum BusMessage {
    /// Controller → `invoker{N}`.
    Activation(Box<ActivationMessage>),
    /// Invoker → `completed{C}`.
    Ack(AckMessage),
    /// Invoker → `health`.
    Ping(PingMessage),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_follow_openwhisk_names() {
        assert_eq!(InvokerId(3).topic(), "invoker3");
        assert_eq!(ControllerId("0".into()).topic(), "completed0");
    }

    #[test]
    fn bus_messages_round_trip_as_json() {
        let m = BusMessage::Ping(PingMessage { invoker: InvokerId(1), user_memory_mb: 2048, enabled: true });
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<BusMessage>(&s).unwrap(), m);
    }
}
