//! The controller in-process (the router called with `oneshot`, in-memory stores, the
//! in-process bus): what it answers on its own, without an invoker.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gust_controller::{ControllerConfig, app, start};
use gust_core::messages::ControllerId;
use gust_core::subject::GUEST_AUTH;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

mod common;

async fn router() -> axum::Router {
    app(start(ControllerConfig::new(ControllerId("t".into())), common::services().await))
}

async fn call(r: &axum::Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    use base64::Engine as _;
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

fn action() -> Value {
    json!({"exec": {"kind": "wasm:wasip1", "code": "AGFzbQEAAAA="}})
}

#[tokio::test]
async fn without_invokers_an_invoke_is_refused_with_503_and_nothing_is_recorded() {
    let r = router().await;
    assert_eq!(call(&r, "PUT", "/api/v1/namespaces/_/actions/a", Some(action())).await.0, StatusCode::OK);
    let (status, body) = call(&r, "POST", "/api/v1/namespaces/_/actions/a?blocking=true", Some(json!({}))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "No invokers available");
    let (_, count) = call(&r, "GET", "/api/v1/namespaces/_/activations?count=true", None).await;
    assert_eq!(count, json!({"activations": 0}));
}

#[tokio::test]
async fn an_update_races_a_delete_without_half_writes() {
    let r = router().await;
    call(&r, "PUT", "/api/v1/namespaces/_/actions/a", Some(action())).await;
    let (s, _) = call(&r, "DELETE", "/api/v1/namespaces/_/actions/a", None).await;
    assert_eq!(s, StatusCode::OK);
    // An overwrite of a deleted action creates it afresh at 0.0.1.
    let (s, b) = call(&r, "PUT", "/api/v1/namespaces/_/actions/a?overwrite=true", Some(action())).await;
    assert_eq!((s, b["version"].clone()), (StatusCode::OK, json!("0.0.1")));
}

#[tokio::test]
async fn packaged_actions_need_a_package() {
    let r = router().await;
    let (s, b) = call(&r, "PUT", "/api/v1/namespaces/_/actions/pkg/a", Some(action())).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"], "The requested resource does not exist.");
    assert_eq!(call(&r, "GET", "/api/v1/namespaces/_/actions/pkg/", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(call(&r, "GET", "/api/v1/namespaces/_/actions/a/b/c", None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn list_paging_is_validated() {
    let r = router().await;
    let (s, b) = call(&r, "GET", "/api/v1/namespaces/_/actions?limit=500", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"], "The value '500' is not in the range of 0 to 200 for actions.");
    let (s, b) = call(&r, "GET", "/api/v1/namespaces/_/actions?limit=0&count=yes", None).await;
    assert_eq!((s, b), (StatusCode::OK, json!({"actions": 0})));
}
