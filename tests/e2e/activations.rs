//! Activation records: get, list with its filters, logs, result.

use std::time::Duration;

use gust_tests::Gust;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn records_can_be_read_whole_or_in_parts() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("hello", "hello", json!({})).await;
    let r = api.invoke("hello", "blocking=true", &json!({"name": "Ed"})).await;
    let id = r.body["activationId"].as_str().unwrap().to_owned();

    let got = api.get(&format!("/api/v1/namespaces/_/activations/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, r.body, "the stored record is what the blocking call answered");

    let logs = api.get(&format!("/api/v1/namespaces/_/activations/{id}/logs")).await;
    assert_eq!(logs.body["logs"].as_array().unwrap().len(), 1);
    assert!(logs.body["logs"][0].as_str().unwrap().contains("stderr: hello: greeting Ed"));

    let result = api.get(&format!("/api/v1/namespaces/_/activations/{id}/result")).await;
    assert_eq!(
        result.body,
        json!({"result": {"greeting": "Hello, Ed!"}, "success": true, "status": "success", "size": 26})
    );

    let missing = api.get("/api/v1/namespaces/_/activations/0123456789abcdef0123456789abcdef").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error(), "The requested resource does not exist.");
    let short = api.get("/api/v1/namespaces/_/activations/abc").await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert_eq!(short.error(), "Activation id length is 3 but must be 32.");
    let upper = api.get("/api/v1/namespaces/_/activations/0123456789ABCDEF0123456789ABCDEF").await;
    assert_eq!(upper.error(), "The activation id is not valid.");
}

#[tokio::test]
async fn the_list_filters_by_name_time_and_pages() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("hello", "hello", json!({})).await;
    api.create_wasm("echo", "echo", json!({})).await;
    let mut ids = vec![];
    for i in 0..3 {
        let r = api.invoke("hello", "blocking=true", &json!({"name": i.to_string()})).await;
        ids.push(r.body["activationId"].as_str().unwrap().to_owned());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let e = api.invoke("echo", "blocking=true", &json!({})).await;
    let echo_start = e.body["start"].as_u64().unwrap();

    let all = api.get("/api/v1/namespaces/_/activations").await;
    let list = all.body.as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[0]["name"], "echo", "newest first");
    assert!(list[0].get("response").is_none() && list[0].get("logs").is_none(), "summaries: {:?}", list[0]);
    assert_eq!(list[0]["statusCode"], 0);

    let hello = api.get("/api/v1/namespaces/_/activations?name=hello").await;
    let got: Vec<&str> = hello.body.as_array().unwrap().iter().map(|a| a["activationId"].as_str().unwrap()).collect();
    assert_eq!(got, ids.iter().rev().map(String::as_str).collect::<Vec<_>>());

    let since = api.get(&format!("/api/v1/namespaces/_/activations?since={echo_start}")).await;
    assert_eq!(since.body.as_array().unwrap().len(), 1);
    let upto = api.get(&format!("/api/v1/namespaces/_/activations?upto={}", echo_start - 1)).await;
    assert_eq!(upto.body.as_array().unwrap().len(), 3);

    assert_eq!(api.get("/api/v1/namespaces/_/activations?count=true").await.body, json!({"activations": 4}));
    assert_eq!(
        api.get("/api/v1/namespaces/_/activations?count=true&name=hello&skip=1").await.body,
        json!({"activations": 2})
    );
    let page = api.get("/api/v1/namespaces/_/activations?limit=2&skip=1").await;
    assert_eq!(page.body.as_array().unwrap().len(), 2);
    assert_eq!(page.body[0]["activationId"], ids[2].as_str());

    let docs = api.get("/api/v1/namespaces/_/activations?docs=true&limit=1&name=hello").await;
    assert_eq!(docs.body[0]["response"]["result"], json!({"greeting": "Hello, 2!"}));
    assert_eq!(docs.body[0]["logs"].as_array().unwrap().len(), 1);

    let bad = api.get("/api/v1/namespaces/_/activations?count=true&docs=true").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error(), "The parameter 'docs' is not permitted with 'count'.");
    let bad = api.get("/api/v1/namespaces/_/activations?since=yesterday").await;
    assert_eq!(bad.error(), "Parameter is not a valid value for epoch seconds: yesterday");
    let bad = api.get("/api/v1/namespaces/_/activations?name=a/b/c").await;
    assert_eq!(bad.error(), "Parameter may be a 'simple' name or 'package-name/simple' name: a/b/c");
    let bad = api.get("/api/v1/namespaces/_/activations?limit=201").await;
    assert_eq!(bad.error(), "The value '201' is not in the range of 0 to 200 for activations.");
}
