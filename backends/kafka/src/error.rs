//! Errors of the Kafka bus, and how librdkafka's errors map to the bus seam's.

use std::time::Duration;

use gust_core::bus::BusError;
use rdkafka::types::RDKafkaErrorCode;

/// Why the Kafka bus could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// A librdkafka client could not be created (an invalid property, usually).
    #[error("cannot create the Kafka client: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
    /// No broker answered.
    #[error("no Kafka broker answered at {brokers} within {timeout:?}: {reason}")]
    Unreachable {
        /// The bootstrap brokers tried.
        brokers: String,
        /// How long it waited.
        timeout: Duration,
        /// librdkafka's explanation.
        reason: String,
    },
}

impl From<KafkaError> for BusError {
    fn from(e: KafkaError) -> Self {
        BusError::Unavailable(e.to_string())
    }
}

/// Maps a failed publish of `len` bytes to the seam's error.
pub(crate) fn publish_error(e: &rdkafka::error::KafkaError, len: usize) -> BusError {
    match e.rdkafka_error_code() {
        Some(RDKafkaErrorCode::MessageSizeTooLarge) => BusError::TooLarge(len),
        Some(RDKafkaErrorCode::MessageTimedOut) => {
            BusError::Unavailable(format!("the Kafka broker did not acknowledge the message in time: {e}"))
        }
        _ => BusError::Unavailable(format!("publishing to Kafka failed: {e}")),
    }
}
