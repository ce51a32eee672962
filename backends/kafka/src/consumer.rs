//! Consuming: one group member per `subscribe`, at-least-once, with out-of-order receipts.
//!
//! Each [`Delivery`]'s [`Receipt`] acknowledges its offset to the [`OffsetTracker`]; a committer
//! task commits the tracker's commit points asynchronously, at most every
//! [`KafkaConfig::commit_interval`]. A message is committed only once it and every message
//! before it in its partition were acknowledged, so a crash redelivers everything unfinished.

use std::fmt;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use gust_core::bus::{BusConsumer, BusError, Delivery, Receipt};
use gust_core::messages::BusMessage;
use parking_lot::Mutex;
use rdkafka::config::{FromClientConfigAndContext, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::{KafkaError as RdError, KafkaResult};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};
use tokio::sync::{Notify, watch};

use crate::config::KafkaConfig;
use crate::log::{forward_error, forward_log};
use crate::offsets::{OffsetTracker, Token};

/// State shared by the consumer, its receipts, its committer and librdkafka's callbacks.
struct Shared {
    topic: String,
    group: String,
    tracker: Mutex<OffsetTracker>,
    /// Commits are due.
    wake: Notify,
}

impl Shared {
    fn partition_list(&self, commits: &[(i32, i64)]) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::with_capacity(commits.len());
        for &(partition, offset) in commits {
            if let Err(e) = tpl.add_partition_offset(&self.topic, partition, Offset::Offset(offset)) {
                tracing::warn!(error = %e, partition, offset, "Cannot express a Kafka commit.");
            }
        }
        tpl
    }

    /// Our partitions in a rebalance's or commit's list, with their offsets when they have one.
    fn ours(&self, tpl: &TopicPartitionList) -> Vec<(i32, Option<i64>)> {
        tpl.elements()
            .iter()
            .filter(|e| e.topic() == self.topic)
            .map(|e| (e.partition(), if let Offset::Offset(o) = e.offset() { Some(o) } else { None }))
            .collect()
    }
}

/// librdkafka's callbacks: rebalances reset the tracker, commit results confirm or retry.
struct CommitContext {
    shared: Arc<Shared>,
}

impl ClientContext for CommitContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        forward_log(level, fac, log_message);
    }

    fn error(&self, error: RdError, reason: &str) {
        forward_error(&error, reason);
    }
}

impl ConsumerContext for CommitContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else { return };
        let parts: Vec<i32> = self.shared.ours(tpl).into_iter().map(|(p, _)| p).collect();
        let due = self.shared.tracker.lock().revoke(&parts);
        tracing::info!(topic = %self.shared.topic, group = %self.shared.group, ?parts, "Kafka partitions revoked.");
        // Commit what is done before another member takes over, so it redelivers less.
        if !due.is_empty() && !consumer.assignment_lost() {
            let list = self.shared.partition_list(&due);
            if let Err(e) = consumer.commit(&list, CommitMode::Sync) {
                tracing::info!(error = %e, "Committing before a rebalance failed; the next owner redelivers those.");
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let parts: Vec<i32> = self.shared.ours(tpl).into_iter().map(|(p, _)| p).collect();
                self.shared.tracker.lock().assign(&parts);
                tracing::info!(topic = %self.shared.topic, group = %self.shared.group, ?parts, "Kafka partitions assigned.");
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "Kafka rebalance failed."),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        let ours = self.shared.ours(offsets);
        let mut tracker = self.shared.tracker.lock();
        match result {
            Ok(()) => {
                for (p, o) in ours {
                    if let Some(o) = o {
                        tracker.commit_succeeded(p, o);
                    }
                }
            }
            // Nothing to commit is not a failure.
            Err(RdError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                tracing::info!(error = %e, topic = %self.shared.topic, "A Kafka commit failed; it is retried.");
                for (p, o) in ours {
                    if let Some(o) = o {
                        tracker.commit_failed(p, o);
                    }
                }
                drop(tracker);
                self.shared.wake.notify_one();
            }
        }
    }
}

type RdConsumer = StreamConsumer<CommitContext>;

/// The librdkafka consumer and its state. Receipts hold it too: a message delivered before the
/// consumer was dropped can still be committed, and the group member stays until then.
struct Inner {
    consumer: Option<RdConsumer>,
    shared: Arc<Shared>,
}

impl Inner {
    fn ack(&self, token: Token) {
        if self.shared.tracker.lock().ack(token) {
            self.shared.wake.notify_one();
        }
    }

