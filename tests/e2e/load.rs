//! Many activations at once: nothing accepted is lost.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::join_all;
use gust_tests::Gust;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn two_hundred_concurrent_invokes_all_complete_with_one_record_each() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("echo", "echo", json!({})).await;
    api.create_wasm("sleep", "sleep", json!({})).await;

    let calls = (0..200).map(|i| {
        let api = api.clone();
        async move {
            // A mix: blocking and not, fast and slow.
            let (name, query, params) = match i % 4 {
                0 => ("echo", "blocking=true", json!({"i": i})),
                1 => ("echo", "", json!({"i": i})),
                2 => ("sleep", "blocking=true", json!({"ms": 20})),
                _ => ("sleep", "", json!({"ms": 20})),
            };
            let r = api.invoke(name, query, &params).await;
            assert!(r.status == StatusCode::OK || r.status == StatusCode::ACCEPTED, "{i}: {:?}", r.body);
            if name == "echo" && r.status == StatusCode::OK {
                assert_eq!(r.body["response"]["result"], json!({"i": i}));
            }
            r.body["activationId"].as_str().unwrap().to_owned()
        }
    });
    let ids: Vec<String> = join_all(calls).await;
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 200, "every invoke got its own id");

    for id in &ids {
        api.await_record(id, Duration::from_secs(30)).await;
    }
    let count = api.get("/api/v1/namespaces/_/activations?count=true").await;
    assert_eq!(count.body, json!({"activations": 200}), "exactly one record per activation");
}
