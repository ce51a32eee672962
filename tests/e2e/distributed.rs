//! Distributed Gust with real processes: controllers and invokers on Kafka, CouchDB and
//! Consul. Nothing accepted is lost when an invoker or a controller dies, and Consul keeps
//! the set of invokers honest. (Tests that stop a shared service are in tests/disruptive.)

use std::collections::HashSet;
use std::time::{Duration, Instant};

use gust_tests::annotation;
use gust_tests::burst::{Burst, burst};
use gust_tests::cluster::Cluster;
use reqwest::StatusCode;
use serde_json::json;

/// Waits until every accepted id has a record in CouchDB, and asserts that each record is
/// there once and that the only others, besides those of earlier rounds (`before`), belong to
/// invokes that got no answer. Returns every id stored so far.
async fn all_stored(c: &Cluster, b: &Burst, before: &HashSet<String>, within: Duration) -> HashSet<String> {
    let stored = c.await_stored(&b.accepted, within).await;
    let want: HashSet<&str> = b.accepted.iter().map(String::as_str).collect();
    let extra: Vec<&String> =
        stored.keys().filter(|k| !want.contains(k.as_str()) && !before.contains(k.as_str())).collect();
    assert!(
        extra.len() <= b.unanswered,
        "{} records of activations nobody sent (only {} invokes went unanswered): {extra:?}",
        extra.len(),
        b.unanswered
    );
    assert!(stored.values().all(|&n| n == 1), "an activation has more than one record");
    eprintln!("{} of {} unanswered invokes ran too", extra.len(), b.unanswered);
    stored.into_keys().collect()
}