    /// Sends the due commits, without waiting for the broker.
    fn flush(&self) {
        let Some(consumer) = &self.consumer else { return };
        let due = self.shared.tracker.lock().take_commits();
        if due.is_empty() {
            return;
        }
        let list = self.shared.partition_list(&due);
        if let Err(e) = consumer.commit(&list, CommitMode::Async) {
            tracing::info!(error = %e, topic = %self.shared.topic, "A Kafka commit could not be sent; it is retried.");
            let mut tracker = self.shared.tracker.lock();
            for (p, o) in due {
                tracker.commit_failed(p, o);
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Ends the committer.
        self.shared.wake.notify_one();
        let Some(consumer) = self.consumer.take() else { return };
        let shared = self.shared.clone();
        // Leaving the group blocks (a final commit, then librdkafka's close), so not on a runtime worker.
        let leave = move || {
            let last = shared.tracker.lock().unconfirmed();
            if !last.is_empty()
                && let Err(e) = consumer.commit(&shared.partition_list(&last), CommitMode::Sync)
            {
                tracing::info!(error = %e, topic = %shared.topic, "The final Kafka commit failed; those messages will be redelivered.");
            }
            drop(consumer);
            tracing::debug!(topic = %shared.topic, group = %shared.group, "Kafka consumer closed.");
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(leave)),
            Err(_) => leave(),
        }
    }
}

/// Commits due offsets, batching those that become due within `interval` of each other.
async fn committer(shared: Arc<Shared>, inner: Weak<Inner>, interval: std::time::Duration) {
    loop {
        shared.wake.notified().await;
        let Some(inner) = inner.upgrade() else { break };
        inner.flush();
        drop(inner);
        tokio::time::sleep(interval).await;
    }
}

/// A member of a consumer group on one topic: the Kafka [`BusConsumer`].
///
/// Dropping it leaves the group once the receipts of its deliveries are committed or dropped;
/// uncommitted messages are redelivered to the group's next member.
pub struct KafkaConsumer {
    inner: Arc<Inner>,
    closed: watch::Receiver<bool>,
}

impl fmt::Debug for KafkaConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaConsumer")
            .field("topic", &self.inner.shared.topic)
            .field("group", &self.inner.shared.group)
            .finish_non_exhaustive()
    }
}

impl KafkaConsumer {
    /// Joins `group` on `topic` (which must exist). `closed` ends the consumer when it turns true.
    pub(crate) fn new(
        config: &KafkaConfig,
        topic: &str,
        group: &str,
        closed: watch::Receiver<bool>,
    ) -> Result<Self, BusError> {
        let shared = Arc::new(Shared {
            topic: topic.to_owned(),
            group: group.to_owned(),
            tracker: Mutex::new(OffsetTracker::new()),
            wake: Notify::new(),
        });
        let context = CommitContext { shared: shared.clone() };
        let consumer = RdConsumer::from_config_and_context(&config.consumer(topic, group), context)
            .map_err(|e| BusError::Unavailable(format!("cannot create a Kafka consumer: {e}")))?;
        consumer
            .subscribe(&[topic])
            .map_err(|e| BusError::Unavailable(format!("cannot subscribe to Kafka topic {topic}: {e}")))?;
        let inner = Arc::new(Inner { consumer: Some(consumer), shared: shared.clone() });
        tokio::spawn(committer(shared, Arc::downgrade(&inner), config.commit_interval));
        tracing::debug!(topic, group, "Kafka consumer subscribed.");
        Ok(Self { inner, closed })
    }

    /// The topic consumed.
    pub fn topic(&self) -> &str {
        &self.inner.shared.topic
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        &self.inner.shared.group
    }

    /// Messages delivered by this consumer and not yet committed (nor given up by a rebalance).
    pub fn in_flight(&self) -> usize {
        self.inner.shared.tracker.lock().in_flight()
    }

    /// The receipt of the message at `token`: acknowledges it to the tracker.
    fn receipt(&self, token: Token) -> Receipt {
        let inner = self.inner.clone();
        Receipt::new(move || inner.ack(token))
    }
}

/// Waits until `closed` turns true; never, if the bus is gone without closing.
async fn closing(closed: &mut watch::Receiver<bool>) {
    if closed.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[async_trait]
impl BusConsumer for KafkaConsumer {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        loop {
            if *self.closed.borrow() {
                return Ok(None);
            }
            let Some(consumer) = &self.inner.consumer else { return Ok(None) };
            // `recv` is cancellation safe: a message is taken off the queue only when returned.
            let received = tokio::select! {
                biased;
                () = closing(&mut self.closed) => return Ok(None),
                m = consumer.recv() => m,
            };
            let m = match received {
                Ok(m) => m,
                Err(e) => {
                    if e.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
                        return Err(BusError::Unavailable(format!("the Kafka consumer failed: {e}")));
                    }
                    // Lost connections and the like: librdkafka reconnects and resumes by itself.
                    tracing::debug!(error = %e, topic = %self.inner.shared.topic, "Kafka consumer error; continuing.");
                    continue;
                }
            };
            let token = self.inner.shared.tracker.lock().deliver(m.partition(), m.offset());
            match serde_json::from_slice::<BusMessage>(m.payload().unwrap_or_default()) {
                Ok(message) => return Ok(Some(Delivery { message, receipt: self.receipt(token) })),
                Err(e) => {
                    tracing::warn!(
                        topic = %self.inner.shared.topic,
                        partition = m.partition(),
                        offset = m.offset(),
                        error = %e,
                        "Skipping a Kafka message that is not a bus message."
                    );
                    self.inner.ack(token);
                }
            }
        }
    }
}
