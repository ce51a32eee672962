//! Invocation: blocking, non-blocking, `result=true`, a blocking wait that runs out, and
//! parameter merging.

use std::time::Duration;

use gust_tests::{Gust, annotation};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_blocking_invoke_answers_the_whole_record() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("hello", "hello", json!({})).await;
    let r = api.invoke("hello", "blocking=true", &json!({"name": "Bo"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let id = r.body["activationId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(r.headers["x-openwhisk-activation-id"], id.as_str());
    assert_eq!(
        r.body["response"],
        json!({"status": "success", "success": true, "result": {"greeting": "Hello, Bo!"}, "size": 26})
    );
    assert_eq!(r.body["namespace"], "guest");
    assert_eq!(r.body["subject"], "guest");
    assert_eq!(r.body["version"], "0.0.1");
    assert_eq!(annotation(&r.body, "path"), Some(&json!("guest/hello")));
    assert_eq!(annotation(&r.body, "kind"), Some(&json!("wasm:wasip1")));
    assert_eq!(annotation(&r.body, "timeout"), Some(&json!(false)));
    assert!(annotation(&r.body, "waitTime").is_some_and(|w| w.is_u64()));
    assert_eq!(annotation(&r.body, "limits").unwrap()["memory"], 256);
    assert!(annotation(&r.body, "initTime").is_some(), "the first run of a revision initialises it");
    assert!(r.body["logs"][0].as_str().unwrap().ends_with("stderr: hello: greeting Bo"));
    assert!(r.body["end"].as_u64().unwrap() >= r.body["start"].as_u64().unwrap());

    let warm = api.invoke("hello", "blocking=true", &json!({})).await;
    assert!(annotation(&warm.body, "initTime").is_none(), "a warm run has no initTime: {:?}", warm.body);
}

#[tokio::test]
async fn result_true_answers_only_the_result() {
    let g = Gust::start().await;
    g.api.create_wasm("hello", "hello", json!({})).await;
    let r = g.api.invoke("hello", "blocking=true&result=true", &json!({"name": "Cy"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"greeting": "Hello, Cy!"}));
    assert_eq!(r.headers["x-openwhisk-activation-id"].len(), 32);
    // result=true is ignored without blocking.
    let r = g.api.invoke("hello", "result=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_non_blocking_invoke_answers_202_and_the_record_follows() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("hello", "hello", json!({})).await;
    let r = api.invoke("hello", "", &json!({"name": "Di"})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let id = r.body["activationId"].as_str().unwrap().to_owned();
    assert_eq!(r.body, json!({"activationId": id}));
    let record = api.await_record(&id, Duration::from_secs(10)).await;
    assert_eq!(record["response"]["result"], json!({"greeting": "Hello, Di!"}));
}

#[tokio::test]
async fn a_blocking_invoke_that_outlives_its_wait_answers_202_and_completes_later() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("sleep", "sleep", json!({})).await;
    let r = api.invoke("sleep", "blocking=true&timeout=100", &json!({"ms": 1500})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let id = r.body["activationId"].as_str().unwrap().to_owned();
    let record = api.await_record(&id, Duration::from_secs(10)).await;
    assert_eq!(record["response"]["result"], json!({"slept": 1500}));
    assert!(record["duration"].as_u64().unwrap() >= 1500);
}

#[tokio::test]
async fn parameters_merge_action_then_request_and_final_ones_are_protected() {
    let g = Gust::start().await;
    let api = &g.api;
    let params = json!({"parameters": [{"key": "a", "value": 1}, {"key": "b", "value": "x"}]});
    api.create_wasm("echo", "echo", params.clone()).await;
    let r = api.invoke("echo", "blocking=true&result=true", &json!({"b": "y", "c": true})).await;
    assert_eq!(r.body, json!({"a": 1, "b": "y", "c": true}));

    let mut fin = params;
    fin["annotations"] = json!([{"key": "final", "value": true}]);
    api.create_wasm("sealed", "echo", fin).await;
    let r = api.invoke("sealed", "blocking=true&result=true", &json!({"b": "y"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error(), "Request defines parameters that are not allowed (e.g., reserved properties).");
    let r = api.invoke("sealed", "blocking=true&result=true", &json!({"c": 2})).await;
    assert_eq!(r.body, json!({"a": 1, "b": "x", "c": 2}));
}

#[tokio::test]
async fn an_empty_body_is_no_payload() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("echo", "echo", json!({"parameters": [{"key": "k", "value": "v"}]})).await;
    let r =
        api.raw(reqwest::Method::POST, "/api/v1/namespaces/_/actions/echo?blocking=true&result=true", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body, json!({"k": "v"}));
}
