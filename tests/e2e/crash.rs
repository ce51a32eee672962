//! `gust standalone` killed with SIGKILL in the middle of a burst of non-blocking invokes: every
//! activation it answered 202 gets its record after the restart, with its id (the journal of
//! accepted activations, backends/sqlite/src/journal.rs). Before the journal, 4 to 14 of about
//! 1,000 accepted activations of each such round never got a record.

use std::time::Duration;

use gust_tests::Gust;
use gust_tests::burst::burst;
use reqwest::StatusCode;
use serde_json::json;

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