#[tokio::test]
async fn two_controllers_and_two_invokers_serve_wasm_and_docker_actions() {
    let c = Cluster::start(2, 2, "prewarm = false").await;
    let (a0, a1) = (c.api(0), c.api(1));
    a0.create_wasm("hello", "hello", json!({})).await;
    for (i, api) in [&a0, &a1].into_iter().enumerate() {
        for n in 0..10 {
            let r = api.invoke("hello", "blocking=true&result=true", &json!({"name": format!("{i}-{n}")})).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}\n{}", r.body, c.logs());
            assert_eq!(r.body, json!({"greeting": format!("Hello, {i}-{n}!")}));
        }
    }
    a1.create("node", json!({"kind": "nodejs:18", "code": "function main(p) { return {node: p.x}; }"}), json!({}))
        .await;
    let r = a0.invoke("node", "blocking=true", &json!({"x": 7})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}\n{}", r.body, c.logs());
    assert_eq!(r.body["response"]["result"], json!({"node": 7}));
    assert!(annotation(&r.body, "initTime").is_some());
    // The controller that answered serves the record at once (the invoker answers before
    // its CouchDB write is durable); the other one reads it from CouchDB moments later.
    let id = r.body["activationId"].as_str().unwrap();
    let path = format!("/api/v1/namespaces/_/activations/{id}");
    let got = a0.get(&path).await;
    assert_eq!(got.status, StatusCode::OK, "read right after the blocking invoke: {:?}", got.body);
    assert_eq!(got.body["response"]["result"], json!({"node": 7}));
    let t = Instant::now();
    let got = loop {
        let got = a1.get(&path).await;
        if got.status == StatusCode::OK || t.elapsed() > Duration::from_secs(5) {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(got.status, StatusCode::OK, "in CouchDB within 5 s: {:?}", got.body);
    eprintln!("the other controller read the record from CouchDB {:?} after the answer", t.elapsed());
    assert_eq!(got.body["response"]["result"], json!({"node": 7}));
    let listed = a1.get("/api/v1/namespaces/_/actions").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_invoker_killed_half_way_loses_no_accepted_activation_three_times() {
    let mut c = Cluster::start(1, 2, "docker = \"off\"").await;
    let api = c.api(0);
    api.create_wasm("sleep", "sleep", json!({})).await;
    let mut before = HashSet::new();
    for round in 1..=3 {
        let mut killed = false;
        let b = {
            let c_ref = &mut c;
            let b = burst(&api, "sleep", 2000, 32, 1000, || {
                c_ref.kill_invoker(0);
                killed = true;
            })
            .await;
            c_ref.restart_invoker(0);
            b
        };
        assert!(killed, "round {round}: the invoker was killed during the burst");
        eprintln!("round {round}: {} of 2000 invokes accepted", b.accepted.len());
        assert!(b.accepted.len() > 1900, "Consul and the balancer keep accepting: {}", b.accepted.len());
        assert_eq!(b.unanswered, 0, "the controller stayed up and answered every invoke");
        before = all_stored(&c, &b, &before, Duration::from_secs(180)).await;
    }
}

#[tokio::test]
async fn a_stopped_invoker_drops_out_and_new_work_goes_to_the_other() {
    let mut c = Cluster::start(1, 2, "docker = \"off\"").await;
    let api = c.api(0);
    api.create_wasm("echo", "echo", json!({})).await;
    c.kill_invoker(1);
    let gone = c.await_healthy(1, Duration::from_secs(30)).await;
    eprintln!("Consul dropped the killed invoker after {gone:?} (TTL 2 s)");
    assert!(gone < Duration::from_secs(8), "dropped within about its TTL: {gone:?}");
    let t = Instant::now();
    for i in 0..50 {
        let r = api.invoke("echo", "blocking=true&result=true&timeout=5000", &json!({"i": i})).await;
        assert_eq!(r.status, StatusCode::OK, "{i}: {:?}", r.body);
    }
    assert!(t.elapsed() < Duration::from_secs(20), "no call waited on the dead invoker: {:?}", t.elapsed());
}

#[tokio::test]
async fn a_controller_killed_during_a_burst_loses_no_accepted_activation() {
    let mut c = Cluster::start(2, 1, "docker = \"off\"").await;
    let api = c.api(0);
    api.create_wasm("sleep", "sleep", json!({})).await;
    let b = {
        let c_ref = &mut c;
        burst(&api, "sleep", 600, 32, 300, || c_ref.kill_controller(0)).await
    };
    eprintln!("{} of 600 invokes accepted before the controller died", b.accepted.len());
    assert!(b.accepted.len() >= 300);
    all_stored(&c, &b, &HashSet::new(), Duration::from_secs(120)).await;
    // The surviving controller serves.
    let r = c.api(1).invoke("sleep", "blocking=true&result=true", &json!({"ms": 1})).await;
    assert_eq!(r.body, json!({"slept": 1}));
}

/// A non-blocking sequence of five components, driven step by step by a controller that is
/// killed (SIGKILL) halfway: another controller takes the chain over, and afterwards the
/// sequence's record and one record per component exist, each component caused by the
/// sequence. (OpenWhisk loses such a sequence.)
#[tokio::test]
async fn a_sequence_survives_the_death_of_the_controller_driving_it() {
    let mut c = Cluster::start_configured(2, 1, "fused_sequences = false", "").await;
    let api = c.api(0);
    api.create_wasm("nap", "sleep", json!({"parameters": [{"key": "ms", "value": 1500}]})).await;
    let five: Vec<String> = (0..5).map(|_| "/_/nap".to_owned()).collect();
    let r = api.put_action("naps", &json!({"exec": {"kind": "sequence", "components": five}}), false).await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    let one = api.put_action("nap1", &json!({"exec": {"kind": "sequence", "components": ["/_/nap"]}}), false).await;
    assert_eq!(one.status.as_u16(), 200, "{:?}", one.body);

    // Which controller drives chains (it holds the `chains` partition): ask it to drive one.
    let warm = api.invoke("nap1", "blocking=true", &json!({})).await;
    assert_eq!(warm.status.as_u16(), 200, "{:?}", warm.body);
    let warm_id = warm.body["activationId"].as_str().unwrap().to_owned();
    let driver = (0..2)
        .find(|&i| c.controller_log(i).lines().any(|l| l.contains(&warm_id) && l.contains("Driving the chain")))
        .unwrap_or_else(|| panic!("no controller says it drove {warm_id}\n{}", c.logs()));
    let survivor = 1 - driver;

    // Accepted by the driving controller, which dies after the second component started.
    let accepted = c.api(driver).invoke("naps", "blocking=false", &json!({})).await;
    assert_eq!(accepted.status.as_u16(), 202, "{:?}", accepted.body);
    let id = accepted.body["activationId"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = c.api(survivor).get("/api/v1/namespaces/_/activations?name=nap&docs=true&limit=50").await;
        let caused = list.body.as_array().into_iter().flatten().filter(|r| r["cause"] == json!(id)).count();
        if caused >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no component of {id} ran\n{}", c.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.kill_controller(driver);

    let rest = c.api(survivor);
    let seq = rest.await_record(&id, Duration::from_secs(120)).await;
    assert_eq!(seq["response"]["status"], "success", "{seq}");
    let steps = seq["logs"].as_array().unwrap().clone();
    assert_eq!(steps.len(), 5, "{seq}");
    for step in steps {
        let r = rest.await_record(step.as_str().unwrap(), Duration::from_secs(10)).await;
        assert_eq!(r["cause"], json!(id), "{r}");
        assert_eq!(r["response"]["result"], json!({"slept": 1500}), "{r}");
    }
}
