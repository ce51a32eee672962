//! The description against the router (every route served is described, and every described
//! operation is served by that route) and the shapes against real outputs.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use base64::Engine as _;
use gust_core::action::ActionPut;
use gust_core::activation::{Activation, ActivationResponse, ActivationStatus};
use gust_core::bus::InProcessBus;
use gust_core::entity::{Collection, Entity};
use gust_core::exec::{Exec, RuntimeManifest};
use gust_core::limits::LimitBounds;
use gust_core::memory::{MemoryActivationStore, MemoryEntityStore, MemorySubjectStore};
use gust_core::messages::ControllerId;
use gust_core::names::FullyQualifiedName;
use gust_core::package::{Binding, PackagePut};
use gust_core::params::Params;
use gust_core::prepare::{ExecPreparer, ExecRejected};
use gust_core::registry::LocalRegistry;
use gust_core::semver::SemVer;
use gust_core::store::SubjectStore;
use gust_core::subject::{AuthKey, GUEST_AUTH, SubjectRecord};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{activations as act, entities as ent, errors, info};
use crate::{ControllerConfig, ControllerServices, start};

/// Accepts any code: module validation is the Wasm engine's job, tested with it.
struct AcceptAll;

#[async_trait]
impl ExecPreparer for AcceptAll {
    async fn prepare(&self, _exec: &Exec) -> Result<(), ExecRejected> {
        Ok(())
    }
}

async fn state() -> crate::AppState {
    let subjects = Arc::new(MemorySubjectStore::default());
    let key: AuthKey = GUEST_AUTH.parse().unwrap();
    subjects.put_subject(SubjectRecord::new("guest", "guest", &key)).await.unwrap();
    let services = ControllerServices {
        entities: Arc::new(MemoryEntityStore::default()),
        activations: Arc::new(MemoryActivationStore::default()),
        subjects,
        bus: Arc::new(InProcessBus::new()),
        registry: Arc::new(LocalRegistry::new()),
        preparer: Arc::new(AcceptAll),
    };
    start(ControllerConfig::new(ControllerId("t".into())), services)
}

type Seen = Arc<Mutex<BTreeSet<(String, String)>>>;

/// The served router, with a layer on its routes (not on the fallback) that records which
/// route and method answered each request.
async fn recording_router() -> (axum::Router, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let (router, _) = crate::router_and_document();
    let json = serde_json::to_vec(&crate::openapi()).unwrap();
    let router = router
        .route_layer(axum::middleware::from_fn(move |req: Request, next: Next| {
            let record = record.clone();
            async move {
                let route =
                    req.extensions().get::<MatchedPath>().map(|p| (p.as_str().to_owned(), req.method().to_string()));
                let resp = next.run(req).await;
                // A matched path with a method it does not serve: the method router's 405 (no
                // handler answers 405 itself), or a fallback answering as an unknown route.
                let refused = resp.status() == StatusCode::METHOD_NOT_ALLOWED
                    || resp.extensions().get::<crate::Unrouted>().is_some();
                if let Some(route) = route.filter(|_| !refused) {
                    record.lock().unwrap().insert(route);
                }
                resp
            }
        }))
        .fallback(|| async { crate::ApiError::RouteNotFound })
        .layer(axum::Extension(crate::routes::docs::ApiDocument(json.into())))
        .with_state(state().await);
    (router, seen)
}

async fn call(r: &axum::Router, method: &Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(GUEST_AUTH));
    let mut req = Request::builder().method(method).uri(uri).header("authorization", auth);
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(serde_json::to_vec(&b).unwrap())
        }
        None => Body::empty(),
    };
    let resp = r.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Every (path, method) the document describes.
fn described() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(crate::openapi()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                out.insert((path.clone(), method.to_uppercase()));
            }
        }
    }
    out
}

/// A path template with sample values for its parameters.
fn instantiate(template: &str) -> String {
    template
        .replace("{ns}", "_")
        .replace("{name}", "n")
        .replace("{pkg}", "p")
        .replace("{id}", "c7bb1339cb4f40e3a6ccead6c99f804e")
        .replace("{what}", "w")
}

#[tokio::test]
async fn every_described_operation_is_served_by_its_route() {
    let described = described();
    assert!(described.len() >= 30, "{described:?}");
    let (router, seen) = recording_router().await;
    for (template, method) in &described {
        seen.lock().unwrap().clear();
        let uri = instantiate(template);
        call(&router, &Method::from_bytes(method.as_bytes()).unwrap(), &uri, None).await;
        let routed: Vec<_> = seen.lock().unwrap().iter().cloned().collect();
        assert_eq!(routed, vec![(template.clone(), method.clone())], "{method} {uri}");
    }
}

