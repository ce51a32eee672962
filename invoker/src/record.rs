//! Building the activation record and the run environment from a bus message.

use gust_core::action::Action;
use gust_core::activation::{Activation, ActivationResponse};
use gust_core::messages::ActivationMessage;
use gust_core::params::Params;
use serde_json::{Map, Value, json};

use crate::executor::{Leftovers, RunOutcome};

/// When the run happened, epoch ms.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// Time spent making the revision runnable in this activation (cold start), ms.
    pub(crate) prepare_ms: Option<u64>,
}

/// The record of an activation that ran (or failed to start) on this invoker.
pub(crate) fn build(msg: &ActivationMessage, action: Option<&Action>, outcome: RunOutcome, t: Timing) -> Activation {
    let t = Timing { start: outcome.started_ms.unwrap_or(t.start).max(t.start), ..t };
    let mut annotations = Params::new()
        .with("path", json!(msg.action.doc_id()))
        .with("waitTime", json!(t.start.saturating_sub(msg.transid.start)));
    if let Some(a) = action {
        annotations.set("kind", json!(a.exec.kind()));
        annotations.set("limits", json!(a.limits));
    }
    if let Some(b) = &msg.binding {
        annotations.set("binding", json!(b));
    }
    if msg.cause.is_some() {
        annotations.set("causedBy", json!(gust_core::exec::SEQUENCE_KIND));
    }
    annotations.set("timeout", json!(outcome.timed_out));
    let init = match (t.prepare_ms, outcome.init_time_ms) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
    if let Some(init) = init {
        annotations.set("initTime", json!(init));
    }
    Activation {
        namespace: msg.user.namespace.clone(),
        name: msg.action.name.clone(),
        subject: msg.user.subject.clone(),
        activation_id: msg.activation_id,
        start: t.start,
        end: t.end,
        duration: Some(t.end.saturating_sub(t.start)),
        response: outcome.response,
        logs: outcome.logs,
        version: msg.version,
        publish: false,
        annotations,
        cause: msg.cause,
    }
}

/// An outcome for an activation that never ran.
pub(crate) fn not_run(response: ActivationResponse) -> RunOutcome {
    RunOutcome {
        response,
        logs: Vec::new(),
        timed_out: false,
        init_time_ms: None,
        started_ms: None,
        leftovers: Leftovers::default(),
    }
}

