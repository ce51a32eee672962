//! The message-bus seam and its in-process implementation.
//!
//! Topics follow OpenWhisk: `invoker{N}` carries work to invoker N, `completed{C}` carries
//! acknowledgements back to controller C, `health` carries invoker pings. Each consumer
//! *group* of a topic sees every message once (Kafka's semantics); consumers of one group share
//! the messages.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::ids::ActivationId;
use crate::messages::BusMessage;
use crate::topic::Topic;

/// A bus failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// The bus was closed: nothing more is accepted.
    #[error("the message bus is closed")]
    Closed,
    /// The message is larger than the bus accepts.
    #[error("message of {0} bytes is larger than the bus accepts")]
    TooLarge(usize),
    /// The bus cannot be reached.
    #[error("message bus unavailable: {0}")]
    Unavailable(String),
}

/// Proof of delivery. Commit it once the message's effects are durable: a bus that persists
/// messages redelivers uncommitted ones after a crash.
pub struct Receipt(Option<Box<dyn FnOnce() + Send>>);

impl Receipt {
    /// A receipt with nothing to commit (in-process delivery).
    pub fn none() -> Self {
        Self(None)
    }

    /// A receipt that runs `commit` when committed.
    pub fn new(commit: impl FnOnce() + Send + 'static) -> Self {
        Self(Some(Box::new(commit)))
    }

    /// Marks the message as processed.
    pub fn commit(mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

impl fmt::Debug for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Receipt(pending)" } else { "Receipt(none)" })
    }
}

/// One delivered message and its receipt.
#[derive(Debug)]
pub struct Delivery {
    /// The message.
    pub message: BusMessage,
    /// Commit after processing.
    pub receipt: Receipt,
}

/// Publishes messages and hands out consumers.
#[async_trait]
pub trait MessageBus: Send + Sync + 'static {
    /// Publishes `message` on `topic`; returns once the bus has accepted it.
    async fn publish(&self, topic: &Topic, message: BusMessage) -> Result<(), BusError>;

    /// Returns once the activation message `id`, published before through this bus, would be
    /// delivered again should this process crash before its record is stored. The invocation
    /// core calls it before it answers a blocking invocation that outlived its wait as accepted
    /// (a 202 is a promise). A bus that persists every message before `publish` returns (Kafka)
    /// has nothing to wait for; one that journals blocking messages lazily waits for its journal.
    async fn keep(&self, id: ActivationId) -> Result<(), BusError>;

    /// A consumer of `topic` in consumer group `group`.
    async fn subscribe(&self, topic: &Topic, group: &str) -> Result<Box<dyn BusConsumer>, BusError>;

    /// Stops accepting messages. Consumers still receive what was accepted before, then end.
    fn close(&self);
}

/// Receives the messages of one topic for one consumer group.
#[async_trait]
pub trait BusConsumer: Send {
    /// The next message, or `None` once the bus is closed and drained.
    async fn next(&mut self) -> Result<Option<Delivery>, BusError>;
}

/// The queue of one consumer group.
struct Group {
    tx: mpsc::UnboundedSender<BusMessage>,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<BusMessage>>>,
}

/// The groups and backlog of one topic.
#[derive(Default)]
struct Queues {
    groups: HashMap<String, Group>,
    /// Messages published before any group subscribed; the first group takes them.
    backlog: Vec<BusMessage>,
}

#[derive(Default)]
struct State {
    topics: HashMap<String, Queues>,
    closed: bool,
}

/// Channels in one process: what `gust standalone` and unit tests use.
#[derive(Default, Clone)]
pub struct InProcessBus {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for InProcessBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessBus").finish_non_exhaustive()
    }
}

impl InProcessBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl MessageBus for InProcessBus {
    async fn publish(&self, topic: &Topic, message: BusMessage) -> Result<(), BusError> {
        let mut st = self.state.lock();
        if st.closed {
            return Err(BusError::Closed);
        }
        let t = st.topics.entry(topic.name().to_owned()).or_default();
        if t.groups.is_empty() {
            t.backlog.push(message);
            return Ok(());
        }
        // Every group but the last gets a copy; the last one gets the original.
        let mut groups = t.groups.values().peekable();
        while let Some(g) = groups.next() {
            if groups.peek().is_none() {
                let _ = g.tx.send(message);
                break;
            }
            let _ = g.tx.send(message.clone());
        }
        Ok(())
    }

    /// Nothing to do, and nothing kept: messages of this bus live in memory only, so a crash
    /// loses them (`gust standalone` wraps it in the SQLite journal, which keeps them).
    async fn keep(&self, _id: ActivationId) -> Result<(), BusError> {
        Ok(())
    }