#[tokio::test]
async fn every_served_route_is_described() {
    let described = described();
    let (router, seen) = recording_router().await;
    // Every described path, the same with a trailing slash added or removed, one segment
    // deeper, and every prefix of it: with every method.
    let mut candidates = BTreeSet::new();
    for (template, _) in &described {
        let uri = instantiate(template);
        let trimmed = uri.trim_end_matches('/').to_owned();
        candidates.insert(format!("{trimmed}/"));
        candidates.insert(format!("{trimmed}/x"));
        candidates.insert(format!("{trimmed}/x/"));
        let mut prefix = String::new();
        for segment in trimmed.split('/').filter(|s| !s.is_empty()) {
            prefix = format!("{prefix}/{segment}");
            candidates.insert(prefix.clone());
        }
    }
    for uri in &candidates {
        for method in [Method::GET, Method::PUT, Method::POST, Method::DELETE, Method::PATCH] {
            call(&router, &method, uri, None).await;
        }
    }
    let seen = seen.lock().unwrap().clone();
    let undescribed: Vec<_> = seen.difference(&described).collect();
    assert!(undescribed.is_empty(), "served but not described: {undescribed:?}");
    // The probes reached every described operation too.
    assert_eq!(seen, described);
}

#[test]
fn the_document_is_openapi_3_and_every_reference_resolves() {
    let doc = serde_json::to_value(crate::openapi()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 50, "{}", refs.len());
    for r in refs {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external reference {r}"));
        assert!(doc.pointer(pointer).is_some(), "unresolved reference {r}");
    }
    // Credentials everywhere under /api/v1/namespaces, nowhere else; operation ids unique, and
    // every link names one.
    let mut ids = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()), "{} twice", op["operationId"]);
        }
    }
    let mut links = Vec::new();
    collect_key(&doc, "operationId", &mut links);
    assert!(links.len() > ids.len(), "no links");
    assert!(links.iter().all(|id| ids.contains(id)), "{links:?}");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op.get("security").is_some();
            assert_eq!(secured, path.starts_with("/api/v1/namespaces"), "{method} {path}");
            assert!(op["responses"].get("default").is_some(), "{method} {path}");
        }
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    collect_key(v, "$ref", out);
}

/// Every string value under `key`, anywhere in `v`.
fn collect_key(v: &Value, key: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get(key) {
                out.push(r.clone());
            }
            m.values().for_each(|v| collect_key(v, key, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_key(v, key, out)),
        _ => {}
    }
}

/// `v` read as the documented shape `T` (whose objects refuse undocumented fields).
fn fits<T: DeserializeOwned + std::fmt::Debug>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v} does not fit {}: {e}", std::any::type_name::<T>()))
}

#[test]
fn actions_packages_triggers_and_rules_fit_their_shapes() {
    let m = RuntimeManifest::default();
    let b = LimitBounds::default();
    let put: ActionPut = serde_json::from_value(json!({"exec": {"kind": "wasm:default", "code": "AGFzbQEAAAA="},
        "parameters": [{"key": "a", "value": 1, "init": true}], "annotations": [{"key": "web-export", "value": true}]}))
    .unwrap();
    let action = put.create(&FullyQualifiedName::new("guest/utils", "hello"), &m, &b, 5).unwrap();
    fits::<ent::Action>(&serde_json::to_value(&action).unwrap());
    let without = fits::<ent::Action>(&serde_json::to_value(action.without_code()).unwrap());
    assert!(without.exec.code.is_empty());
    fits::<ent::ActionSummary>(&action.summary());
    fits::<ent::ActionListing>(&json!([action.summary()]));
    assert!(matches!(fits::<ent::ActionListing>(&json!({"actions": 3})), ent::ActionListing::Count(_)));

    let plain = PackagePut::default().create(&FullyQualifiedName::new("guest", "utils"), None, 1);
    let binding = Binding { namespace: "guest".into(), name: "utils".into() };
    let bound = PackagePut::default().create(&FullyQualifiedName::new("guest", "mine"), Some(binding), 2);
    for p in [&plain, &bound] {
        fits::<ent::Package>(&serde_json::to_value(p).unwrap());
        fits::<ent::PackageSummary>(&p.summary());
    }
    assert!(matches!(fits::<ent::PackageSummary>(&plain.summary()).binding, ent::SummaryBinding::Unbound(_)));
    assert!(matches!(fits::<ent::PackageSummary>(&bound.summary()).binding, ent::SummaryBinding::Bound(_)));

    let trigger = Entity::from_json(
        Collection::Triggers,
        json!({"namespace": "guest", "name": "t", "parameters": [], "limits": {},
            "version": "0.0.2", "publish": false, "annotations": [], "updated": 6}),
    )
    .unwrap();
    fits::<ent::TriggerListing>(&json!([trigger.summary()]));
    let rule = Entity::from_json(
        Collection::Rules,
        json!({"namespace": "guest", "name": "r", "version": "0.0.1", "publish": false,
            "annotations": [], "updated": 7, "trigger": {"path": "guest", "name": "t"},
            "action": {"path": "guest/p", "name": "a"}}),
    )
    .unwrap();
    fits::<ent::RuleListing>(&json!([rule.summary()]));
}

