//! Topic creation: each topic the bus touches is created (when missing) once per process.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gust_core::bus::BusError;
use gust_core::topic::Topic;
use parking_lot::Mutex;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::OnceCell;

use crate::config::KafkaConfig;
use crate::error::KafkaError;
use crate::log::LogContext;

/// Creates topics with Gust's settings (partitions, replication, message size, retention).
pub(crate) struct Topics {
    admin: AdminClient<LogContext>,
    config: KafkaConfig,
    /// One cell per topic: concurrent callers wait for one creation; a failure is retried later.
    known: Mutex<HashMap<String, Arc<OnceCell<()>>>>,
}

impl Topics {
    pub(crate) fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        let admin = AdminClient::from_config_and_context(&config.admin(), LogContext)?;
        Ok(Self { admin, config: config.clone(), known: Mutex::new(HashMap::new()) })
    }

    /// Makes sure `topic` exists; only the first call per topic asks the broker.
    pub(crate) async fn ensure(&self, topic: &Topic) -> Result<(), BusError> {
        let cell = self.known.lock().entry(topic.name().to_owned()).or_default().clone();
        cell.get_or_try_init(|| self.create(topic)).await.map(|_| ())
    }

    async fn create(&self, topic: &Topic) -> Result<(), BusError> {
        let max_bytes = self.config.topic_max_message_bytes().to_string();
        let retention = self.config.topic_retention.of(topic.kind()).as_millis().to_string();
        let topic = topic.name();
        let new = NewTopic::new(topic, self.config.partitions, TopicReplication::Fixed(self.config.replication_factor))
            .set("max.message.bytes", &max_bytes)
            .set("retention.ms", &retention);
        let timeout = self.config.request_timeout;
        let opts = AdminOptions::new().request_timeout(Some(timeout)).operation_timeout(Some(timeout));
        // The admin request itself is bounded by its timeouts; this bounds a broker that never answers.
        let created = tokio::time::timeout(timeout + Duration::from_secs(1), self.admin.create_topics([&new], &opts))
            .await
            .map_err(|_| BusError::Unavailable(format!("creating Kafka topic {topic} timed out after {timeout:?}")))?
            .map_err(|e| BusError::Unavailable(format!("creating Kafka topic {topic} failed: {e}")))?;
        for result in created {
            match result {
                Ok(_) => tracing::info!(topic, partitions = self.config.partitions, "Created the Kafka topic."),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    tracing::debug!(topic, "The Kafka topic exists already.")
                }
                Err((_, code)) => {
                    return Err(BusError::Unavailable(format!("creating Kafka topic {topic} failed: {code}")));
                }
            }
        }
        Ok(())
    }
}
