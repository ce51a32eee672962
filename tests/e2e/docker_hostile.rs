//! Bad and hostile container actions: each gets an OpenWhisk outcome that says what happened,
//! broken containers are destroyed, the invoker keeps serving, and nothing is left running.
//! Tried: a syntax error, an exception, an unknown image, a fork bomb, memory past the limit,
//! an endless loop, 20 MiB of logs, and 100 concurrent invokes of 20 actions in a pool that
//! holds only a few containers.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::join_all;
use gust_tests::{Gust, annotation};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn error_of(body: &Value) -> String {
    body["response"]["result"]["error"].as_str().unwrap_or_default().to_owned()
}

async fn node(g: &Gust, name: &str, code: &str, extra: Value) {
    g.api.create(name, json!({"kind": "nodejs:18", "code": code}), extra).await;
}

#[tokio::test]
async fn syntax_errors_and_exceptions_are_reported() {
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    node(&g, "broken", "function main(p) { return {oops: };", json!({})).await;
    let r = g.api.invoke("broken", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.body["response"]["status"], "action developer error");
    let msg = error_of(&r.body);
    assert!(msg.starts_with("The action failed during initialization") && msg.contains("SyntaxError"), "{msg}");
    g.await_containers("the broken container removed", |n| n.is_empty()).await;

    // As in OpenWhisk's Node.js runtime, a throw is a developer error (a rejection would be an
    // application error: tests/e2e/docker_runtimes.rs).
    node(&g, "thrower", "function main() { throw new Error('bad input: 42'); }", json!({})).await;
    let r = g.api.invoke("thrower", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.body["response"]["status"], "action developer error");
    assert_eq!(error_of(&r.body), "An error has occurred: Error: bad input: 42");
    let py = "def main(args):\n    raise ValueError('no way')\n";
    g.api.create("raiser", json!({"kind": "python:3.11", "code": py}), json!({})).await;
    let r = g.api.invoke("raiser", "blocking=true", &json!({})).await;
    assert_eq!(r.body["response"]["status"], "application error");
    assert!(error_of(&r.body).contains("no way"), "{:?}", r.body);
}

