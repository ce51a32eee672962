//! The OpenAPI description of the API: served at `/api/v1/api-docs`, and every answer of a
//! real `gust standalone` checked against it by schemathesis (`scripts/schemathesis`), with
//! entities in place so that the examples of the description reach real documents. Also the
//! regression tests of what that checking found.

use std::path::PathBuf;

use gust_tests::{Api, Gust};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// The entities the description's examples name (`hello`, `utils`), a binding, a feed, and
/// activations of every outcome, so that lists, records and packages are not all empty.
async fn seed(api: &Api) {
    let echo = json!({"kind": "wasm:wasip1", "code": gust_tests::wasm_b64("echo")});
    let fail = json!({"kind": "wasm:wasip1", "code": gust_tests::wasm_b64("fail")});
    api.create("hello", echo.clone(), json!({"parameters": [{"key": "greeting", "value": "hi"}]})).await;
    api.create("failing", fail, json!({})).await;
    let ok = |r: gust_tests::Resp| assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    ok(api.json(Method::PUT, "/api/v1/namespaces/_/packages/utils", Some(&json!({"publish": true}))).await);
    ok(api.json(Method::PUT, "/api/v1/namespaces/_/actions/utils/hello", Some(&json!({"exec": echo}))).await);
    let feed = json!({"exec": echo, "annotations": [{"key": "feed", "value": true}]});
    ok(api.json(Method::PUT, "/api/v1/namespaces/_/actions/utils/changes", Some(&feed)).await);
    let binding = json!({"binding": {"namespace": "_", "name": "utils"}});
    ok(api.json(Method::PUT, "/api/v1/namespaces/_/packages/bound", Some(&binding)).await);
    assert_eq!(api.invoke("hello", "blocking=true", &json!({"a": 1})).await.status, StatusCode::OK);
    assert_eq!(api.invoke("failing", "blocking=true", &json!({})).await.status, StatusCode::BAD_GATEWAY);
    let r = api.json(Method::POST, "/api/v1/namespaces/_/actions/bound/hello?blocking=true", None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.invoke("hello", "", &json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    api.await_record(r.body["activationId"].as_str().unwrap_or_default(), std::time::Duration::from_secs(30)).await;
}

#[tokio::test]
async fn the_description_is_served_and_every_answer_keeps_to_it() {
    let schemathesis = repo_root().join("target/schemathesis-venv/bin/schemathesis");
    assert!(
        schemathesis.exists(),
        "schemathesis is not installed in target/schemathesis-venv: scripts/test installs it \
         (or run `scripts/schemathesis --install`)"
    );
    let g = Gust::start().await;
    let anon = g.api.with_auth(None);

    let doc = anon.get("/api/v1/api-docs").await;
    assert_eq!(doc.status, StatusCode::OK, "{:?}", doc.body);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc.body["openapi"]);
    let paths = doc.body["paths"].as_object().cloned().unwrap_or_default();
    for (path, methods) in [
        ("/api/v1/namespaces", &["get"][..]),
        ("/api/v1/namespaces/{ns}/actions", &["get"]),
        ("/api/v1/namespaces/{ns}/actions/{name}", &["get", "put", "delete", "post"]),
        ("/api/v1/namespaces/{ns}/actions/{pkg}/{name}", &["get", "put", "delete", "post"]),
        ("/api/v1/namespaces/{ns}/actions/{pkg}/", &["get"]),
        ("/api/v1/namespaces/{ns}/packages/{name}", &["get", "put", "delete"]),
        ("/api/v1/namespaces/{ns}/activations", &["get"]),
        ("/api/v1/namespaces/{ns}/activations/{id}/result", &["get"]),
        ("/api/v1/namespaces/{ns}/limits", &["get"]),
        ("/api/v1/api-docs", &["get"]),
    ] {
        for m in methods {
            assert!(paths.get(path).and_then(|p| p.get(m)).is_some(), "{m} {path} is not described");
        }
    }
    assert_eq!(doc.body["components"]["securitySchemes"]["basic"], json!({"type": "http", "scheme": "basic"}));
    let v1 = anon.get("/api/v1").await;
    assert_eq!(v1.body["swagger_paths"], json!({"ui": "/docs", "api-docs": "/api-docs"}));
    let page = anon.get("/api/v1/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"].to_str().unwrap_or_default().starts_with("text/html"));
    assert!(page.body.as_str().unwrap_or_default().contains("href=\"/api/v1/api-docs\""), "{:?}", page.body);

    seed(&g.api).await;
    let out = tokio::process::Command::new(repo_root().join("scripts/schemathesis"))
        .arg(&g.url)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run scripts/schemathesis: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found answers that break the description ({}):\n{text}", out.status);
    assert!(text.contains(" passed"), "schemathesis ran no test:\n{text}");
}

/// Found while probing the bounds the description gives by hand (schemathesis does not chain a
/// create and an update): an update that bumps the version of an entity stored at the largest
/// patch number overflowed (a panic, the connection dropped).
#[tokio::test]
async fn an_update_past_the_largest_patch_version_carries_into_the_minor() {
    let g = Gust::start().await;
    let api = &g.api;
    let path = "/api/v1/namespaces/_/packages/versions";
    let r = api.json(Method::PUT, path, Some(&json!({"version": "0.0.4294967295"}))).await;
    assert_eq!((r.status, &r.body["version"]), (StatusCode::OK, &json!("0.0.4294967295")), "{:?}", r.body);
    let r = api.json(Method::PUT, &format!("{path}?overwrite=true"), Some(&json!({}))).await;
    assert_eq!((r.status, &r.body["version"]), (StatusCode::OK, &json!("0.1.0")), "{:?}", r.body);
    let r = api.json(Method::PUT, &format!("{path}?overwrite=true"), Some(&json!({}))).await;
    assert_eq!(r.body["version"], json!("0.1.1"));
}
