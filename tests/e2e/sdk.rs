//! The SDK examples, built to wasm32-wasip1 by the harness, deployed and invoked through the API.

use gust_tests::Gust;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn hello_and_echo_examples_run_through_the_api() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("hello", "hello", json!({})).await;
    api.create_wasm("echo", "echo", json!({})).await;
    let r = api.invoke("hello", "blocking=true&result=true", &json!({})).await;
    assert_eq!(r.body, json!({"greeting": "Hello, stranger!"}));
    let params = json!({"nested": {"list": [1, 2, {"x": null}]}, "text": "ü ✓", "n": 1.5});
    let r = api.invoke("echo", "blocking=true&result=true", &params).await;
    assert_eq!(r.body, params);
}

#[tokio::test]
async fn the_context_example_sees_its_activation() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("context", "context", json!({})).await;
    let r = api.invoke("context", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let ctx = &r.body["response"]["result"];
    assert_eq!(ctx["activationId"], r.body["activationId"]);
    assert_eq!(ctx["actionName"], "/guest/context");
    assert_eq!(ctx["namespace"], "guest");
    assert_eq!(ctx["actionVersion"], "0.0.1");
    let deadline = ctx["deadline"].as_u64().unwrap();
    let start = r.body["start"].as_u64().unwrap();
    assert!(deadline >= start + 59_000 && deadline <= start + 61_000, "deadline {deadline} vs start {start}");
    assert_eq!(ctx["apiKeyPresent"], false, "no key unless the action asks for it");
    assert_eq!(ctx["apiHost"], g.url.as_str(), "the API host is always given, as in OpenWhisk");

    let keyed = json!({"annotations": [{"key": "provide-api-key", "value": true}]});
    api.create_wasm("keyed", "context", keyed).await;
    let r = api.invoke("keyed", "blocking=true&result=true", &json!({})).await;
    assert_eq!(r.body["apiKeyPresent"], true);
    assert_eq!(r.body["apiHost"], g.url.as_str());
}
