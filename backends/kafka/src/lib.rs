//! gust-kafka: Gust's distributed message bus on Apache Kafka (librdkafka through `rdkafka`).
//!
//! Topics follow OpenWhisk (`invoker{N}`, `completed{C}`, `health`), one partition each by
//! default, messages as compact JSON. Unlike OpenWhisk, which commits offsets as soon as it has
//! fetched a message (an invoker crash loses its work), a message is committed only when its
//! [`Receipt`](gust_core::bus::Receipt) is, and receipts may be committed in any order: the bus
//! commits, per partition, the highest offset below which everything is done
//! ([`offsets::OffsetTracker`]). Work is delivered at least once.
//!
//! Publishing is idempotent and waits for every in-sync replica (`acks=all`), so an acknowledged
//! message survives a broker restart; librdkafka reconnects producers and consumers by itself.

#![warn(missing_docs)]

mod admin;
mod config;
mod consumer;
mod error;
mod log;
pub mod offsets;
mod producer;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use gust_core::bus::{BusConsumer, BusError, MessageBus};
use gust_core::ids::ActivationId;
use gust_core::messages::BusMessage;
use gust_core::topic::Topic;
use rdkafka::producer::Producer;
use tokio::sync::watch;

pub use crate::config::{BATCH_OVERHEAD, KafkaConfig, TopicRetention};
pub use crate::consumer::KafkaConsumer;
pub use crate::error::KafkaError;

use crate::admin::Topics;
use crate::producer::Publisher;

struct BusInner {
    config: KafkaConfig,
    publisher: Publisher,
    topics: Topics,
    closed: AtomicBool,
    closing: watch::Sender<bool>,
}

/// The message bus on Kafka. Cheap to clone; clones share the producer and the topic cache.
#[derive(Clone)]
pub struct KafkaBus {
    inner: Arc<BusInner>,
}

impl fmt::Debug for KafkaBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaBus").field("brokers", &self.inner.config.brokers).finish_non_exhaustive()
    }
}

impl KafkaBus {
    /// Creates the clients and checks that a broker answers within `config.request_timeout`.
    pub async fn connect(config: KafkaConfig) -> Result<KafkaBus, KafkaError> {
        let publisher = Publisher::new(&config)?;
        let topics = Topics::new(&config)?;
        let producer = publisher.producer();
        let timeout = config.request_timeout;
        let probe = tokio::task::spawn_blocking(move || {
            producer.client().fetch_metadata(None, timeout).map(|m| m.brokers().len())
        })
        .await;
        let unreachable = |reason: String| KafkaError::Unreachable { brokers: config.brokers.clone(), timeout, reason };
        match probe {
            Ok(Ok(brokers)) => tracing::info!(bootstrap = %config.brokers, brokers, "Connected to Kafka."),
            Ok(Err(e)) => return Err(unreachable(e.to_string())),
            Err(e) => return Err(unreachable(e.to_string())),
        }
        let (closing, _) = watch::channel(false);
        Ok(KafkaBus {
            inner: Arc::new(BusInner { config, publisher, topics, closed: AtomicBool::new(false), closing }),
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &KafkaConfig {
        &self.inner.config
    }

    /// Creates `topic` with the bus's settings when it does not exist (once per topic and bus).
    pub async fn ensure_topic(&self, topic: &Topic) -> Result<(), BusError> {
        self.inner.topics.ensure(topic).await
    }

    /// Like [`MessageBus::subscribe`], with the concrete consumer type.
    pub async fn consumer(&self, topic: &Topic, group: &str) -> Result<KafkaConsumer, BusError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(BusError::Closed);
        }
        self.ensure_topic(topic).await?;
        KafkaConsumer::new(&self.inner.config, topic.name(), group, self.inner.closing.subscribe())
    }
}

#[async_trait]
impl MessageBus for KafkaBus {
    async fn publish(&self, topic: &Topic, message: BusMessage) -> Result<(), BusError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(BusError::Closed);
        }
        let payload = serde_json::to_vec(&message)
            .map_err(|e| BusError::Unavailable(format!("cannot serialise the message: {e}")))?;
        if payload.len() > self.inner.config.max_message_bytes {
            return Err(BusError::TooLarge(payload.len()));
        }
        self.ensure_topic(topic).await?;
        self.inner.publisher.send(topic.name(), &payload).await
    }

    /// Nothing to wait for: `publish` returns only once the broker has the message.
    async fn keep(&self, _id: ActivationId) -> Result<(), BusError> {
        Ok(())
    }

    async fn subscribe(&self, topic: &Topic, group: &str) -> Result<Box<dyn BusConsumer>, BusError> {
        Ok(Box::new(self.consumer(topic, group).await?))
    }

    /// Refuses further publishing and ends every consumer's `next` (uncommitted messages stay in
    /// Kafka; receipts of messages already delivered can still be committed).
    fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.closing.send_replace(true);
    }
}