/// A JSON value as an environment variable: strings as they are, everything else as JSON.
fn env_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The run parameters (without `init` ones) and the environment: `__OW_*` context, plus
/// parameters flagged `init: true`.
pub(crate) fn run_input(
    msg: &ActivationMessage,
    action: &Action,
    api_host: Option<&str>,
    deadline_ms: u64,
) -> (Vec<u8>, Vec<(String, String)>) {
    let mut env = vec![
        ("__OW_ACTIVATION_ID".to_owned(), msg.activation_id.to_string()),
        ("__OW_ACTION_NAME".to_owned(), msg.action.qualified()),
        ("__OW_ACTION_VERSION".to_owned(), msg.version.to_string()),
        ("__OW_NAMESPACE".to_owned(), msg.user.namespace.clone()),
        ("__OW_TRANSACTION_ID".to_owned(), msg.transid.id.clone()),
        ("__OW_DEADLINE".to_owned(), deadline_ms.to_string()),
    ];
    // As in OpenWhisk: the API host always (when known), the caller's key only when asked for.
    if let Some(h) = api_host {
        env.push(("__OW_API_HOST".to_owned(), h.to_owned()));
    }
    if action.provides_api_key() {
        env.push(("__OW_API_KEY".to_owned(), msg.user.authkey.to_string()));
    }
    let params = match &msg.content {
        Some(Value::Object(m)) if !msg.init_args.is_empty() => {
            let mut run = Map::new();
            for (k, v) in m {
                if msg.init_args.contains(k) {
                    env.push((k.clone(), env_string(v)));
                } else {
                    run.insert(k.clone(), v.clone());
                }
            }
            serde_json::to_vec(&run)
        }
        Some(v) => serde_json::to_vec(v),
        None => Ok(b"{}".to_vec()),
    };
    (params.unwrap_or_else(|_| b"{}".to_vec()), env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gust_core::action::{ActionPut, SemVer};
    use gust_core::activation::ActivationStatus;
    use gust_core::exec::RuntimeManifest;
    use gust_core::ids::{ActivationId, TransactionId};
    use gust_core::limits::LimitBounds;
    use gust_core::messages::ControllerId;
    use gust_core::names::FullyQualifiedName;
    use gust_core::subject::{GUEST_AUTH, Identity};

    fn action(annotations: Value) -> Action {
        let put: ActionPut = serde_json::from_value(
            json!({"exec": {"kind": "wasm:wasip1", "code": "AAAA"}, "annotations": annotations}),
        )
        .unwrap();
        put.create(&FullyQualifiedName::new("guest", "hello"), &RuntimeManifest::default(), &LimitBounds::default(), 0)
            .unwrap()
    }

    fn msg(content: Value, init_args: Vec<String>) -> ActivationMessage {
        ActivationMessage {
            transid: TransactionId { id: "tid".into(), start: 100 },
            action: FullyQualifiedName::new("guest", "hello"),
            version: SemVer::INITIAL,
            revision: "1".into(),
            user: std::sync::Arc::new(Identity::new("guest", "guest", GUEST_AUTH.parse().unwrap())),
            activation_id: ActivationId::generate(),
            root_controller: ControllerId("0".into()),
            blocking: true,
            content: Some(content),
            init_args,
            cause: None,
            binding: None,
            fused: None,
        }
    }

    #[test]
    fn records_carry_openwhisk_annotations() {
        let a = action(json!([]));
        let m = msg(json!({}), vec![]);
        let out = RunOutcome {
            response: ActivationResponse::success(json!({"x": 1}), Some(7)),
            logs: vec![],
            timed_out: false,
            init_time_ms: None,
            started_ms: None,
            leftovers: Leftovers::default(),
        };
        let r = build(&m, Some(&a), out, Timing { start: 110, end: 115, prepare_ms: Some(3) });
        assert_eq!(r.annotations.get("path"), Some(&json!("guest/hello")));
        assert_eq!(r.annotations.get("waitTime"), Some(&json!(10)));
        assert_eq!(r.annotations.get("kind"), Some(&json!("wasm:wasip1")));
        assert_eq!(r.annotations.get("timeout"), Some(&json!(false)));
        assert_eq!(r.annotations.get("initTime"), Some(&json!(3)));
        assert!(r.annotations.get("binding").is_none());
        assert_eq!(r.duration, Some(5));
        assert_eq!(r.response.status, ActivationStatus::Success);
        let through = ActivationMessage { binding: Some("guest/mine".into()), ..m.clone() };
        let bound = build(
            &through,
            Some(&a),
            not_run(ActivationResponse::success(json!({}), None)),
            Timing { start: 1, end: 2, prepare_ms: None },
        );
        assert_eq!(bound.annotations.get("binding"), Some(&json!("guest/mine")));
        let warm = build(
            &m,
            Some(&a),
            not_run(ActivationResponse::success(json!({}), None)),
            Timing { start: 1, end: 1, prepare_ms: None },
        );
        assert!(warm.annotations.get("initTime").is_none());
    }

    #[test]
    fn the_api_key_is_passed_only_when_asked_for_the_api_host_always() {
        let (_, env) = run_input(&msg(json!({}), vec![]), &action(json!([])), Some("http://h"), 5);
        assert!(!env.iter().any(|(k, _)| k == "__OW_API_KEY"));
        assert!(env.iter().any(|(k, v)| k == "__OW_API_HOST" && v == "http://h"));
        let (_, env) = run_input(
            &msg(json!({}), vec![]),
            &action(json!([{"key": "provide-api-key", "value": true}])),
            Some("http://h"),
            5,
        );
        assert!(env.iter().any(|(k, v)| k == "__OW_API_KEY" && v == GUEST_AUTH));
        assert!(env.iter().any(|(k, v)| k == "__OW_API_HOST" && v == "http://h"));
        // Unknown: not set at all (rather than empty).
        let (_, env) = run_input(&msg(json!({}), vec![]), &action(json!([])), None, 5);
        assert!(!env.iter().any(|(k, _)| k == "__OW_API_HOST"));
    }

    #[test]
    fn init_parameters_move_to_the_environment() {
        let (params, env) =
            run_input(&msg(json!({"a": 1, "secret": "s"}), vec!["secret".into()]), &action(json!([])), None, 5);
        assert_eq!(serde_json::from_slice::<Value>(&params).unwrap(), json!({"a": 1}));
        assert!(env.iter().any(|(k, v)| k == "secret" && v == "s"));
        assert!(env.iter().any(|(k, v)| k == "__OW_ACTION_NAME" && v == "/guest/hello"));
    }
}
