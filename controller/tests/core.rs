//! The invocation core driven without HTTP, as a sequence step or a trigger fire will drive it:
//! an `Invocation` in, "accepted" or "finished" (or a typed refusal) out, with the activation
//! message it publishes read straight off the in-process bus.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use gust_controller::throttle::Throttled;
use gust_controller::{ControllerConfig, ControllerServices, Invocation, InvokeError, Outcome, start};
use gust_core::activation::{Activation, ActivationResponse};
use gust_core::bus::{BusConsumer, InProcessBus, MessageBus};
use gust_core::conformance::entities::{action, package};
use gust_core::entity::Entity;
use gust_core::ids::TransactionId;
use gust_core::memory::MemoryEntityStore;
use gust_core::messages::{AckMessage, ActivationMessage, BusMessage, ControllerId, InvokerId};
use gust_core::names::FullyQualifiedName;
use gust_core::params::Params;
use gust_core::registry::{InvokerInfo, InvokerRegistry, LocalRegistry};
use gust_core::store::EntityStore;
use gust_core::subject::{AuthKey, GUEST_AUTH, Identity};
use gust_core::user_limits::UserLimits;
use serde_json::{Map, Value, json};

mod common;

struct World {
    state: gust_controller::AppState,
    bus: Arc<InProcessBus>,
    invoker: Box<dyn BusConsumer>,
}

/// A controller on in-memory stores with one healthy invoker, whose topic the test reads,
/// and guest's entities: package `pkg` (parameter `a`), its action `echo` (parameter `b`),
/// binding `b` to it (parameter `c`), and a published package `open` with `echo`.
async fn world() -> World {
    let entities = Arc::new(MemoryEntityStore::default());
    let pkg = |name: &str, publish: bool, binding: Option<&str>, p: Params| {
        let Entity::Package(mut pk) = package("guest", name, 1, publish, binding) else { unreachable!() };
        pk.parameters = p;
        Entity::Package(pk)
    };
    let act = |path: &str, p: Params, annotations: Params| {
        let Entity::Action(mut a) = action(path, "echo", 1) else { unreachable!() };
        a.parameters = p;
        a.meta.annotations = annotations;
        Entity::Action(a)
    };
    for e in [
        pkg("pkg", false, None, Params::new().with("a", json!("package")).with("b", json!("package"))),
        act("guest/pkg", Params::new().with("b", json!("action")), Params::new()),
        pkg("b", false, Some("guest/pkg"), Params::new().with("a", json!("binding")).with("c", json!("binding"))),
        pkg("open", true, None, Params::new()),
        act("guest/open", Params::new(), Params::new()),
        act("guest", Params::new().with("fixed", json!(1)), Params::new().with("final", json!(true))),
    ] {
        entities.put(&e, None).await.unwrap();
    }
    let bus = Arc::new(InProcessBus::new());
    let registry = Arc::new(LocalRegistry::new());
    registry.register(InvokerInfo { id: InvokerId(0), user_memory_mb: 2048 }).await.unwrap();
    let invoker = bus.subscribe(&InvokerId(0).topic(), "invoker").await.unwrap();
    let services = ControllerServices { entities, bus: bus.clone(), registry, ..common::services().await };
    World { state: start(ControllerConfig::new(ControllerId("t".into())), services), bus, invoker }
}

fn caller(ns: &str, limits: UserLimits) -> Arc<Identity> {
    let key: AuthKey = GUEST_AUTH.parse().unwrap();
    Arc::new(Identity { limits, ..Identity::new(ns, ns, key) })
}

fn invocation(caller: Arc<Identity>, path: &str, args: Value, blocking: bool) -> Invocation {
    let (path, name) = path.rsplit_once('/').unwrap();
    Invocation {
        caller,
        action: FullyQualifiedName::new(path, name),
        args: match args {
            Value::Object(m) => Some(Value::Object(m)),
            _ => None,
        },
        blocking,
        wait: Duration::from_secs(30),
        step: None,
        transid: TransactionId::generate(),
    }
}

