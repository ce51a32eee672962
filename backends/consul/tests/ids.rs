//! Invoker ids claimed through Consul's KV store against a real agent.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::{cleanup, connect, random_cluster};
use gust_core::messages::InvokerId;

const TTL: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_name_gets_the_same_id_and_new_names_count_up() {
    let cluster = random_cluster("ids");
    let r = connect(&cluster, TTL).await;
    assert_eq!(r.claim_invoker_id("host-a").await.unwrap(), InvokerId(0));
    assert_eq!(r.claim_invoker_id("host-b").await.unwrap(), InvokerId(1));
    assert_eq!(r.claim_invoker_id("host-a").await.unwrap(), InvokerId(0));
    // Another registry instance (another process) gets the same answers.
    let other = connect(&cluster, TTL).await;
    assert_eq!(other.claim_invoker_id("host-b").await.unwrap(), InvokerId(1));
    assert_eq!(other.claim_invoker_id("host-c").await.unwrap(), InvokerId(2));
    // Names with characters that mean something in URLs and keys are names like any other.
    let odd = other.claim_invoker_id("a/b c?d=%..").await.unwrap();
    assert_eq!(odd, InvokerId(3));
    assert_eq!(r.claim_invoker_id("a/b c?d=%..").await.unwrap(), odd);
    assert_eq!(r.claim_invoker_id("..").await.unwrap(), InvokerId(4));
    assert!(r.claim_invoker_id("").await.is_err());

    // Another cluster has its own ids.
    let elsewhere = random_cluster("ids-other");
    let e = connect(&elsewhere, TTL).await;
    assert_eq!(e.claim_invoker_id("host-c").await.unwrap(), InvokerId(0));
    cleanup(&cluster, &[]).await;
    cleanup(&elsewhere, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_give_distinct_ids_and_repeat_names_keep_theirs() {
    let cluster = random_cluster("ids-race");
    // Four registry instances, as four processes would be.
    let mut registries = Vec::new();
    for _ in 0..4 {
        registries.push(Arc::new(connect(&cluster, TTL).await));
    }
    let mut tasks = Vec::new();
    for n in 0..20 {
        let r = registries[n % registries.len()].clone();
        tasks.push(tokio::spawn(async move { (n, r.claim_invoker_id(&format!("worker-{n}")).await.unwrap()) }));
    }
    let mut by_name = Vec::new();
    for t in tasks {
        by_name.push(t.await.unwrap());
    }
    let ids: BTreeSet<u32> = by_name.iter().map(|(_, id)| id.0).collect();
    assert_eq!(ids.len(), 20, "20 names, 20 distinct ids: {by_name:?}");
    println!("20 concurrent claims: ids {:?}", ids);

    // Claiming again, concurrently, gives every name its old id.
    let mut tasks = Vec::new();
    for (n, id) in by_name.clone() {
        let r = registries[(n + 1) % registries.len()].clone();
        tasks.push(tokio::spawn(async move { (id, r.claim_invoker_id(&format!("worker-{n}")).await.unwrap()) }));
    }
    for t in tasks {
        let (old, again) = t.await.unwrap();
        assert_eq!(old, again);
    }

    // Many claims of one new name at once agree on one id.
    let mut tasks = Vec::new();
    for k in 0..8 {
        let r = registries[k % registries.len()].clone();
        tasks.push(tokio::spawn(async move { r.claim_invoker_id("shared-host").await.unwrap() }));
    }
    let mut same = BTreeSet::new();
    for t in tasks {
        same.insert(t.await.unwrap().0);
    }
    assert_eq!(same.len(), 1, "{same:?}");
    assert!(!ids.contains(same.iter().next().unwrap()));
    cleanup(&cluster, &[]).await;
}
