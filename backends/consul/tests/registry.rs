//! The registry against a real Consul agent: registration, health, TTL expiry, clusters.

mod common;

use std::time::{Duration, Instant};

use common::{cleanup, connect, healthy_ids, info, random_cluster, wait_for};
use gust_consul::{ConsulConfig, ConsulError, ConsulRegistry};
use gust_core::messages::InvokerId;
use gust_core::registry::InvokerRegistry;

const TTL: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_invoker_is_seen_by_a_controller_with_its_memory_then_deregistered() {
    let cluster = random_cluster("reg");
    let invoker = connect(&cluster, TTL).await;
    let controller = connect(&cluster, TTL).await;
    assert!(controller.healthy().is_empty());

    invoker.register(info(3, 2048)).await.unwrap();
    invoker.register(info(1, 512)).await.unwrap();
    let took = wait_for(&controller, Duration::from_secs(5), "two invokers appear", |h| h.len() == 2).await;
    println!("a new invoker appeared in another instance's healthy() after {took:?}");
    assert_eq!(*controller.healthy(), vec![info(1, 512), info(3, 2048)], "sorted by id, with memory");

    // A controller that starts later sees them at once (the first snapshot is read at connect).
    let late = connect(&cluster, TTL).await;
    assert_eq!(healthy_ids(&late), vec![1, 3]);

    // Still there after several TTLs: the heartbeat keeps the checks passing.
    tokio::time::sleep(TTL * 2).await;
    assert_eq!(healthy_ids(&controller), vec![1, 3]);

    // Registering the same id again replaces it (new memory), without a duplicate.
    invoker.register(info(3, 4096)).await.unwrap();
    wait_for(&controller, Duration::from_secs(5), "memory updated", |h| h.iter().any(|i| i.user_memory_mb == 4096))
        .await;
    assert_eq!(*controller.healthy(), vec![info(1, 512), info(3, 4096)]);

    invoker.deregister(InvokerId(3)).await.unwrap();
    let took = wait_for(&controller, Duration::from_secs(5), "deregistered invoker disappears", |h| {
        h.iter().all(|i| i.id.0 != 3)
    })
    .await;
    println!("a deregistered invoker disappeared after {took:?}");
    assert_eq!(healthy_ids(&controller), vec![1]);
    // Deregistered means gone for good: its heartbeat stopped too.
    tokio::time::sleep(TTL).await;
    assert_eq!(healthy_ids(&controller), vec![1]);

    invoker.deregister(InvokerId(1)).await.unwrap();
    wait_for(&controller, Duration::from_secs(5), "all gone", |h| h.is_empty()).await;
    cleanup(&cluster, &[1, 3]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoker_that_stops_heartbeating_disappears_within_its_ttl() {
    let cluster = random_cluster("ttl");
    let controller = connect(&cluster, TTL).await;
    let invoker = connect(&cluster, TTL).await;
    invoker.register(info(0, 1024)).await.unwrap();
    invoker.register(info(1, 1024)).await.unwrap();
    wait_for(&controller, Duration::from_secs(5), "invokers appear", |h| h.len() == 2).await;

    // A survivor in another process-like instance keeps heartbeating.
    let survivor = connect(&cluster, TTL).await;
    survivor.register(info(2, 256)).await.unwrap();
    wait_for(&controller, Duration::from_secs(5), "survivor appears", |h| h.len() == 3).await;

    // Like SIGKILL: the instance goes away without deregistering; its heartbeats stop.
    drop(invoker);
    let start = Instant::now();
    wait_for(&controller, TTL * 3, "silent invokers disappear", |h| h.iter().all(|i| i.id.0 == 2)).await;
    let took = start.elapsed();
    println!("invokers that stopped heartbeating (ttl {TTL:?}) disappeared from healthy() after {took:?}");
    assert!(took <= TTL + Duration::from_millis(1500), "took {took:?} for a TTL of {TTL:?}");
    assert_eq!(*controller.healthy(), vec![info(2, 256)]);

    survivor.deregister(InvokerId(2)).await.unwrap();
    cleanup(&cluster, &[0, 1, 2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clusters_do_not_see_each_other() {
    let blue = random_cluster("blue");
    let green = random_cluster("green");
    let b = connect(&blue, TTL).await;
    let g = connect(&green, TTL).await;
    b.register(info(0, 100)).await.unwrap();
    b.register(info(1, 101)).await.unwrap();
    g.register(info(0, 200)).await.unwrap();

    let b_view = connect(&blue, TTL).await;
    let g_view = connect(&green, TTL).await;
    wait_for(&b_view, Duration::from_secs(5), "blue sees its two", |h| h.len() == 2).await;
    wait_for(&g_view, Duration::from_secs(5), "green sees its one", |h| h.len() == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(*b_view.healthy(), vec![info(0, 100), info(1, 101)]);
    assert_eq!(*g_view.healthy(), vec![info(0, 200)]);

    // The same invoker id in two clusters is two services: deregistering one leaves the other.
    g.deregister(InvokerId(0)).await.unwrap();
    wait_for(&g_view, Duration::from_secs(5), "green empty", |h| h.is_empty()).await;
    assert_eq!(*b_view.healthy(), vec![info(0, 100), info(1, 101)]);

    b.deregister(InvokerId(0)).await.unwrap();
    b.deregister(InvokerId(1)).await.unwrap();
    cleanup(&blue, &[0, 1]).await;
    cleanup(&green, &[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_the_agent_forgot_is_registered_again() {
    let cluster = random_cluster("forgot");
    let invoker = connect(&cluster, TTL).await;
    let controller = connect(&cluster, TTL).await;
    invoker.register(info(5, 640)).await.unwrap();
    wait_for(&controller, Duration::from_secs(5), "invoker appears", |h| h.len() == 1).await;

    // As after an agent restart: the agent no longer knows the service or its check.
    let http = reqwest::Client::new();
    let resp = http
        .put(format!("{}/v1/agent/service/deregister/gust-invoker-{cluster}-5", common::consul_url()))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    wait_for(&controller, Duration::from_secs(5), "forgotten invoker disappears", |h| h.is_empty()).await;
    let start = Instant::now();
    wait_for(&controller, TTL * 2, "the heartbeat registers it again", |h| h.len() == 1).await;
    println!("the heartbeat registered a forgotten invoker again after {:?}", start.elapsed());
    assert_eq!(*controller.healthy(), vec![info(5, 640)]);

    invoker.deregister(InvokerId(5)).await.unwrap();
    cleanup(&cluster, &[5]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_carries_cluster_id_and_memory_in_tags_and_meta() {
    let cluster = random_cluster("meta");
    let invoker = connect(&cluster, TTL).await;
    invoker.register(info(7, 3072)).await.unwrap();
    let url = format!("{}/v1/agent/service/gust-invoker-{cluster}-7", common::consul_url());
    let service: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(service["Service"], "gust-invoker");
    assert_eq!(service["Meta"]["gust_cluster"], cluster.as_str());
    assert_eq!(service["Meta"]["invoker_id"], "7");
    assert_eq!(service["Meta"]["user_memory_mb"], "3072");
    let tags: Vec<String> = serde_json::from_value(service["Tags"].clone()).unwrap();
    assert!(tags.contains(&format!("gust-cluster={cluster}")), "{tags:?}");
    let checks: serde_json::Value =
        reqwest::get(format!("{}/v1/agent/checks", common::consul_url())).await.unwrap().json().await.unwrap();
    let check = &checks[format!("gust-invoker-{cluster}-7-ttl")];
    assert_eq!(check["Status"], "passing", "{checks}");
    assert_eq!(check["Type"], "ttl");
    invoker.deregister(InvokerId(7)).await.unwrap();
    cleanup(&cluster, &[7]).await;
}

#[tokio::test]
async fn connect_fails_clearly_without_an_agent() {
    let config = ConsulConfig { url: "http://127.0.0.1:1".into(), ..ConsulConfig::for_cluster("nobody") };
    let err = ConsulRegistry::connect(config).await.unwrap_err();
    assert!(matches!(err, ConsulError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");

    let bad = ConsulRegistry::connect(ConsulConfig::for_cluster("a/b")).await.unwrap_err();
    assert!(matches!(bad, ConsulError::Config(_)), "{bad:?}");
}
