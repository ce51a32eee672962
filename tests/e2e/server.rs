//! The server itself: info routes, headers, credentials, graceful shutdown.

use std::process::Command;
use std::time::Duration;

use futures::future::join_all;
use gust_tests::{GUEST, Gust, free_port, gust_bin};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn info_routes_answer_without_credentials() {
    let g = Gust::start().await;
    let anon = g.api.with_auth(None);
    let ping = anon.get("/ping").await;
    assert_eq!((ping.status, ping.body), (StatusCode::OK, json!("pong")));
    let v1 = anon.get("/api/v1").await;
    assert_eq!(v1.body["api_version"], "1.0.0");
    let root = anon.get("/").await;
    assert_eq!(root.body["runtimes"]["wasm"][0]["kind"], "wasm:wasip1");
    assert_eq!(root.body["limits"]["max_action_memory"], 512u64 << 20);
}

#[tokio::test]
async fn responses_carry_cors_and_the_request_id() {
    let g = Gust::start().await;
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/api/v1/namespaces", g.url))
        .basic_auth(GUEST.0, Some(GUEST.1))
        .header("x-request-id", "my-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "my-trace-42");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.headers()["access-control-allow-methods"].to_str().unwrap().contains("PUT"));
    let pre = client.request(Method::OPTIONS, format!("{}/api/v1/namespaces/_/actions/x", g.url)).send().await.unwrap();
    assert_eq!(pre.status(), StatusCode::OK);
    assert!(pre.headers()["access-control-allow-headers"].to_str().unwrap().contains("Authorization"));
    let generated = client.get(format!("{}/ping", g.url)).send().await.unwrap();
    assert_eq!(generated.headers()["x-request-id"].len(), 32);
}

#[tokio::test]
async fn a_configured_key_replaces_the_guest_key() {
    let key = "11111111-2222-3333-4444-555555555555:abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01";
    let g = Gust::start_with(&["--auth", key, "--namespace", "team"]).await;
    assert_eq!(g.api.get("/api/v1/namespaces").await.status, StatusCode::UNAUTHORIZED);
    let (u, k) = key.split_once(':').unwrap();
    let mine = g.api.with_auth(Some((u, k)));
    assert_eq!(mine.get("/api/v1/namespaces").await.body, json!(["team"]));
}

#[tokio::test]
async fn the_guest_key_is_refused_on_a_public_address() {
    let guest_secret = GUEST.1;
    // The default (the guest key), its secret under another UUID, the whole key uppercased,
    // and a 16-character key of one letter.
    let tried = [
        (None, "OpenWhisk's public guest key"),
        (Some(format!("0b0e5c3a-1d2f-4e6a-9b8c-7d6e5f4a3b2c:{guest_secret}")), "OpenWhisk's public guest key"),
        (Some(format!("{}:{}", GUEST.0, GUEST.1).to_uppercase()), "OpenWhisk's public guest key"),
        (Some("0b0e5c3a-1d2f-4e6a-9b8c-7d6e5f4a3b2c:aaaaaaaaaaaaaaaa".to_owned()), "too predictable"),
    ];
    for (auth, says) in tried {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(gust_bin());
        cmd.args(["standalone", "--bind", "0.0.0.0", "--port", &free_port().to_string(), "--data-dir"]).arg(dir.path());
        if let Some(a) = &auth {
            cmd.args(["--auth", a]);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{auth:?} was accepted on 0.0.0.0");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("refusing to listen on 0.0.0.0 with this credential"), "{err}");
        assert!(err.contains(says), "{auth:?}: {err}");
        assert!(err.contains("--auth"), "it says how to fix it: {err}");
    }
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused() {
    let g = Gust::start().await;
    g.api.create_wasm("echo", "echo", json!({})).await;
    let out = Command::new(gust_bin())
        .args(["standalone", "--docker", "off", "--port", &free_port().to_string(), "--data-dir"])
        .arg(g.data_dir())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the second server started");
    let err = String::from_utf8_lossy(&out.stderr);
    let pid = g.pid().unwrap();
    assert!(err.contains(&format!("is in use by another Gust server (pid {pid})")), "{err}");
    assert!(err.contains("--data-dir"), "it says how to fix it: {err}");
    // The first one was left alone.
    let r = g.api.invoke("echo", "blocking=true&result=true", &json!({"still": "here"})).await;
    assert_eq!((r.status, r.body), (StatusCode::OK, json!({"still": "here"})));
}

#[tokio::test]
async fn a_stem_cell_list_that_cannot_be_used_stops_the_start_with_the_reason() {
    for (list, says) in [
        ("cobol=1", "'cobol' is not one (kinds: nodejs:18, python:3.11, native)"),
        ("nodejs:18", "'nodejs:18' is not a stem cell entry like nodejs:18=2"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(gust_bin())
            .args(["standalone", "--docker", "off", "--port", &free_port().to_string(), "--stem-cells", list])
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{list}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--stem-cells") && err.contains(says), "{list}: {err}");
    }
}

#[tokio::test]
async fn a_graceful_stop_finishes_accepted_activations_and_data_survives_a_restart() {
    let mut g = Gust::start().await;
    g.api.create_wasm("sleep", "sleep", json!({})).await;
    let calls =
        (0..50).map(|_| {
            let api = g.api.clone();
            async move {
                api.invoke("sleep", "", &json!({"ms": 100})).await.body["activationId"].as_str().unwrap().to_owned()
            }
        });
    let ids: Vec<String> = join_all(calls).await;
    let status = g.terminate();
    assert!(status.success(), "a clean exit: {status}");
    g.restart().await;
    for id in &ids {
        let r = g.api.await_record(id, Duration::from_secs(1)).await;
        assert_eq!(r["response"]["result"], json!({"slept": 100}));
    }
    assert_eq!(g.api.get("/api/v1/namespaces/_/actions/sleep").await.status, StatusCode::OK);
}
