//! Bus topics, typed: what a topic carries travels with its name, so a bus never guesses it
//! from the name (a cluster prefix changes the name, never the kind).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a topic carries. Kafka keeps each kind for its own time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TopicKind {
    /// `invoker{N}`: work for one invoker.
    Invoker,
    /// `completed{C}`: acknowledgements for one controller.
    Completed,
    /// `health`: invoker pings.
    Health,
    /// `chains`: sequences and compositions for any controller to drive.
    Chains,
    /// Anything else (tests, tools).
    Other,
}

/// A topic: its name on the bus and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Topic {
    name: String,
    kind: TopicKind,
}

impl Topic {
    /// A topic of `kind` named `name`.
    pub fn new(kind: TopicKind, name: impl Into<String>) -> Self {
        Self { name: name.into(), kind }
    }

    /// The `health` topic.
    pub fn health() -> Self {
        Self::new(TopicKind::Health, "health")
    }

    /// The `chains` topic: every controller consumes it in one group, so a chain accepted by a
    /// controller that dies is driven by another.
    pub fn chains() -> Self {
        Self::new(TopicKind::Chains, "chains")
    }

    /// A topic that is none of Gust's own kinds.
    pub fn other(name: impl Into<String>) -> Self {
        Self::new(TopicKind::Other, name)
    }

    /// The same topic with `prefix` before its name.
    pub fn prefixed(&self, prefix: &str) -> Self {
        Self { name: format!("{prefix}{}", self.name), kind: self.kind }
    }

    /// Its name on the bus.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it carries.
    pub fn kind(&self) -> TopicKind {
        self.kind
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

impl PartialEq<&str> for Topic {
    fn eq(&self, other: &&str) -> bool {
        self.name == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_changes_the_name_and_keeps_the_kind() {
        let t = Topic::new(TopicKind::Completed, "completed0").prefixed("cluster-a.");
        assert_eq!(t.name(), "cluster-a.completed0");
        assert_eq!(t.kind(), TopicKind::Completed);
        assert_eq!(Topic::health().prefixed("x.").kind(), TopicKind::Health);
    }
}
