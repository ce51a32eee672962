//! An invoker process killed with SIGKILL leaves Consul's healthy set within about its TTL.
//!
//! The test binary runs itself again as the "invoker" (the ignored helper test below, switched on
//! by an environment variable), waits until a controller-side registry sees it, kills it with
//! SIGKILL and measures how long the controller keeps seeing it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{cleanup, connect, info, random_cluster, wait_for};
use gust_core::registry::InvokerRegistry;

const TTL: Duration = Duration::from_secs(2);
const HELPER_ENV: &str = "GUST_CONSUL_TEST_HELPER_CLUSTER";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_invoker_process_disappears_within_its_ttl() {
    let cluster = random_cluster("kill");
    let controller = connect(&cluster, TTL).await;

    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "helper_invoker_process", "--ignored", "--nocapture", "--test-threads=1"])
        .env(HELPER_ENV, &cluster)
        .env("GUST_TEST_CONSUL", common::consul_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // The child says when it has registered.
    let stdout = child.stdout.take().unwrap();
    let ready = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains("HELPER REGISTERED"))
    });
    assert!(
        tokio::time::timeout(Duration::from_secs(30), ready).await.unwrap().unwrap(),
        "the helper did not register"
    );
    wait_for(&controller, Duration::from_secs(5), "the helper's invoker appears", |h| h.len() == 1).await;
    assert_eq!(*controller.healthy(), vec![info(9, 1536)]);
    // Let it heartbeat a few times: it stays.
    tokio::time::sleep(TTL * 2).await;
    assert_eq!(controller.healthy().len(), 1);

    child.kill().unwrap(); // SIGKILL
    let killed = Instant::now();
    child.wait().unwrap();
    wait_for(&controller, TTL * 3, "the killed invoker disappears", |h| h.is_empty()).await;
    let took = killed.elapsed();
    println!("an invoker process killed with SIGKILL (ttl {TTL:?}) left healthy() after {took:?}");
    assert!(took <= TTL + Duration::from_millis(1500), "took {took:?} for a TTL of {TTL:?}");
    cleanup(&cluster, &[9]).await;
}

/// The "invoker" process of the test above; does nothing unless started by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a helper process of killed_invoker_process_disappears_within_its_ttl"]
async fn helper_invoker_process() {
    let Ok(cluster) = std::env::var(HELPER_ENV) else { return };
    let registry = connect(&cluster, TTL).await;
    registry.register(info(9, 1536)).await.unwrap();
    println!("HELPER REGISTERED");
    // Bounded, in case the parent dies without killing it.
    tokio::time::sleep(Duration::from_secs(120)).await;
}