#[tokio::test]
async fn an_unknown_image_is_a_clear_error_and_leaves_nothing_running() {
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    g.api.create("ghost", json!({"kind": "blackbox", "image": "gust-test/no-such-image:1"}), json!({})).await;
    let r = g.api.invoke("ghost", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{:?}", r.body);
    assert_eq!(
        error_of(&r.body),
        "The image 'gust-test/no-such-image:1' is not present on this machine, and Gust does not pull images: build or load it with docker first."
    );
    assert!(g.containers().is_empty(), "nothing was created");
}

#[tokio::test]
async fn a_fork_bomb_is_held_by_the_pids_limit() {
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    let bomb = "#!/bin/bash\necho '{\"ok\":true}' >&3\nwhile read -r line; do\n  bomb() { bomb | bomb & }\n  bomb\n  sleep 30\ndone\n";
    g.api.create("bomb", json!({"kind": "native", "code": bomb}), json!({"limits": {"timeout": 3000}})).await;
    let r = g.api.invoke("bomb", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(error_of(&r.body), "The action exceeded its time limits of 3000 milliseconds.");
    assert_eq!(annotation(&r.body, "timeout"), Some(&json!(true)));
    let logs = r.body["logs"].to_string();
    assert!(logs.contains("Resource temporarily unavailable") || logs.contains("retry"), "forks were refused: {logs}");
    g.await_containers("the bomb container removed", |n| n.is_empty()).await;
    // The host and the invoker are fine.
    node(&g, "after", "function main() { return {fine: true}; }", json!({})).await;
    let ok = g.api.invoke("after", "blocking=true&result=true", &json!({})).await;
    assert_eq!(ok.body, json!({"fine": true}));
}

#[tokio::test]
async fn memory_past_the_limit_is_reported_as_out_of_memory() {
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    let hog = "function main() { const keep = []; for (;;) { keep.push(Buffer.alloc(1 << 20, 1)); } }";
    node(&g, "hog", hog, json!({"limits": {"memory": 128}})).await;
    let r = g.api.invoke("hog", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(error_of(&r.body), "The action exhausted its memory and was aborted.", "{:?}", r.body);
    g.await_containers("the container removed", |n| n.is_empty()).await;
}

#[tokio::test]
async fn an_endless_loop_times_out_its_container_is_destroyed_and_the_next_run_works() {
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    let code = "function main(p) { if (p.loop) { for (;;) {} } return {ok: true}; }";
    // A cold Node.js start must fit in the limit too (init counts), so leave it some room.
    node(&g, "loop", code, json!({"limits": {"timeout": 4000}})).await;
    let r = g.api.invoke("loop", "blocking=true", &json!({"loop": true})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(error_of(&r.body), "The action exceeded its time limits of 4000 milliseconds.");
    assert_eq!(annotation(&r.body, "timeout"), Some(&json!(true)));
    g.await_containers("the looping container removed", |n| n.is_empty()).await;
    let next = g.api.invoke("loop", "blocking=true&result=true", &json!({})).await;
    assert_eq!(next.body, json!({"ok": true}));
}

#[tokio::test]
async fn twenty_mebibytes_of_logs_are_truncated() {
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    let chatty = "function main() { const line = 'x'.repeat(1023); for (let i = 0; i < 20480; i++) { console.log(line); } return {done: true}; }";
    node(&g, "chatty", chatty, json!({})).await;
    let r = g.api.invoke("chatty", "blocking=true", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body["response"]);
    let logs = r.body["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 10_241, "10 MiB of 1,024-byte lines, then the notice");
    assert!(logs[10_240].as_str().unwrap().ends_with("exceeds the limit of 10485760 bytes."));
}

#[tokio::test]
async fn a_hundred_invokes_of_twenty_actions_fit_in_a_small_pool() {
    // 512 MB holds four 128 MB containers: the rest queue, and idle ones are evicted.
    let g = Gust::start_docker(&["--prewarm", "false", "--user-memory", "512"]).await;
    for i in 0..20 {
        let code = format!(
            "function main(p) {{ return new Promise(r => setTimeout(() => r({{action: {i}, n: p.n}}), 50)); }}"
        );
        node(&g, &format!("a{i}"), &code, json!({"limits": {"memory": 128}})).await;
    }
    let calls = (0..100).map(|n| {
        let api = g.api.clone();
        async move {
            let r = api.invoke(&format!("a{}", n % 20), "blocking=true", &json!({"n": n})).await;
            assert_eq!(r.status, StatusCode::OK, "{n}: {:?}", r.body);
            assert_eq!(r.body["response"]["result"], json!({"action": n % 20, "n": n}));
            r.body
        }
    });
    let records: Vec<Value> = join_all(calls).await;
    let ids: HashSet<&str> = records.iter().map(|r| r["activationId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 100);
    let inits = records.iter().filter(|r| annotation(r, "initTime").is_some()).count();
    assert!(inits > 20, "containers were evicted and re-created: {inits} initialisations for 20 actions");
    let waited = records.iter().map(|r| annotation(r, "waitTime").and_then(Value::as_u64).unwrap_or(0)).max().unwrap();
    assert!(waited >= 200, "some activations queued for memory: longest wait {waited} ms");
    assert!(g.containers().len() <= 4, "never more containers than the memory allows");
    let count = g.api.get("/api/v1/namespaces/_/activations?count=true").await;
    assert_eq!(count.body, json!({"activations": 100}));
}

#[tokio::test]
async fn no_container_is_left_after_a_stop() {
    let mut g = Gust::start_docker(&[]).await;
    g.await_containers("stem cells", |n| n.len() == 3).await;
    node(&g, "x", "function main() { return {}; }", json!({})).await;
    assert_eq!(g.api.invoke("x", "blocking=true", &json!({})).await.status, StatusCode::OK);
    assert!(!g.containers().is_empty());
    let status = g.terminate();
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(g.containers().is_empty(), "{:?}", g.containers());
}