    async fn subscribe(&self, topic: &Topic, group: &str) -> Result<Box<dyn BusConsumer>, BusError> {
        let mut st = self.state.lock();
        let closed = st.closed;
        let t = st.topics.entry(topic.name().to_owned()).or_default();
        let first = t.groups.is_empty();
        let g = t.groups.entry(group.to_owned()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            Group { tx, rx: Arc::new(tokio::sync::Mutex::new(rx)) }
        });
        if first {
            for m in t.backlog.drain(..) {
                let _ = g.tx.send(m);
            }
        }
        let rx = g.rx.clone();
        if closed {
            // Let the consumer drain and end.
            t.groups.clear();
        }
        Ok(Box::new(InProcessConsumer { rx }))
    }

    fn close(&self) {
        let mut st = self.state.lock();
        st.closed = true;
        // Dropping the senders ends each consumer after it has drained its queue.
        for t in st.topics.values_mut() {
            t.groups.clear();
        }
    }
}

struct InProcessConsumer {
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<BusMessage>>>,
}

#[async_trait]
impl BusConsumer for InProcessConsumer {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        let msg = self.rx.lock().await.recv().await;
        Ok(msg.map(|message| Delivery { message, receipt: Receipt::none() }))
    }
}

/// A bus whose topic and consumer-group names all start with a prefix, so that several
/// deployments (or test runs) can share one broker without meeting (OpenWhisk's
/// `whisk.kafka.topics.prefix`).
pub struct PrefixedBus {
    inner: Arc<dyn MessageBus>,
    prefix: String,
}

impl fmt::Debug for PrefixedBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefixedBus").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl PrefixedBus {
    /// `inner` with every name prefixed by `prefix` (empty: unchanged).
    pub fn new(inner: Arc<dyn MessageBus>, prefix: impl Into<String>) -> Self {
        Self { inner, prefix: prefix.into() }
    }
}

#[async_trait]
impl MessageBus for PrefixedBus {
    async fn publish(&self, topic: &Topic, message: BusMessage) -> Result<(), BusError> {
        self.inner.publish(&topic.prefixed(&self.prefix), message).await
    }

    async fn keep(&self, id: ActivationId) -> Result<(), BusError> {
        self.inner.keep(id).await
    }

    async fn subscribe(&self, topic: &Topic, group: &str) -> Result<Box<dyn BusConsumer>, BusError> {
        self.inner.subscribe(&topic.prefixed(&self.prefix), &format!("{}{group}", self.prefix)).await
    }

    fn close(&self) {
        self.inner.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{InvokerId, PingMessage};

    fn ping(n: u32) -> BusMessage {
        BusMessage::Ping(PingMessage { invoker: InvokerId(n), user_memory_mb: 1, enabled: true })
    }

    #[tokio::test]
    async fn messages_published_before_subscribing_are_kept() {
        let bus = InProcessBus::new();
        bus.publish(&InvokerId(0).topic(), ping(1)).await.unwrap();
        let mut c = bus.subscribe(&InvokerId(0).topic(), "g").await.unwrap();
        assert_eq!(c.next().await.unwrap().unwrap().message, ping(1));
    }

    #[tokio::test]
    async fn every_group_sees_every_message() {
        let bus = InProcessBus::new();
        let mut a = bus.subscribe(&Topic::health(), "a").await.unwrap();
        let mut b = bus.subscribe(&Topic::health(), "b").await.unwrap();
        bus.publish(&Topic::health(), ping(2)).await.unwrap();
        assert_eq!(a.next().await.unwrap().unwrap().message, ping(2));
        assert_eq!(b.next().await.unwrap().unwrap().message, ping(2));
    }

    #[tokio::test]
    async fn a_prefixed_bus_keeps_deployments_apart() {
        let shared: Arc<dyn MessageBus> = Arc::new(InProcessBus::new());
        let a = PrefixedBus::new(shared.clone(), "a.");
        let b = PrefixedBus::new(shared.clone(), "b.");
        let mut ca = a.subscribe(&InvokerId(0).topic(), "invoker0").await.unwrap();
        let mut cb = b.subscribe(&InvokerId(0).topic(), "invoker0").await.unwrap();
        a.publish(&InvokerId(0).topic(), ping(7)).await.unwrap();
        assert_eq!(ca.next().await.unwrap().unwrap().message, ping(7));
        let mut raw = shared.subscribe(&Topic::other("a.invoker0"), "other").await.unwrap();
        b.publish(&InvokerId(0).topic(), ping(8)).await.unwrap();
        assert_eq!(cb.next().await.unwrap().unwrap().message, ping(8));
        shared.publish(&Topic::other("a.invoker0"), ping(9)).await.unwrap();
        assert_eq!(raw.next().await.unwrap().unwrap().message, ping(9));
    }

    #[tokio::test]
    async fn close_drains_then_ends() {
        let bus = InProcessBus::new();
        let mut c = bus.subscribe(&Topic::other("t"), "g").await.unwrap();
        bus.publish(&Topic::other("t"), ping(3)).await.unwrap();
        bus.close();
        assert!(bus.publish(&Topic::other("t"), ping(4)).await.is_err());
        assert_eq!(c.next().await.unwrap().unwrap().message, ping(3));
        assert!(c.next().await.unwrap().is_none());
    }
}