async fn published(w: &mut World) -> ActivationMessage {
    let d = tokio::time::timeout(Duration::from_secs(5), w.invoker.next()).await.unwrap().unwrap().unwrap();
    d.receipt.commit();
    match d.message {
        BusMessage::Activation(m) => *m,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_invocation_through_a_binding_is_published_with_merged_arguments() {
    let mut w = world().await;
    let guest = caller("guest", UserLimits::default());
    let out = w.state.invoke(invocation(guest.clone(), "guest/b/echo", json!({"d": "request"}), false)).await.unwrap();
    let Outcome::Accepted(id) = out else { panic!("{out:?}") };
    let msg = published(&mut w).await;
    assert_eq!(msg.activation_id, id);
    assert_eq!(msg.action, FullyQualifiedName::new("guest/pkg", "echo"), "the real action runs");
    assert_eq!(msg.binding.as_deref(), Some("guest/b"));
    assert_eq!(msg.user, guest);
    let mut want = Map::new();
    for (k, v) in [("a", "binding"), ("b", "action"), ("c", "binding"), ("d", "request")] {
        want.insert(k.into(), json!(v));
    }
    assert_eq!(msg.content, Some(Value::Object(want)));
    assert!(!msg.blocking);
}

#[tokio::test]
async fn a_blocking_invocation_finishes_with_the_record_the_invoker_sends_back() {
    let mut w = world().await;
    let guest = caller("guest", UserLimits::default());
    let state = w.state.clone();
    let run = tokio::spawn(async move { state.invoke(invocation(guest, "guest/pkg/echo", json!({}), true)).await });
    let msg = published(&mut w).await;
    assert!(msg.blocking);
    let record = Activation {
        namespace: "guest".into(),
        name: "echo".into(),
        subject: "guest".into(),
        activation_id: msg.activation_id,
        start: 1,
        end: 2,
        duration: Some(1),
        response: ActivationResponse::success(json!({"ok": true}), None),
        logs: vec![],
        version: msg.version,
        publish: false,
        annotations: Params::new(),
        cause: None,
    };
    let ack = AckMessage {
        transid: msg.transid.clone(),
        activation_id: msg.activation_id,
        result: Some(Arc::new(record.clone())),
        completed: true,
        is_system_error: false,
        invoker: Some(InvokerId(0)),
    };
    w.bus.publish(&msg.root_controller.topic(), BusMessage::Ack(ack)).await.unwrap();
    let out = run.await.unwrap().unwrap();
    assert_eq!(out, Outcome::Finished(Arc::new(record)));
}

#[tokio::test]
async fn refusals_are_typed_and_publish_nothing() {
    let mut w = world().await;
    let guest = caller("guest", UserLimits::default());
    let alice = caller("alice", UserLimits::default());
    let cases = [
        (invocation(guest.clone(), "guest/nothing", json!({}), false), InvokeError::NotFound),
        (invocation(guest.clone(), "guest/nothing/echo", json!({}), false), InvokeError::NotFound),
        (invocation(guest.clone(), "guest/pkg", json!({}), false), InvokeError::NotAnAction),
        (invocation(guest.clone(), "guest/echo", json!({"fixed": 2}), false), InvokeError::ReservedParameters),
        (
            invocation(alice.clone(), "guest/pkg/echo", json!({}), false),
            InvokeError::Forbidden("guest/pkg/echo".into()),
        ),
        (invocation(alice.clone(), "guest/echo", json!({}), false), InvokeError::Forbidden("guest/echo".into())),
        (
            invocation(alice.clone(), "guest/gone/echo", json!({}), false),
            InvokeError::Forbidden("guest/gone/echo".into()),
        ),
    ];
    for (inv, want) in cases {
        let what = inv.action.to_string();
        assert_eq!(w.state.invoke(inv).await, Err(want.clone()), "{what}");
        assert!(want.is_client_error());
    }
    // Nothing of those reached the invoker; a good invocation does.
    assert!(w.state.invoke(invocation(alice, "guest/open/echo", json!({"x": 1}), false)).await.is_ok());
    assert_eq!(published(&mut w).await.action, FullyQualifiedName::new("guest/open", "echo"));
}

#[tokio::test]
async fn throttles_refuse_past_the_namespaces_limits() {
    let w = world().await;
    // A limit of 0 refuses whatever the clock minute (refusals count too).
    let none = caller("guest", UserLimits { invocations_per_minute: Some(0), ..Default::default() });
    let refused = w.state.invoke(invocation(none.clone(), "guest/pkg/echo", json!({}), false)).await;
    assert_eq!(refused, Err(InvokeError::Throttled(Throttled::PerMinute { count: 1, allowed: 0 })));
    let guest = caller("guest", UserLimits::default());
    assert!(w.state.invoke(invocation(guest, "guest/pkg/echo", json!({}), false)).await.is_ok());
    let single = caller("guest", UserLimits { concurrent_invocations: Some(1), ..Default::default() });
    // One of guest's activations is in flight (the invoker never answers here).
    let refused = w.state.invoke(invocation(single, "guest/pkg/echo", json!({}), false)).await;
    assert_eq!(refused, Err(InvokeError::Throttled(Throttled::Concurrent { count: 1, allowed: 1 })));
    let fires = caller("guest", UserLimits { fires_per_minute: Some(0), ..Default::default() });
    assert!(matches!(w.state.count_fire(&fires), Err(Throttled::PerMinute { allowed: 0, .. })));
}
