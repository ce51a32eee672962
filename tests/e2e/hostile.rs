//! Actions that misbehave: each ends as a proper activation error that says what went wrong,
//! and the invoker keeps serving.

use std::time::{Duration, Instant};

use gust_tests::{Gust, annotation};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn error_of(body: &Value) -> &str {
    body["response"]["result"]["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_endless_loop_is_stopped_at_its_timeout_and_the_invoker_keeps_serving() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("spin", "spin", json!({"limits": {"timeout": 500}})).await;
    api.create_wasm("hello", "hello", json!({})).await;

    let t = Instant::now();
    let spinning = {
        let api = api.clone();
        tokio::spawn(async move { api.invoke("spin", "blocking=true", &json!({})).await })
    };
    // While it spins, other activations still run.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let during = api.invoke("hello", "blocking=true&result=true", &json!({"name": "meanwhile"})).await;
    assert_eq!(during.body, json!({"greeting": "Hello, meanwhile!"}));
    assert!(t.elapsed() < Duration::from_millis(500), "hello was not held up by the loop");

    let r = spinning.await.unwrap();
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.body["response"]["status"], "action developer error");
    assert_eq!(error_of(&r.body), "The action exceeded its time limits of 500 milliseconds.");
    assert_eq!(annotation(&r.body, "timeout"), Some(&json!(true)));
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(500) && took < Duration::from_secs(5), "took {took:?}");

    let after = api.invoke("hello", "blocking=true&result=true", &json!({"name": "after"})).await;
    assert_eq!(after.body, json!({"greeting": "Hello, after!"}));
}

#[tokio::test]
async fn growing_memory_past_the_limit_is_reported_as_out_of_memory() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("hog", "hog", json!({"limits": {"memory": 128}})).await;
    let r = api.invoke("hog", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.body["response"]["status"], "action developer error");
    assert_eq!(error_of(&r.body), "The action exhausted its memory and was aborted.");
    let logs = r.body["logs"].as_array().unwrap();
    assert!(logs.iter().any(|l| l.as_str().unwrap().contains("hog: holding 64 MiB")), "{logs:?}");
    let ok = api.invoke("hog", "blocking=true", &json!({})).await;
    assert_eq!(error_of(&ok.body), "The action exhausted its memory and was aborted.", "repeatable");
}

#[tokio::test]
async fn twenty_mebibytes_of_stderr_are_truncated_at_the_log_limit() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("chatty", "chatty", json!({})).await;
    let r = api.invoke("chatty", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "the action itself succeeds");
    assert_eq!(r.body["response"]["result"], json!({"done": true}));
    let id = r.body["activationId"].as_str().unwrap();
    let logs = api.get(&format!("/api/v1/namespaces/_/activations/{id}/logs")).await.body;
    let lines = logs["logs"].as_array().unwrap();
    // 1,024 bytes a line (1,023 + newline) into 10 MiB: 10,240 lines, then the notice.
    assert_eq!(lines.len(), 10_241);
    assert!(lines[0].as_str().unwrap().contains("stderr: 0 "));
    assert!(lines[10_239].as_str().unwrap().contains("stderr: 10239 "));
    assert!(
        lines[10_240]
            .as_str()
            .unwrap()
            .ends_with("Logs were truncated because the total bytes size exceeds the limit of 10485760 bytes."),
        "{}",
        lines[10_240]
    );

    api.create_wasm("quiet", "chatty", json!({"limits": {"logs": 1}})).await;
    let r = api.invoke("quiet", "blocking=true", &json!({})).await;
    assert_eq!(r.body["logs"].as_array().unwrap().len(), 1025, "a 1 MB limit keeps 1,024 lines and the notice");
}

#[tokio::test]
async fn output_that_is_not_a_json_object_is_a_developer_error_that_says_which() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("garbage", "garbage", json!({})).await;
    api.create_wasm("scalar", "scalar", json!({})).await;
    api.create_wasm("exit", "exit", json!({})).await;

    let r = api.invoke("garbage", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.body["response"]["status"], "action developer error");
    assert_eq!(error_of(&r.body), "The action did not produce a valid JSON or JSON Array response: this is not JSON");

    let r = api.invoke("scalar", "blocking=true", &json!({})).await;
    assert_eq!(error_of(&r.body), "The action did not return a dictionary or array: 42");

    let r = api.invoke("exit", "blocking=true", &json!({})).await;
    assert_eq!(error_of(&r.body), "The action did not produce a valid response and exited unexpectedly (exit code 3).");
}

#[tokio::test]
async fn errors_and_crashes_are_told_apart() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("fail", "fail", json!({})).await;
    api.create_wasm("crash", "crash", json!({})).await;

    let r = api.invoke("fail", "blocking=true", &json!({"reason": "on purpose"})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.body["response"]["status"], "application error");
    assert_eq!(r.body["response"]["success"], false);
    let r = api.invoke("fail", "blocking=true&result=true", &json!({"reason": "on purpose"})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(r.body["error"].as_str().unwrap().starts_with("boom"), "{:?}", r.body);

    let r = api.invoke("crash", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.body["response"]["status"], "action developer error");
    let msg = error_of(&r.body);
    assert!(msg.starts_with("The action did not produce a valid response and exited unexpectedly (trap:"), "{msg}");
    let logs: Vec<&str> = r.body["logs"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(logs.iter().any(|l| l.contains("crash: about to panic")), "{logs:?}");
    assert!(logs.iter().any(|l| l.contains("crash on purpose")), "the panic message is in the logs: {logs:?}");
}
