//! The Kafka bus against a real broker: start it with `scripts/services/kafka start`
//! (or point `GUST_TEST_KAFKA` at one). Every test uses its own topics and groups.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use gust_core::bus::{BusConsumer, BusError, MessageBus, PrefixedBus};
use gust_core::messages::{BusMessage, ControllerId, InvokerId};
use gust_core::topic::Topic;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use serde_json::json;
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_kind_round_trips() {
    let bus = bus().await;
    let topic = Topic::other(unique("roundtrip"));
    let sent = every_kind();
    for m in &sent {
        bus.publish(&topic, m.clone()).await.unwrap();
    }
    let mut c = bus.subscribe(&topic, &unique("g")).await.unwrap();
    for want in sent {
        let d = next_within(c.as_mut(), 20).await;
        assert_eq!(d.message, want);
        d.receipt.commit();
    }
    drop(c);
    delete_topics(&[&topic]).await;
}

/// Runs a consumer in a task; it commits everything and reports `(who, number)`.
fn drain(mut c: Box<dyn BusConsumer>, who: &'static str, tx: mpsc::UnboundedSender<(&'static str, u32)>) {
    tokio::spawn(async move {
        while let Ok(Some(d)) = c.next().await {
            let n = number(&d.message);
            d.receipt.commit();
            if tx.send((who, n)).is_err() {
                break;
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_group_sees_every_message_and_members_share_them() {
    // Two partitions, so that two members of one group both get work.
    let mut cfg = config();
    cfg.partitions = 2;
    let bus = connect(cfg).await;
    let topic = Topic::other(unique("groups"));
    bus.ensure_topic(&topic).await.unwrap();
    let (shared, alone) = (unique("shared"), unique("alone"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    drain(bus.subscribe(&topic, &shared).await.unwrap(), "a1", tx.clone());
    drain(bus.subscribe(&topic, &shared).await.unwrap(), "a2", tx.clone());
    drain(bus.subscribe(&topic, &alone).await.unwrap(), "b", tx);

    let mut seen: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut published = 0u32;
    let deadline = Instant::now() + Duration::from_secs(60);
    // Publish until both members of the shared group got work, then 50 more.
    let mut remaining = None::<u32>;
    loop {
        assert!(Instant::now() < deadline, "timed out; seen so far: {seen:?}");
        if remaining != Some(0) {
            bus.publish(&topic, ping(published)).await.unwrap();
            published += 1;
            remaining = remaining.map(|r| r - 1);
        }
        while let Ok((who, n)) = rx.try_recv() {
            seen.entry(who).or_default().push(n);
        }
        if remaining.is_none() && seen.contains_key("a1") && seen.contains_key("a2") {
            remaining = Some(50);
        }
        let all: BTreeSet<u32> = (0..published).collect();
        let group_a: BTreeSet<u32> =
            seen.iter().filter(|(w, _)| w.starts_with('a')).flat_map(|(_, v)| v.clone()).collect();
        let group_b: BTreeSet<u32> = seen.get("b").into_iter().flatten().copied().collect();
        if remaining == Some(0) && group_a == all && group_b == all {
            break;
        }
        tokio::time::sleep(Duration::from_millis(if remaining.is_some() { 1 } else { 20 })).await;
    }
    let count = |w: &str| seen.get(w).map_or(0, Vec::len);
    let a_total = count("a1") + count("a2");
    println!(
        "{published} messages: member a1 got {}, a2 got {} ({} redelivered after rebalancing), group b got {}",
        count("a1"),
        count("a2"),
        a_total - published as usize,
        count("b")
    );
    assert!(count("a1") > 0 && count("a2") > 0, "both members of one group get work");
    delete_topics(&[&topic]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncommitted_messages_are_redelivered_to_the_next_member_and_committed_ones_are_not() {
    let bus = bus().await;
    let (topic, group) = (Topic::other(unique("redeliver")), unique("g"));
    for n in 0..6 {
        bus.publish(&topic, ping(n)).await.unwrap();
    }
    {
        let mut c = bus.subscribe(&topic, &group).await.unwrap();
        let mut kept = Vec::new();
        for n in 0..6 {
            let d = next_within(c.as_mut(), 20).await;
            assert_eq!(number(&d.message), n);
            // 0, 1, 2 and 4 are done; 3 and 5 are still running when the member goes away.
            if [0, 1, 2, 4].contains(&n) {
                d.receipt.commit();
            } else {
                kept.push(d);
            }
        }
        drop(kept); // Dropped receipts commit nothing.
    }
    // The member left: only what lies below the first unfinished message was committed.
    wait_committed(&topic, &group, Some(3)).await;

    let mut c = bus.subscribe(&topic, &group).await.unwrap();
    let mut again = Vec::new();
    for _ in 0..3 {
        let d = next_within(c.as_mut(), 30).await;
        again.push(number(&d.message));
        d.receipt.commit();
    }
    // 4 was done, but it lies past 3: at least once means it comes again.
    assert_eq!(again, vec![3, 4, 5]);
    nothing_within(c.as_mut(), 1500).await;
    wait_committed(&topic, &group, Some(6)).await;
    drop(c);
    delete_topics(&[&topic]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_commits_wait_for_every_earlier_message() {
    let bus = bus().await;
    let (topic, group) = (Topic::other(unique("order")), unique("g"));
    for n in 1..=3 {
        bus.publish(&topic, ping(n)).await.unwrap();
    }
    let mut c = bus.subscribe(&topic, &group).await.unwrap();
    let d1 = next_within(c.as_mut(), 20).await;
    let d2 = next_within(c.as_mut(), 20).await;
    let d3 = next_within(c.as_mut(), 20).await;
    assert_eq!([&d1, &d2, &d3].map(|d| number(&d.message)), [1, 2, 3]);

    d3.receipt.commit();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(committed(&topic, &group).await, None, "3 alone commits nothing");

    d1.receipt.commit();
    wait_committed(&topic, &group, Some(1)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(committed(&topic, &group).await, Some(1), "nothing past 1 until 2 is done");

    d2.receipt.commit();
    wait_committed(&topic, &group, Some(3)).await;
    drop(c);
    delete_topics(&[&topic]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_mebibyte_payload_fits_and_a_larger_message_is_refused() {
    let bus = bus().await;
    let topic = Topic::other(unique("size"));
    let limit = bus.config().max_message_bytes;

    let big = BusMessage::Activation(Box::new(activation(json!({ "blob": "x".repeat(1024 * 1024) }))));
    bus.publish(&topic, big.clone()).await.unwrap();
    let mut c = bus.subscribe(&topic, &unique("g")).await.unwrap();
    let d = next_within(c.as_mut(), 20).await;
    assert_eq!(d.message, big);
    d.receipt.commit();

    let huge = BusMessage::Activation(Box::new(activation(json!({ "blob": "x".repeat(limit) }))));
    match bus.publish(&topic, huge).await {
        Err(BusError::TooLarge(n)) => assert!(n > limit, "{n} bytes reported"),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Nothing was sent.
    nothing_within(c.as_mut(), 1000).await;
    drop(c);
    delete_topics(&[&topic]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_are_created_with_the_bus_settings() {
    // Behind a cluster prefix, as a distributed deployment names them: the retention follows
    // what a topic carries, whatever its name starts with.
    let kafka = bus().await;
    let prefix = format!("{}.", unique("cluster"));
    let bus = PrefixedBus::new(Arc::new(kafka.clone()), prefix.clone());
    let (invoker, controller) = (InvokerId(9).topic(), ControllerId(unique("c")).topic());
    bus.publish(&invoker, ping(1)).await.unwrap();
    let c = bus.subscribe(&controller, &unique("g")).await.unwrap();
    let (by_publish, by_subscribe) = (invoker.prefixed(&prefix), controller.prefixed(&prefix));
    assert!(by_subscribe.name().starts_with(&prefix), "{by_subscribe}");

    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", brokers()).create().unwrap();
    let specs = [ResourceSpecifier::Topic(by_publish.name()), ResourceSpecifier::Topic(by_subscribe.name())];
    let described = admin.describe_configs(&specs, &AdminOptions::new()).await.unwrap();
    let value = |i: usize, key: &str| -> String {
        let r = described[i].as_ref().unwrap();
        r.get(key).and_then(|e| e.value.clone()).unwrap_or_default()
    };
    let max = kafka.config().topic_max_message_bytes().to_string();
    assert_eq!(value(0, "max.message.bytes"), max);
    assert_eq!(value(1, "max.message.bytes"), max);
    assert_eq!(value(0, "retention.ms"), (48 * 3600 * 1000).to_string(), "work is kept 48 h");
    assert_eq!(value(1, "retention.ms"), (3600 * 1000).to_string(), "completions are kept 1 h");
    drop(c);
    delete_topics(&[&by_publish, &by_subscribe]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ends_consumers_and_refuses_publishing() {
    let bus = bus().await;
    let topic = Topic::other(unique("close"));
    bus.publish(&topic, ping(1)).await.unwrap();
    let mut c = bus.subscribe(&topic, &unique("g")).await.unwrap();
    let d = next_within(c.as_mut(), 20).await;
    bus.close();
    assert!(matches!(bus.publish(&topic, ping(2)).await, Err(BusError::Closed)));
    let end = tokio::time::timeout(Duration::from_secs(5), c.next()).await.unwrap().unwrap();
    assert!(end.is_none(), "next ends after close");
    // A receipt of a message delivered before closing still commits.
    d.receipt.commit();
    drop(c);
    delete_topics(&[&topic]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparseable_messages_are_skipped_and_committed() {
    let bus = bus().await;
    let (topic, group) = (Topic::other(unique("junk")), unique("g"));
    bus.ensure_topic(&topic).await.unwrap();
    let producer: rdkafka::producer::FutureProducer =
        ClientConfig::new().set("bootstrap.servers", brokers()).create().unwrap();
    producer
        .send(rdkafka::producer::FutureRecord::<(), str>::to(topic.name()).payload("not json"), Duration::from_secs(5))
        .await
        .unwrap();
    bus.publish(&topic, ping(5)).await.unwrap();
    let mut c = bus.subscribe(&topic, &group).await.unwrap();
    let d = next_within(c.as_mut(), 20).await;
    assert_eq!(number(&d.message), 5);
    wait_committed(&topic, &group, Some(1)).await;
    d.receipt.commit();
    wait_committed(&topic, &group, Some(2)).await;
    drop(c);
    delete_topics(&[&topic]).await;
}

/// Publishes `n` messages made by `make` (200 one at a time, the rest 256 in flight), then
/// consumes and commits them all, and prints the rates.
async fn measure(bus: &gust_kafka::KafkaBus, make: fn(u32) -> BusMessage, n: u32) {
    const SEQUENTIAL: u32 = 200;
    const IN_FLIGHT: usize = 256;
    let topic = Topic::other(unique("throughput"));
    bus.ensure_topic(&topic).await.unwrap();

    // One publish at a time: the latency a waiting caller sees.
    let t = Instant::now();
    for i in 0..SEQUENTIAL {
        bus.publish(&topic, make(i)).await.unwrap();
    }
    let sequential = t.elapsed();

    // Many publishes in flight, as a busy controller has.
    let t = Instant::now();
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::new();
    for i in SEQUENTIAL..n {
        let permit = sem.clone().acquire_owned().await.unwrap();
        let (bus, topic) = (bus.clone(), topic.clone());
        tasks.push(tokio::spawn(async move {
            bus.publish(&topic, make(i)).await.unwrap();
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let concurrent = t.elapsed();

    // Consume and commit everything.
    let mut c = bus.subscribe(&topic, &unique("g")).await.unwrap();
    let t = Instant::now();
    for _ in 0..n {
        next_within(c.as_mut(), 30).await.receipt.commit();
    }
    let consumed = t.elapsed();
    let message_bytes = serde_json::to_vec(&make(n)).unwrap().len();
    println!(
        "throughput, {message_bytes}-byte messages: publish one at a time {:.0} msg/s ({:.2} ms each), \
         {IN_FLIGHT} in flight {:.0} msg/s; consume + commit {:.0} msg/s",
        f64::from(SEQUENTIAL) / sequential.as_secs_f64(),
        sequential.as_secs_f64() * 1000.0 / f64::from(SEQUENTIAL),
        f64::from(n - SEQUENTIAL) / concurrent.as_secs_f64(),
        f64::from(n) / consumed.as_secs_f64(),
    );
    drop(c);
    delete_topics(&[&topic]).await;
}

fn sized_activation(_: u32) -> BusMessage {
    BusMessage::Activation(Box::new(activation(json!({ "text": "x".repeat(512) }))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput() {
    let bus = bus().await;
    measure(&bus, ping, 20_000).await;
    measure(&bus, sized_activation, 10_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_no_broker_fails_in_bounded_time() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = gust_kafka::KafkaConfig::new(format!("127.0.0.1:{port}"));
    cfg.request_timeout = Duration::from_secs(2);
    let t = Instant::now();
    match gust_kafka::KafkaBus::connect(cfg).await {
        Err(e @ gust_kafka::KafkaError::Unreachable { .. }) => {
            assert!(e.to_string().contains(&port.to_string()), "{e}");
            assert!(matches!(BusError::from(e), BusError::Unavailable(_)));
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(10), "gave up after {:?}", t.elapsed());
}
