//! Chains of activations: sequences and conductor compositions. What a chain keeps as its
//! steps finish ([`Tally`]) and the record it ends with ([`ChainHead::record`]), written once
//! for every place a chain runs: a controller driving it step by step over the bus, or an
//! invoker running a fused Wasm sequence in one go. Both must produce the same records.

use serde_json::{Map, Value, json};

use crate::activation::{Activation, ActivationResponse, ActivationStatus};
use crate::ids::ActivationId;
use crate::limits::ActionLimits;
use crate::names::FullyQualifiedName;
use crate::params::Params;
use crate::semver::SemVer;

/// OpenWhisk's messages for chains that went wrong, as `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainFailure {
    /// A sequence component that no longer exists (application error).
    #[error("Sequence component does not exist.")]
    ComponentMissing,
    /// More atomic actions than [`SEQUENCE_MAX_ACTIONS`](crate::limits::SEQUENCE_MAX_ACTIONS)
    /// (application error).
    #[error("Too many actions in the sequence.")]
    SequenceTooLong,
    /// A component whose record did not come within its wait (whisk error).
    #[error("Timeout reached when retrieving activation {0} for sequence component.")]
    SequenceTimeout(ActivationId),
    /// A component that could not be invoked (whisk error).
    #[error("Sequence failed.")]
    SequenceFailed,
    /// More conductor or component activations than allowed (application error).
    #[error("Too many actions in the composition.")]
    CompositionTooLong,
    /// A conductor or component that could not be invoked (whisk error).
    #[error("Activation failure during composition.")]
    CompositionFailed,
    /// A conductor or component whose record did not come within its wait (whisk error).
    #[error("Timeout reached when retrieving activation {0} during composition.")]
    CompositionTimeout(ActivationId),
    /// A conductor result whose `action` is not an action name (given back to the conductor).
    #[error("Failed to parse action name from json value {0} during composition.")]
    ComponentInvalid(String),
    /// A conductor named an action that does not exist (given back to the conductor).
    #[error("Failed to resolve action with name '{0}' during composition.")]
    ComponentNotFound(String),
    /// A conductor named an action the caller may not invoke (given back to the conductor).
    #[error("Failed entitlement check for action with name '{0}' during composition.")]
    ComponentNotAccessible(String),
}

impl ChainFailure {
    /// The response a chain ends with when this stops it.
    pub fn response(&self) -> ActivationResponse {
        let status = match self {
            Self::ComponentMissing | Self::SequenceTooLong | Self::CompositionTooLong => {
                ActivationStatus::ApplicationError
            }
            _ => ActivationStatus::WhiskError,
        };
        ActivationResponse::error(status, self.to_string())
    }
}

/// What a chain's own record says about the chain: who ran what, for whom, since when.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainHead {
    /// The chain's activation id.
    pub id: ActivationId,
    /// The sequence or conductor action, in its own package.
    pub action: FullyQualifiedName,
    /// Its version.
    pub version: SemVer,
    /// Its limits.
    pub limits: ActionLimits,
    /// The namespace charged (the record's namespace).
    pub namespace: String,
    /// The caller's subject.
    pub subject: String,
    /// The binding the action was named through.
    pub binding: Option<String>,
    /// The enclosing chain, when this one is a step of another.
    pub cause: Option<ActivationId>,
    /// True for a conductor composition.
    pub conductor: bool,
    /// When the request arrived, epoch ms (`waitTime` counts from it).
    pub arrived: u64,
    /// When the chain started, epoch ms.
    pub start: u64,
}

/// What a chain has done so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// The step activations, in order (the chain record's `logs`).
    pub logs: Vec<ActivationId>,
    /// The sum of the steps' durations, ms.
    pub duration: u64,
    /// The largest memory limit of the steps, MB.
    pub max_memory: Option<u64>,
    /// The response the chain ends with if it ends now.
    pub response: ActivationResponse,
    /// Atomic actions run (sequence) or components run (composition).
    pub count: usize,
}

/// Whether a chain goes on after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Run the next step.
    Continue,
    /// Stop: the last response is the chain's.
    Stop,
}

impl Tally {
    /// A chain about to run, on `input`.
    pub fn new(input: Option<Value>) -> Self {
        let response = ActivationResponse {
            status: ActivationStatus::Success,
            result: Some(input.unwrap_or_else(|| Value::Object(Map::new()))),
            size: None,
        };
        Self { logs: Vec::new(), duration: 0, max_memory: None, response, count: 0 }
    }

