//! The fused path (a sequence of Wasm actions run in one go on one invoker) against the driven
//! path (each component published and waited for by a controller): the same results and the
//! same records, bar ids and times.

use std::time::Duration;

use gust_tests::{Api, Deployment, Gust};
use serde_json::{Value, json};

/// `v` as a string (panics, saying what it is, when it is not one).
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// `v` as an array (panics, saying what it is, when it is not one).
fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

/// What must match between the two paths: a record without its ids and times.
fn comparable(record: &Value) -> Value {
    let mut r = record.clone();
    for key in ["activationId", "start", "end", "duration", "cause"] {
        if let Some(m) = r.as_object_mut() {
            m.remove(key);
        }
    }
    let annotations = list(&r["annotations"]).iter();
    let kept: Vec<Value> =
        annotations.filter(|a| !["waitTime", "initTime"].contains(&text(&a["key"]))).cloned().collect();
    r["annotations"] = Value::Array(kept);
    if list(&r["annotations"]).iter().any(|a| a["value"] == "sequence") {
        r["logs"] = json!(list(&r["logs"]).len());
    }
    r
}

/// Deploys the same actions on `api`, invokes the sequences blocking, and returns each
/// sequence record followed by its components' records, comparable.
async fn run(api: &Api) -> Vec<Value> {
    api.create_wasm("a", "echo", json!({"limits": {"memory": 128}})).await;
    api.create_wasm("b", "echo", json!({"parameters": [{"key": "b", "value": 2}]})).await;
    api.create_wasm("fail", "fail", json!({})).await;
    let mut out = vec![];
    for (name, components) in [("ok", ["/_/a", "/_/b", "/_/a"]), ("broken", ["/_/a", "/_/fail", "/_/b"])] {
        let r = api.put_action(name, &json!({"exec": {"kind": "sequence", "components": components}}), false).await;
        assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
        let r = api.invoke(name, "blocking=true", &json!({"x": 1, "reason": "r"})).await;
        assert!([200, 502].contains(&r.status.as_u16()), "{:?}", r.body);
        let seq = api.await_record(text(&r.body["activationId"]), Duration::from_secs(30)).await;
        let seq_id = seq["activationId"].clone();
        out.push(comparable(&seq));
        for step in list(&seq["logs"]) {
            let c = api.await_record(text(step), Duration::from_secs(30)).await;
            assert_eq!(c["cause"], seq_id, "{c}");
            out.push(comparable(&c));
        }
    }
    out
}

#[tokio::test]
async fn fused_and_driven_sequences_give_the_same_results_and_records() {
    let fused = Gust::start().await;
    let driven = Gust::start_with(&["--fused-sequences", "false"]).await;
    let (f, d) = (run(&fused.api()).await, run(&driven.api()).await);
    assert_eq!(f.len(), 7, "two sequences, five components that ran: {f:#?}");
    assert_eq!(f, d, "fused (left) and driven (right) records differ");
}
