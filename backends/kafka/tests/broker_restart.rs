//! Restarts the broker (`scripts/services/kafka restart`) while messages are published and
//! consumed, and checks that every acknowledged message is consumed afterwards (at least once).
//!
//! Its own test binary, so that it never runs alongside the other tests of this crate (cargo runs
//! test binaries one after another). It needs the broker of `scripts/services/kafka`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;
use gust_core::bus::{BusError, MessageBus};
use gust_core::topic::Topic;
use parking_lot::Mutex;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/services/kafka")
}

/// The tests of this file stop the broker: one at a time.
static BROKER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `scripts/services/kafka <action>` for the broker under test.
fn service(action: &str) {
    let port = brokers().rsplit(':').next().unwrap_or("9092").to_owned();
    let out = Command::new(script()).arg(action).env("GUST_KAFKA_PORT", port).output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scripts/services/kafka {action} failed:\n{log}");
    println!("{}", log.trim_end());
}

async fn service_async(action: &'static str) {
    tokio::task::spawn_blocking(move || service(action)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_a_broker_restart_under_load() {
    let _one_at_a_time = BROKER.lock().await;
    let bus = bus().await;
    let (topic, group) = (Topic::other(unique("restart")), unique("g"));
    bus.ensure_topic(&topic).await.unwrap();

    // The consumer commits every message it gets.
    let consumed = Arc::new(Mutex::new(Vec::<u32>::new()));
    let mut consumer = bus.subscribe(&topic, &group).await.unwrap();
    let sink = consumed.clone();
    tokio::spawn(async move {
        while let Ok(Some(d)) = consumer.next().await {
            sink.lock().push(number(&d.message));
            d.receipt.commit();
        }
    });

    // Eight publishers, each numbering its own messages.
    let acked = Arc::new(Mutex::new(BTreeSet::<u32>::new()));
    let failed = Arc::new(Mutex::new(Vec::<(u32, BusError)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU32::new(0));
    let mut publishers = Vec::new();
    for _ in 0..8 {
        let (bus, topic, acked, failed, stop, counter) =
            (bus.clone(), topic.clone(), acked.clone(), failed.clone(), stop.clone(), counter.clone());
        publishers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                match bus.publish(&topic, ping(n)).await {
                    Ok(()) => {
                        acked.lock().insert(n);
                    }
                    Err(e) => failed.lock().push((n, e)),
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }));
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = (acked.lock().len(), consumed.lock().len());
    let t = Instant::now();
    service_async("restart").await;
    let restart_took = t.elapsed();
    let at_restart = (acked.lock().len(), consumed.lock().len());
    // Keep going for a while after the restart: both sides must resume by themselves.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for p in publishers {
        p.await.unwrap();
    }

    let acked = acked.lock().clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen: BTreeSet<u32> = consumed.lock().iter().copied().collect();
        let missing: Vec<u32> = acked.difference(&seen).copied().collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} acknowledged messages were never consumed, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(20)]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let consumed = consumed.lock().clone();
    let distinct: BTreeSet<u32> = consumed.iter().copied().collect();
    let (failed_count, first_failure) = {
        let failed = failed.lock();
        (failed.len(), failed.first().map(|(_, e)| e.to_string()))
    };
    println!(
        "restart took {restart_took:?}; before it {} acknowledged / {} consumed, when it returned {} / {}; \
         in total {} acknowledged, {} failed ({:?}), {} consumed ({} duplicates)",
        before.0,
        before.1,
        at_restart.0,
        at_restart.1,
        acked.len(),
        failed_count,
        first_failure,
        consumed.len(),
        consumed.len() - distinct.len(),
    );
    assert!(acked.len() > at_restart.0, "publishing resumed after the restart");
    assert!(before.1 > 0, "messages were consumed before the restart");
    delete_topics(&[&topic]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_gives_up_in_bounded_time_while_the_broker_is_down() {
    let _one_at_a_time = BROKER.lock().await;
    let mut cfg = config();
    cfg.publish_timeout = Duration::from_secs(3);
    let bus = connect(cfg).await;
    let (topic, group) = (Topic::other(unique("down")), unique("g"));
    bus.publish(&topic, ping(1)).await.unwrap();

    service_async("stop").await;
    let t = Instant::now();
    let outcome = bus.publish(&topic, ping(2)).await;
    let waited = t.elapsed();
    service_async("start").await;
    assert!(matches!(outcome, Err(BusError::Unavailable(_))), "got {outcome:?}");
    assert!(waited >= Duration::from_secs(2) && waited < Duration::from_secs(15), "gave up after {waited:?}");
    println!("publishing gave up after {waited:?}: {outcome:?}");

    // The same bus works again once the broker is back.
    bus.publish(&topic, ping(3)).await.unwrap();
    let mut c = bus.subscribe(&topic, &group).await.unwrap();
    let first = next_within(c.as_mut(), 30).await;
    assert_eq!(number(&first.message), 1);
    let next = next_within(c.as_mut(), 30).await;
    assert_eq!(number(&next.message), 3, "the message that timed out was never sent");
    drop(c);
    delete_topics(&[&topic]).await;
}
