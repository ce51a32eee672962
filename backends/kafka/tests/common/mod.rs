//! Shared helpers of the tests against a real Kafka broker (`scripts/services/kafka start`).
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use gust_core::activation::{Activation, ActivationResponse};
use gust_core::bus::{BusConsumer, Delivery};
use gust_core::ids::{ActivationId, TransactionId, random_alphanumeric};
use gust_core::messages::{AckMessage, ActivationMessage, BusMessage, ControllerId, InvokerId, PingMessage};
use gust_core::names::FullyQualifiedName;
use gust_core::params::Params;
use gust_core::subject::{GUEST_AUTH, Identity};
use gust_kafka::{KafkaBus, KafkaConfig};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::json;

/// The broker under test: `GUST_TEST_KAFKA`, else the one `scripts/services/kafka` runs.
pub fn brokers() -> String {
    std::env::var("GUST_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// A configuration for tests: the broker under test, quick to give up.
pub fn config() -> KafkaConfig {
    let mut c = KafkaConfig::new(brokers());
    c.client_id = "gust-kafka-test".into();
    c.request_timeout = Duration::from_secs(5);
    c
}

/// Connects, or fails the test with what to do about it. `RUST_LOG` shows the bus's logs.
pub async fn connect(config: KafkaConfig) -> KafkaBus {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    match KafkaBus::connect(config).await {
        Ok(bus) => bus,
        Err(e) => panic!(
            "no Kafka broker at {} ({e}); start it with scripts/services/kafka start \
             (or point GUST_TEST_KAFKA at one)",
            brokers()
        ),
    }
}

/// A bus with the test configuration.
pub async fn bus() -> KafkaBus {
    connect(config()).await
}

/// A fresh name, so that tests never share topics or groups.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", random_alphanumeric(12))
}

/// A ping carrying `n` (an easy way to number messages).
pub fn ping(n: u32) -> BusMessage {
    BusMessage::Ping(PingMessage { invoker: InvokerId(n), user_memory_mb: 2048, enabled: true })
}

/// The number a [`ping`] carries.
pub fn number(m: &BusMessage) -> u32 {
    match m {
        BusMessage::Ping(p) => p.invoker.0,
        other => panic!("expected a numbered ping, got {other:?}"),
    }
}

fn identity() -> Arc<Identity> {
    Arc::new(Identity::new("guest", "guest", GUEST_AUTH.parse().unwrap()))
}

/// An activation message whose content holds `content`.
pub fn activation(content: serde_json::Value) -> ActivationMessage {
    ActivationMessage {
        transid: TransactionId { id: random_alphanumeric(32), start: 1_700_000_000_000 },
        action: FullyQualifiedName::new("guest/pkg", "hello"),
        version: gust_core::action::SemVer::INITIAL,
        revision: "3-abc".into(),
        user: identity(),
        activation_id: ActivationId::generate(),
        root_controller: ControllerId("0".into()),
        blocking: true,
        content: Some(content),
        init_args: vec!["secret".into()],
        cause: Some(ActivationId::generate()),
        binding: Some("guest/mine".into()),
        fused: None,
    }
}

/// One message of every kind, with non-trivial content.
pub fn every_kind() -> Vec<BusMessage> {
    let act = activation(json!({"name": "Wörld ☃", "nested": {"list": [1, 2.5, null, true]}, "quote": "\"\\"}));
    let record = Activation {
        namespace: "guest".into(),
        name: "hello".into(),
        subject: "guest".into(),
        activation_id: act.activation_id,
        start: 10,
        end: 12,
        duration: Some(2),
        response: ActivationResponse::success(json!({"payload": "Hello, Wörld"}), Some(25)),
        logs: vec!["2024-01-01T00:00:00.000Z stdout: hi".into()],
        version: gust_core::action::SemVer::INITIAL,
        publish: false,
        annotations: Params::new().with("path", json!("guest/pkg/hello")).with("waitTime", json!(3)),
        cause: None,
    };
    let with_result = AckMessage {
        transid: act.transid.clone(),
        activation_id: act.activation_id,
        result: Some(Arc::new(record)),
        completed: true,
        is_system_error: false,
        invoker: Some(InvokerId(0)),
    };
    let completion = AckMessage { result: None, is_system_error: true, ..with_result.clone() };
    vec![
        BusMessage::Activation(Box::new(act)),
        BusMessage::Ack(with_result),
        BusMessage::Ack(completion),
        ping(7),
        BusMessage::Ping(PingMessage { invoker: InvokerId(1), user_memory_mb: 0, enabled: false }),
    ]
}

/// The next delivery, failing the test after `secs` seconds.
pub async fn next_within(c: &mut dyn BusConsumer, secs: u64) -> Delivery {
    match tokio::time::timeout(Duration::from_secs(secs), c.next()).await {
        Ok(Ok(Some(d))) => d,
        Ok(Ok(None)) => panic!("the consumer ended"),
        Ok(Err(e)) => panic!("the consumer failed: {e}"),
        Err(_) => panic!("no message within {secs} s"),
    }
}

/// Nothing arrives within `millis`.
pub async fn nothing_within(c: &mut dyn BusConsumer, millis: u64) {
    if let Ok(r) = tokio::time::timeout(Duration::from_millis(millis), c.next()).await {
        panic!("expected nothing, got {:?}", r.map(|d| d.map(|d| d.message)));
    }
}

/// The offset `group` has committed for partition 0 of `topic`, as the broker reports it.
pub async fn committed(topic: impl AsRef<str>, group: &str) -> Option<i64> {
    let (topic, group) = (topic.as_ref().to_owned(), group.to_owned());
    tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers())
            .set("group.id", &group)
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(&topic, 0);
        let got = c.committed_offsets(tpl, Duration::from_secs(5)).unwrap();
        match got.find_partition(&topic, 0).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => Some(o),
            _ => None,
        }
    })
    .await
    .unwrap()
}

/// Waits until the committed offset is `want` (commits are asynchronous and batched).
pub async fn wait_committed(topic: impl AsRef<str>, group: &str, want: Option<i64>) {
    let topic = topic.as_ref();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = committed(topic, group).await;
        if got == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "committed offset stayed {got:?}, expected {want:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Deletes the topics a test made (best effort: a failed test leaves its topics behind).
pub async fn delete_topics<T: AsRef<str>>(topics: &[T]) {
    let topics: Vec<&str> = topics.iter().map(AsRef::as_ref).collect();
    let topics = topics.as_slice();
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", brokers()).create().unwrap();
    let opts = rdkafka::admin::AdminOptions::new().operation_timeout(Some(Duration::from_secs(5)));
    if let Err(e) = admin.delete_topics(topics, &opts).await {
        eprintln!("could not delete test topics {topics:?}: {e}");
    }
}
