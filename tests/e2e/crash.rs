//! `gust standalone` killed with SIGKILL in the middle of a burst of non-blocking invokes: every
//! activation it answered 202 gets its record after the restart, with its id (the journal of
//! accepted activations, backends/sqlite/src/journal.rs). Before the journal, 4 to 14 of about
//! 1,000 accepted activations of each such round never got a record.

use std::time::Duration;

use gust_tests::Gust;
use gust_tests::burst::burst;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn sigkill_during_a_burst_loses_no_accepted_activation_three_times() {
    let mut g = Gust::start().await;
    g.api.create_wasm("sleep", "sleep", json!({})).await;
    let (mut accepted, mut unanswered) = (0, 0);
    for round in 1..=3 {
        let api = g.api.clone();
        let mut killed = false;
        let b = burst(&api, "sleep", 2000, 32, 1000, || {
            g.kill();
            killed = true;
        })
        .await;
        assert!(killed, "round {round}: the server was killed during the burst");
        eprintln!("round {round}: {} invokes accepted, {} unanswered", b.accepted.len(), b.unanswered);
        assert!(b.accepted.len() >= 1000, "round {round}: {} accepted", b.accepted.len());
        accepted += b.accepted.len();
        unanswered += b.unanswered;
        g.restart().await;
        for id in &b.accepted {
            let record = g.api.await_record(id, Duration::from_secs(120)).await;
            assert_eq!(record["activationId"], json!(id));
            assert_eq!(record["response"]["success"], json!(true), "round {round}: {record}");
        }
        // One record per id, even for an activation that ran twice (it was running when the
        // server died); the only records beyond the accepted ones are of invokes that got no
        // answer (journaled, and the server died before it answered).
        let listed = g.api.get("/api/v1/namespaces/_/activations?count=true&name=sleep").await;
        assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
        let stored = listed.body["activations"].as_u64().unwrap_or_else(|| panic!("{:?}", listed.body)) as usize;
        eprintln!("round {round}: every accepted activation has its record; {stored} records in all");
        assert!(
            (accepted..=accepted + unanswered).contains(&stored),
            "{stored} records for {accepted} accepted and {unanswered} unanswered invokes"
        );
    }
}

/// `gust standalone` killed with SIGKILL while it drives a non-blocking sequence: after the
/// restart the journal hands the chain to the driver again, which takes the records of the
/// components that finished and runs the rest, so the sequence and all five components have
/// their records, each component once.
#[tokio::test]
async fn sigkill_while_driving_a_sequence_loses_none_of_its_records() {
    let mut g = Gust::start_with(&["--fused-sequences", "false"]).await;
    let api = g.api.clone();
    api.create_wasm("nap", "sleep", json!({"parameters": [{"key": "ms", "value": 700}]})).await;
    let five: Vec<&str> = vec!["/_/nap"; 5];
    let r = api.put_action("naps", &json!({"exec": {"kind": "sequence", "components": five}}), false).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let accepted = api.invoke("naps", "blocking=false", &json!({})).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{:?}", accepted.body);
    let id = accepted.body["activationId"].as_str().unwrap().to_owned();
    // Killed once the second component has started (the first one's record is stored).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let list = api.get("/api/v1/namespaces/_/activations?name=nap&docs=true").await;
        if list.body.as_array().into_iter().flatten().any(|r| r["cause"] == json!(id)) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no component of {id} ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    g.kill();
    g.restart().await;

    let seq = g.api.await_record(&id, Duration::from_secs(60)).await;
    assert_eq!(seq["response"]["status"], "success", "{seq}");
    let steps: Vec<String> = seq["logs"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    assert_eq!(steps.len(), 5, "{seq}");
    for step in &steps {
        let r = g.api.await_record(step, Duration::from_secs(10)).await;
        assert_eq!(r["cause"], json!(id), "{r}");
    }
    let list = g.api.get("/api/v1/namespaces/_/activations?name=nap&docs=true&limit=100").await;
    let caused: Vec<&Value> = list.body.as_array().unwrap().iter().filter(|r| r["cause"] == json!(id)).collect();
    assert_eq!(caused.len(), 5, "one record per component: {caused:#?}");
}
