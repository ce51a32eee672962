//! The action lifecycle: create, get, list, update (version bump), delete.

use gust_tests::{Gust, annotation};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_action_is_created_read_listed_updated_and_deleted() {
    let g = Gust::start().await;
    let api = &g.api;

    let created = api
        .create_wasm(
            "hello",
            "hello",
            json!({"parameters": [{"key": "name", "value": "Ann"}], "limits": {"memory": 128}}),
        )
        .await;
    assert_eq!(created["namespace"], "guest");
    assert_eq!(created["name"], "hello");
    assert_eq!(created["version"], "0.0.1");
    assert_eq!(created["exec"]["kind"], "wasm:wasip1");
    assert_eq!(created["exec"]["binary"], true);
    assert_eq!(created["limits"], json!({"timeout": 60000, "memory": 128, "logs": 10, "concurrency": 1}));
    assert_eq!(annotation(&created, "exec"), Some(&json!("wasm:wasip1")));
    assert_eq!(annotation(&created, "provide-api-key"), Some(&json!(false)));

    let got = api.get("/api/v1/namespaces/_/actions/hello").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["exec"]["code"], created["exec"]["code"]);
    let no_code = api.get("/api/v1/namespaces/guest/actions/hello?code=false").await;
    assert!(no_code.body["exec"].get("code").is_none(), "{:?}", no_code.body);

    api.create_wasm("echo", "echo", json!({})).await;
    let list = api.get("/api/v1/namespaces/_/actions").await;
    assert_eq!(list.status, StatusCode::OK);
    let names: Vec<&str> = list.body.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["echo", "hello"], "newest first");
    assert!(list.body[0]["exec"].get("code").is_none(), "summaries carry no code");
    assert_eq!(api.get("/api/v1/namespaces/_/actions?count=true").await.body, json!({"actions": 2}));
    assert_eq!(api.get("/api/v1/namespaces/_/actions?limit=1&skip=1").await.body.as_array().unwrap().len(), 1);

    let updated = api.put_action("hello", &json!({"limits": {"timeout": 5000}}), true).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["version"], "0.0.2");
    assert_eq!(updated.body["limits"]["timeout"], 5000);
    assert_eq!(updated.body["limits"]["memory"], 128, "limits merge field by field");
    assert_eq!(updated.body["parameters"], json!([{"key": "name", "value": "Ann"}]));
    let invoked = api.invoke("hello", "blocking=true&result=true", &json!({})).await;
    assert_eq!(invoked.body, json!({"greeting": "Hello, Ann!"}), "the update keeps code and parameters");

    let deleted = api.json(Method::DELETE, "/api/v1/namespaces/_/actions/hello", None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["name"], "hello");
    assert_eq!(api.get("/api/v1/namespaces/_/actions/hello").await.status, StatusCode::NOT_FOUND);
    let again = api.json(Method::DELETE, "/api/v1/namespaces/_/actions/hello", None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(api.invoke("hello", "blocking=true", &json!({})).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_update_with_new_code_runs_the_new_code() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("a", "hello", json!({})).await;
    let r = api.invoke("a", "blocking=true&result=true", &json!({"name": "x"})).await;
    assert_eq!(r.body, json!({"greeting": "Hello, x!"}));
    let body = json!({"exec": {"kind": "wasm:wasip1", "code": gust_tests::wasm_b64("echo")}});
    assert_eq!(api.put_action("a", &body, true).await.status, StatusCode::OK);
    let r = api.invoke("a", "blocking=true&result=true", &json!({"name": "x"})).await;
    assert_eq!(r.body, json!({"name": "x"}), "the new revision runs at once");
}

#[tokio::test]
async fn the_underscore_alias_and_the_namespace_name_are_the_same_place() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("echo", "echo", json!({})).await;
    let a = api.get("/api/v1/namespaces/_/actions/echo").await;
    let b = api.get("/api/v1/namespaces/guest/actions/echo").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, b.body);
    let r = api
        .json(Method::POST, "/api/v1/namespaces/guest/actions/echo?blocking=true&result=true", Some(&json!({"x": 1})))
        .await;
    assert_eq!(r.body, json!({"x": 1}));
    assert_eq!(api.get("/api/v1/namespaces").await.body, json!(["guest"]));
}