    /// The input of a sequence's next component: the last result when it is an object or an
    /// array, else nothing.
    pub fn next_input(&self) -> Option<Value> {
        match &self.response.result {
            Some(v @ (Value::Object(_) | Value::Array(_))) => Some(v.clone()),
            _ => None,
        }
    }

    /// Counts a step's record: its id, duration and memory, and its response as the chain's.
    pub fn add(&mut self, step: &Activation) {
        self.logs.push(step.activation_id);
        self.duration += step.duration.unwrap_or(step.end.saturating_sub(step.start));
        if let Some(m) = step.annotations.get("limits").and_then(|l| l.get("memory")).and_then(Value::as_u64) {
            self.max_memory = Some(self.max_memory.map_or(m, |o| o.max(m)));
        }
        self.response = step.response.clone();
    }

    /// Counts a sequence component's record and says whether the sequence goes on: it stops at
    /// a result with a top-level `error`.
    pub fn add_component(&mut self, step: &Activation) -> Next {
        self.add(step);
        let failed = matches!(&step.response.result, Some(Value::Object(m)) if m.contains_key("error"));
        if failed || step.response.status != ActivationStatus::Success { Next::Stop } else { Next::Continue }
    }

    /// Ends the chain with `failure`, counting the step it concerns (if it has an id).
    pub fn fail(&mut self, failure: &ChainFailure, step: Option<ActivationId>) {
        self.logs.extend(step);
        self.response = failure.response();
    }
}

impl ChainHead {
    /// The chain's record, once it ended at `end` (epoch ms) with `tally`.
    pub fn record(&self, tally: Tally, end: u64) -> Activation {
        let memory = tally.max_memory.unwrap_or(u64::from(self.limits.memory));
        let mut limits = json!(self.limits);
        limits["memory"] = json!(memory);
        let mut annotations = Params::new()
            .with("topmost", json!(self.cause.is_none()))
            .with("path", json!(self.action.doc_id()))
            .with("kind", json!(crate::exec::SEQUENCE_KIND));
        if self.conductor {
            annotations.set("conductor", json!(true));
        }
        if self.cause.is_some() {
            annotations.set("causedBy", json!(crate::exec::SEQUENCE_KIND));
        }
        annotations.set("waitTime", json!(self.start.saturating_sub(self.arrived)));
        if let Some(b) = &self.binding {
            annotations.set("binding", json!(b));
        }
        annotations.set("limits", limits);
        Activation {
            namespace: self.namespace.clone(),
            name: self.action.name.clone(),
            subject: self.subject.clone(),
            activation_id: self.id,
            start: self.start,
            end: end.max(self.start),
            duration: Some(tally.duration),
            response: tally.response,
            logs: tally.logs.iter().map(ToString::to_string).collect(),
            version: self.version,
            publish: false,
            annotations,
            cause: self.cause,
        }
    }
}

/// The conductor's answer, read as OpenWhisk reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Continuation {
    /// The next action's name as the conductor gave it (`None`: the composition ends).
    pub action: Option<Value>,
    /// The parameters for the next action, or the final result (boxed as `{value}` when not an
    /// object).
    pub params: Option<Map<String, Value>>,
    /// The state for the next conductor activation (boxed as `{state}` when not an object).
    pub state: Option<Map<String, Value>>,
}

impl Continuation {
    /// Reads a conductor activation's result.
    pub fn of(result: Option<&Value>) -> Self {
        let empty = Map::new();
        let fields = match result {
            Some(Value::Object(m)) => m,
            _ => &empty,
        };
        let boxed = |v: &Value, key: &str| match v {
            Value::Object(m) => m.clone(),
            other => Map::from_iter([(key.to_owned(), other.clone())]),
        };
        Self {
            action: fields.get("action").cloned(),
            params: fields.get("params").map(|v| boxed(v, "value")),
            state: fields.get("state").map(|v| boxed(v, "state")),
        }
    }
}

/// What a step runs with: its action's parameters (package, binding and action, merged) with
/// the input object over them; an array input is passed as it is.
pub fn with_input(mut parameters: Map<String, Value>, input: Option<Value>) -> Value {
    match input {
        Some(Value::Array(a)) => Value::Array(a),
        Some(Value::Object(m)) => {
            parameters.extend(m);
            Value::Object(parameters)
        }
        _ => Value::Object(parameters),
    }
}

