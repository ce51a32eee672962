//! Publishing: an idempotent producer that answers once the broker has acknowledged.

use std::sync::Arc;

use gust_core::bus::BusError;
use parking_lot::RwLock;
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;

use crate::config::KafkaConfig;
use crate::error::{KafkaError, publish_error};
use crate::log::LogContext;

type Inner = FutureProducer<LogContext>;

/// The bus's producer. librdkafka retries and reconnects by itself; an idempotent producer that
/// hit a fatal error (it can no longer guarantee order without duplicates) is replaced.
pub(crate) struct Publisher {
    config: KafkaConfig,
    current: RwLock<Arc<Inner>>,
}

impl Publisher {
    pub(crate) fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        let producer = Inner::from_config_and_context(&config.producer(), LogContext)?;
        Ok(Self { config: config.clone(), current: RwLock::new(Arc::new(producer)) })
    }

    /// The producer in use (for metadata requests).
    pub(crate) fn producer(&self) -> Arc<Inner> {
        self.current.read().clone()
    }

    /// Sends `payload` to `topic` and waits for the acknowledgement of every in-sync replica.
    pub(crate) async fn send(&self, topic: &str, payload: &[u8]) -> Result<(), BusError> {
        let producer = self.producer();
        let record = FutureRecord::<(), [u8]>::to(topic).payload(payload);
        match producer.send(record, Timeout::After(self.config.publish_timeout)).await {
            Ok(_) => Ok(()),
            Err((e, _)) => {
                if let Some((code, reason)) = producer.client().fatal_error() {
                    tracing::warn!(%code, reason, "The Kafka producer failed fatally; replacing it.");
                    self.replace(&producer);
                }
                Err(publish_error(&e, payload.len()))
            }
        }
    }

    fn replace(&self, failed: &Arc<Inner>) {
        let mut current = self.current.write();
        if !Arc::ptr_eq(&current, failed) {
            return; // Someone replaced it already.
        }
        match Inner::from_config_and_context(&self.config.producer(), LogContext) {
            Ok(p) => *current = Arc::new(p),
            Err(e) => tracing::error!(error = %e, "Could not create a new Kafka producer."),
        }
    }
}