#[test]
fn activations_fit_their_shapes() {
    let mut a = Activation {
        namespace: "guest".into(),
        name: "hello".into(),
        subject: "guest".into(),
        activation_id: "c7bb1339cb4f40e3a6ccead6c99f804e".parse().unwrap(),
        start: 10,
        end: 12,
        duration: Some(2),
        response: ActivationResponse::success(json!({"payload": "Hello"}), Some(19)),
        logs: vec!["2026-01-01T00:00:00.000Z       stdout: hi".into()],
        version: SemVer::INITIAL,
        publish: false,
        annotations: Params::new().with("path", json!("guest/hello")),
        cause: Some("00000000000000000000000000000001".parse().unwrap()),
    };
    for view in [Activation::user_view(&a), json!([a.user_view()])] {
        if view.is_array() {
            let listing = fits::<act::ActivationListing>(&view);
            assert!(
                matches!(&listing, act::ActivationListing::Page(p) if matches!(p[0], act::ActivationListItem::Record(_)))
            );
        } else {
            fits::<act::Activation>(&view);
        }
    }
    let listing = fits::<act::ActivationListing>(&json!([a.summary()]));
    assert!(matches!(&listing, act::ActivationListing::Page(p) if matches!(p[0], act::ActivationListItem::Summary(_))));
    a.end = 0;
    a.cause = None;
    a.response = ActivationResponse::error(ActivationStatus::WhiskError, "broke");
    fits::<act::Activation>(&a.user_view());
    fits::<act::ActivationSummary>(&a.summary());
    fits::<act::ActivationResult>(&a.response.user_view());
    fits::<act::ActivationLogs>(&json!({"logs": a.logs}));
    fits::<act::ActivationListing>(&json!({"activations": 2}));
    fits::<act::ActivationIdBody>(&json!({"activationId": a.activation_id}));
}

#[tokio::test]
async fn what_the_routes_answer_fits_the_shapes() {
    let (r, _) = recording_router().await;
    let (s, v) = call(&r, &Method::GET, "/", None).await;
    assert_eq!(s, StatusCode::OK);
    fits::<info::DeploymentInfo>(&v);
    fits::<info::ApiInfo>(&call(&r, &Method::GET, "/api/v1", None).await.1);
    fits::<info::NamespaceLimits>(&call(&r, &Method::GET, "/api/v1/namespaces/_/limits", None).await.1);
    fits::<Vec<String>>(&call(&r, &Method::GET, "/api/v1/namespaces", None).await.1);
    let (s, v) = call(&r, &Method::GET, "/api/v1/namespaces/_/limits/x", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    fits::<errors::ErrorBody>(&v);

    let action = json!({"exec": {"kind": "wasm:wasip1", "code": "AGFzbQEAAAA="}, "annotations": [{"key": "feed", "value": true}]});
    assert_eq!(call(&r, &Method::PUT, "/api/v1/namespaces/_/packages/utils", Some(json!({}))).await.0, StatusCode::OK);
    let (s, v) = call(&r, &Method::PUT, "/api/v1/namespaces/_/actions/utils/hello", Some(action)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = call(&r, &Method::GET, "/api/v1/namespaces/_/packages/utils", None).await;
    assert_eq!(s, StatusCode::OK);
    let p = fits::<ent::PackageWithContents>(&v);
    assert_eq!((p.actions.len(), p.feeds.len()), (1, 1));
    let (_, v) = call(&r, &Method::GET, "/api/v1/namespaces/_/actions/utils/", None).await;
    assert!(matches!(fits::<ent::ActionListing>(&v), ent::ActionListing::Page(p) if p.len() == 1));
    let (_, v) = call(&r, &Method::GET, "/api/v1/namespaces/_/packages?count=true", None).await;
    assert!(matches!(fits::<ent::PackageListing>(&v), ent::PackageListing::Count(c) if c.packages == 1));
}

#[tokio::test]
async fn the_explicit_action_routes_answer_what_the_wildcard_answered() {
    let (r, _) = recording_router().await;
    let not_a_route = "The requested resource could not be found.";
    for (method, uri) in [
        (Method::GET, "/api/v1/namespaces/_/actions/a/b/c"),
        (Method::POST, "/api/v1/namespaces/_/actions/a/b/c"),
        (Method::GET, "/api/v1/namespaces/_/actions/a//"),
        (Method::PUT, "/api/v1/namespaces/_/actions/p/"),
        (Method::DELETE, "/api/v1/namespaces/_/actions/p/"),
        (Method::POST, "/api/v1/namespaces/_/actions/p/"),
    ] {
        let (s, v) = call(&r, &method, uri, None).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::NOT_FOUND, Some(not_a_route)), "{method} {uri}");
    }
    let (s, v) = call(&r, &Method::GET, "/api/v1/namespaces/_/actions//x", None).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("The name of the entity contains illegal characters."))
    );
    let (s, v) = call(&r, &Method::PATCH, "/api/v1/namespaces/_/actions/x", None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{v}");
}