/// The input of the next conductor activation: `result` (an object, else nothing) with the
/// fields of `state` over it.
pub fn conductor_input(result: Option<Value>, state: Option<&Map<String, Value>>) -> Option<Value> {
    match result {
        Some(Value::Object(mut m)) => {
            if let Some(s) = state {
                m.extend(s.clone());
            }
            Some(Value::Object(m))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::LimitBounds;

    fn step(id: ActivationId, result: Value, status: ActivationStatus, duration: u64, memory: u64) -> Activation {
        Activation {
            namespace: "guest".into(),
            name: "c".into(),
            subject: "guest".into(),
            activation_id: id,
            start: 10,
            end: 10 + duration,
            duration: Some(duration),
            response: ActivationResponse { status, result: Some(result), size: None },
            logs: vec![],
            version: SemVer::INITIAL,
            publish: false,
            annotations: Params::new().with("limits", json!({"memory": memory})),
            cause: None,
        }
    }

    fn head(cause: Option<ActivationId>) -> ChainHead {
        ChainHead {
            id: ActivationId::generate(),
            action: FullyQualifiedName::new("guest", "seq"),
            version: SemVer::INITIAL,
            limits: ActionLimits::defaults(&LimitBounds::default()),
            namespace: "guest".into(),
            subject: "guest".into(),
            binding: None,
            cause,
            conductor: false,
            arrived: 5,
            start: 7,
        }
    }

    #[test]
    fn a_sequence_sums_durations_keeps_the_largest_memory_and_stops_at_an_error() {
        let mut t = Tally::new(Some(json!({"a": 1})));
        assert_eq!(t.next_input(), Some(json!({"a": 1})));
        let (a, b) = (ActivationId::generate(), ActivationId::generate());
        assert_eq!(t.add_component(&step(a, json!([1]), ActivationStatus::Success, 3, 128)), Next::Continue);
        assert_eq!(t.next_input(), Some(json!([1])));
        let err = step(b, json!({"error": "x"}), ActivationStatus::ApplicationError, 4, 512);
        assert_eq!(t.add_component(&err), Next::Stop);
        let h = head(None);
        let r = h.record(t, 20);
        assert_eq!(r.logs, vec![a.to_string(), b.to_string()]);
        assert_eq!(r.duration, Some(7));
        assert_eq!(r.response.status, ActivationStatus::ApplicationError);
        assert_eq!(r.annotations.get("limits").unwrap()["memory"], 512);
        assert_eq!(r.annotations.get("topmost"), Some(&json!(true)));
        assert_eq!(r.annotations.get("kind"), Some(&json!("sequence")));
        assert_eq!(r.annotations.get("waitTime"), Some(&json!(2)));
        assert!(r.annotations.get("causedBy").is_none());
        assert_eq!(r.cause, None);
    }

    #[test]
    fn a_scalar_result_gives_the_next_component_no_input() {
        let mut t = Tally::new(None);
        t.add_component(&step(ActivationId::generate(), json!(3), ActivationStatus::Success, 1, 1));
        assert_eq!(t.next_input(), None);
    }

    #[test]
    fn nested_chains_say_what_caused_them_and_failures_are_openwhisks() {
        let outer = ActivationId::generate();
        let mut t = Tally::new(None);
        let late = ActivationId::generate();
        t.fail(&ChainFailure::SequenceTimeout(late), Some(late));
        let r = head(Some(outer)).record(t, 9);
        assert_eq!(r.cause, Some(outer));
        assert_eq!(r.annotations.get("topmost"), Some(&json!(false)));
        assert_eq!(r.annotations.get("causedBy"), Some(&json!("sequence")));
        assert_eq!(r.response.status, ActivationStatus::WhiskError);
        assert_eq!(
            r.response.result,
            Some(
                json!({"error": format!("Timeout reached when retrieving activation {late} for sequence component.")})
            )
        );
        assert_eq!(r.logs, vec![late.to_string()]);
        assert_eq!(ChainFailure::ComponentMissing.response().status, ActivationStatus::ApplicationError);
    }

    #[test]
    fn continuations_box_what_is_not_an_object() {
        let c = Continuation::of(Some(&json!({"action": "/_/a", "params": 3, "state": "s"})));
        assert_eq!(c.action, Some(json!("/_/a")));
        assert_eq!(c.params, Some(Map::from_iter([("value".to_owned(), json!(3))])));
        assert_eq!(c.state, Some(Map::from_iter([("state".to_owned(), json!("s"))])));
        let end = Continuation::of(Some(&json!({"params": {"v": 1}})));
        assert_eq!(end.action, None);
        let state = Map::from_iter([("$step".to_owned(), json!(1))]);
        assert_eq!(conductor_input(Some(json!({"v": 9, "$step": 0})), Some(&state)), Some(json!({"v": 9, "$step": 1})));
        assert_eq!(conductor_input(Some(json!([1])), Some(&state)), None);
    }
}
