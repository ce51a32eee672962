//! Settings of the Kafka bus and the librdkafka properties derived from them.

use std::time::Duration;

use gust_core::topic::TopicKind;
use rdkafka::ClientConfig;

/// Bytes a record batch adds around one message (batch header, record header, margin): the
/// topics' `max.message.bytes` and the producer's request limit are the payload limit plus this.
pub const BATCH_OVERHEAD: usize = 4096;

/// How long messages are kept on each kind of topic (OpenWhisk's retention by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRetention {
    /// `invoker{N}`: work waiting for an invoker (OpenWhisk: 48 h).
    pub invoker: Duration,
    /// `completed{C}`: acknowledgements for a controller (OpenWhisk: 1 h).
    pub completed: Duration,
    /// `health`: invoker pings (OpenWhisk: 1 h).
    pub health: Duration,
    /// Any other topic.
    pub other: Duration,
}

impl Default for TopicRetention {
    fn default() -> Self {
        const HOUR: Duration = Duration::from_secs(3600);
        Self { invoker: 48 * HOUR, completed: HOUR, health: HOUR, other: 48 * HOUR }
    }
}

impl TopicRetention {
    /// The retention of topics of `kind`.
    pub fn of(&self, kind: TopicKind) -> Duration {
        match kind {
            // A chain waiting for a controller is work like an activation waiting for an invoker.
            TopicKind::Invoker | TopicKind::Chains => self.invoker,
            TopicKind::Completed => self.completed,
            TopicKind::Health => self.health,
            TopicKind::Other => self.other,
        }
    }
}

/// How to reach Kafka and how Gust's clients behave.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `host:port[,host:port...]`.
    pub brokers: String,
    /// Client id (librdkafka's `client.id`); consumers append `-<topic>`.
    pub client_id: String,
    /// The largest serialised message `publish` accepts, bytes (1 MiB + 64 KiB by default: a
    /// 1 MiB payload plus the message around it).
    pub max_message_bytes: usize,
    /// Retention of the topics this bus creates.
    pub topic_retention: TopicRetention,
    /// Partitions of the topics this bus creates (OpenWhisk: 1).
    pub partitions: i32,
    /// Replication factor of the topics this bus creates (1 on a single broker).
    pub replication_factor: i32,
    /// How long `publish` waits for the broker's acknowledgement, retries and reconnections
    /// included, before it answers `Unavailable` (librdkafka's `message.timeout.ms`).
    pub publish_timeout: Duration,
    /// How long `connect` and topic creation wait for the broker.
    pub request_timeout: Duration,
    /// Acknowledged offsets are committed at most this often (commits are batched).
    pub commit_interval: Duration,
    /// A consumer that stops heartbeating (a crashed process) loses its partitions after this.
    pub session_timeout: Duration,
    /// A consumer that does not ask for a message for this long leaves its group. The invoker
    /// stops asking while all its slots are busy, so this must exceed the longest activation
    /// (OpenWhisk: 30 min).
    pub max_poll_interval: Duration,
    /// How long the producer waits to batch messages (0 by default: a waiting caller is a waiting
    /// user, and messages queued while requests are in flight are batched anyway).
    pub linger: Duration,
    /// Extra librdkafka properties for every client, applied last (they override the above).
    pub extra: Vec<(String, String)>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".into(),
            client_id: "gust".into(),
            max_message_bytes: 1024 * 1024 + 64 * 1024,
            topic_retention: TopicRetention::default(),
            partitions: 1,
            replication_factor: 1,
            publish_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            commit_interval: Duration::from_millis(50),
            session_timeout: Duration::from_secs(10),
            max_poll_interval: Duration::from_secs(30 * 60),
            linger: Duration::ZERO,
            extra: Vec::new(),
        }
    }
}

fn ms(d: Duration) -> String {
    d.as_millis().to_string()
}

impl KafkaConfig {
    /// The defaults, with `brokers`.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self { brokers: brokers.into(), ..Self::default() }
    }

    /// The topics' `max.message.bytes` and the producer's request limit.
    pub fn topic_max_message_bytes(&self) -> usize {
        self.max_message_bytes + BATCH_OVERHEAD
    }

    fn base(&self, client_id: &str) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("client.id", client_id)
            // A restarted broker is found again quickly.
            .set("reconnect.backoff.ms", "50")
            .set("reconnect.backoff.max.ms", "1000")
            .set("log.connection.close", "false");
        c
    }

    fn with_extra(&self, mut c: ClientConfig) -> ClientConfig {
        for (k, v) in &self.extra {
            c.set(k, v);
        }
        c
    }

    /// The idempotent producer: acknowledged by every in-sync replica, retried without duplicates.
    pub(crate) fn producer(&self) -> ClientConfig {
        let mut c = self.base(&self.client_id);
        c.set("acks", "all")
            .set("enable.idempotence", "true")
            .set("max.in.flight.requests.per.connection", "5")
            .set("message.timeout.ms", ms(self.publish_timeout))
            .set("request.timeout.ms", ms(self.publish_timeout.min(Duration::from_secs(30))))
            .set("message.max.bytes", self.topic_max_message_bytes().to_string())
            .set("linger.ms", ms(self.linger));
        self.with_extra(c)
    }

    /// A consumer in `group`: manual commits, from the earliest message when the group is new.
    pub(crate) fn consumer(&self, topic: &str, group: &str) -> ClientConfig {
        let mut c = self.base(&format!("{}-{topic}", self.client_id));
        let session = self.session_timeout.max(Duration::from_secs(6));
        c.set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            .set("session.timeout.ms", ms(session))
            .set("heartbeat.interval.ms", ms(session / 3))
            .set("max.poll.interval.ms", ms(self.max_poll_interval))
            .set("partition.assignment.strategy", "cooperative-sticky")
            // Prefetch is bounded (nothing prefetched is committed); a full prefetch queue is
            // checked again after 10 ms, not librdkafka's 1 s, which would cap a busy consumer.
            .set("queued.min.messages", "1000")
            .set("queued.max.messages.kbytes", "16384")
            .set("fetch.queue.backoff.ms", "10")
            .set("fetch.wait.max.ms", "100");
        self.with_extra(c)
    }

    /// The admin client that creates topics.
    pub(crate) fn admin(&self) -> ClientConfig {
        let c = self.base(&format!("{}-admin", self.client_id));
        self.with_extra(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_follows_openwhisk_by_topic() {
        let r = TopicRetention::default();
        assert_eq!(r.of(TopicKind::Invoker), Duration::from_secs(48 * 3600));
        assert_eq!(r.of(TopicKind::Completed), Duration::from_secs(3600));
        assert_eq!(r.of(TopicKind::Health), Duration::from_secs(3600));
        assert_eq!(r.of(TopicKind::Other), Duration::from_secs(48 * 3600));
    }

    #[test]
    fn producer_waits_for_all_replicas_and_is_idempotent() {
        let c = KafkaConfig::new("h:1").producer();
        assert_eq!(c.get("acks"), Some("all"));
        assert_eq!(c.get("enable.idempotence"), Some("true"));
        assert_eq!(c.get("bootstrap.servers"), Some("h:1"));
    }

    #[test]
    fn consumers_commit_by_hand() {
        let mut cfg = KafkaConfig::default();
        cfg.extra.push(("fetch.wait.max.ms".into(), "10".into()));
        let c = cfg.consumer("invoker0", "invoker0");
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(c.get("group.id"), Some("invoker0"));
        assert_eq!(c.get("fetch.wait.max.ms"), Some("10"), "extra settings win");
    }
}
