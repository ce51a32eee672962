//! Which offsets may be committed when messages finish out of order.
//!
//! Kafka keeps one committed offset per partition: "everything below this one is done". Gust's
//! invoker runs activations concurrently and commits each message when its record is stored, so
//! messages finish in any order. [`OffsetTracker`] turns those out-of-order acknowledgements into
//! safe commit points: per partition, the lowest offset still in flight (or one past the highest
//! delivered offset when nothing is in flight). A message is therefore never committed before
//! every message delivered ahead of it in its partition is done; a crash redelivers whatever was
//! not done (at least once).
//!
//! The tracker is a pure data structure; the consumer feeds it deliveries, acknowledgements,
//! rebalances and commit results, and asks it which commits are due.

use std::collections::{BTreeSet, HashMap};

/// Identifies one delivered message to [`OffsetTracker::ack`].
///
/// It carries the partition's *epoch*: when a partition is revoked, reassigned or rewound, its
/// state starts over and tokens of the earlier epoch are ignored (those messages are redelivered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// The partition.
    pub partition: i32,
    /// The message's offset.
    pub offset: i64,
    epoch: u64,
}

#[derive(Debug)]
struct PartitionState {
    epoch: u64,
    /// Delivered, not yet acknowledged.
    in_flight: BTreeSet<i64>,
    /// The first offset delivered in this epoch: where the group's position already is.
    start: Option<i64>,
    /// One past the highest offset delivered in this epoch.
    next: Option<i64>,
    /// The highest commit point handed out by [`OffsetTracker::take_commits`].
    sent: Option<i64>,
    /// The highest commit point the broker confirmed.
    confirmed: Option<i64>,
}

impl PartitionState {
    fn new(epoch: u64) -> Self {
        Self { epoch, in_flight: BTreeSet::new(), start: None, next: None, sent: None, confirmed: None }
    }

    /// The offset to commit: everything below it is done.
    fn commit_point(&self) -> Option<i64> {
        self.in_flight.first().copied().or(self.next)
    }

    /// The commit point, when it is past `known`, else past the start.
    fn past(&self, known: Option<i64>) -> Option<i64> {
        let point = self.commit_point()?;
        known.or(self.start).is_none_or(|k| point > k).then_some(point)
    }

    /// The commit point when it moved past the last one handed out.
    fn due(&self) -> Option<i64> {
        self.past(self.sent)
    }
}

/// Per-partition bookkeeping of delivered and acknowledged offsets of one topic.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<i32, PartitionState>,
    epochs: u64,
}

impl OffsetTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    fn fresh(&mut self) -> PartitionState {
        self.epochs += 1;
        PartitionState::new(self.epochs)
    }

    /// Records that the message at `offset` of `partition` was handed to the application.
    ///
    /// An offset at or below one already delivered in this epoch means the consumer was rewound
    /// (a rebalance or a reset): the partition starts over in a new epoch.
    pub fn deliver(&mut self, partition: i32, offset: i64) -> Token {
        let epochs = &mut self.epochs;
        let mut fresh = || {
            *epochs += 1;
            PartitionState::new(*epochs)
        };
        let st = self.partitions.entry(partition).or_insert_with(&mut fresh);
        if st.next.is_some_and(|next| offset < next) {
            *st = fresh();
        }
        st.start.get_or_insert(offset);
        st.in_flight.insert(offset);
        st.next = Some(offset + 1);
        Token { partition, offset, epoch: st.epoch }
    }

    /// Marks a delivered message as processed. Returns true when a commit became due.
    ///
    /// Tokens of an earlier epoch (the partition was revoked or rewound since) are ignored.
    pub fn ack(&mut self, token: Token) -> bool {
        let Some(st) = self.partitions.get_mut(&token.partition) else { return false };
        if st.epoch != token.epoch || !st.in_flight.remove(&token.offset) {
            return false;
        }
        st.due().is_some()
    }

    /// The commit points that moved since they were last taken, as `(partition, offset)`; they
    /// count as sent from now on.
    pub fn take_commits(&mut self) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        for (&partition, st) in &mut self.partitions {
            if let Some(point) = st.due() {
                st.sent = Some(point);
                out.push((partition, point));
            }
        }
        out.sort_unstable();
        out
    }

    /// Every commit point the broker has not confirmed yet, whether sent or not (for the final
    /// commit before the consumer leaves).
    pub fn unconfirmed(&self) -> Vec<(i32, i64)> {
        let mut out: Vec<_> =
            self.partitions.iter().filter_map(|(&p, st)| st.past(st.confirmed).map(|point| (p, point))).collect();
        out.sort_unstable();
        out
    }

    /// The broker confirmed a commit.
    pub fn commit_succeeded(&mut self, partition: i32, offset: i64) {
        if let Some(st) = self.partitions.get_mut(&partition)
            && st.confirmed.is_none_or(|c| offset > c)
        {
            st.confirmed = Some(offset);
        }
    }

    /// A commit failed: it is due again.
    pub fn commit_failed(&mut self, partition: i32, offset: i64) {
        if let Some(st) = self.partitions.get_mut(&partition)
            && st.sent == Some(offset)
        {
            st.sent = st.confirmed;
        }
    }

    /// Partitions newly assigned to this consumer start afresh.
    pub fn assign(&mut self, partitions: &[i32]) {
        for &p in partitions {
            let st = self.fresh();
            self.partitions.insert(p, st);
        }
    }

    /// Partitions taken away: returns their commits still due, and forgets them (later
    /// acknowledgements of their messages are ignored; the next owner redelivers those).
    pub fn revoke(&mut self, partitions: &[i32]) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        for p in partitions {
            if let Some(st) = self.partitions.remove(p)
                && let Some(point) = st.due()
            {
                out.push((*p, point));
            }
        }
        out.sort_unstable();
        out
    }

    /// Messages delivered and not yet acknowledged, over all partitions.
    pub fn in_flight(&self) -> usize {
        self.partitions.values().map(|st| st.in_flight.len()).sum()
    }

    /// The last commit point the broker confirmed for `partition`.
    pub fn confirmed(&self, partition: i32) -> Option<i64> {
        self.partitions.get(&partition).and_then(|st| st.confirmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_acks_commit_one_past_the_last() {
        let mut t = OffsetTracker::new();
        let a = t.deliver(0, 10);
        let b = t.deliver(0, 11);
        assert!(t.take_commits().is_empty(), "nothing is done yet");
        assert!(t.ack(a));
        assert!(t.ack(b));
        assert_eq!(t.take_commits(), vec![(0, 12)]);
        assert!(t.take_commits().is_empty(), "a commit point is handed out once");
    }

    #[test]
    fn out_of_order_acks_wait_for_the_gap() {
        let mut t = OffsetTracker::new();
        let m1 = t.deliver(0, 0);
        let m2 = t.deliver(0, 1);
        let m3 = t.deliver(0, 2);
        assert!(!t.ack(m3), "3 done, 1 and 2 are not: nothing to commit");
        assert!(t.take_commits().is_empty());
        assert!(t.ack(m1));
        assert_eq!(t.take_commits(), vec![(0, 1)], "only 1 is covered");
        assert!(t.ack(m2));
        assert_eq!(t.take_commits(), vec![(0, 3)], "2 closes the gap, 3 was done already");
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn acks_are_idempotent() {
        let mut t = OffsetTracker::new();
        let a = t.deliver(0, 0);
        assert!(t.ack(a));
        assert!(!t.ack(a));
        assert_eq!(t.take_commits(), vec![(0, 1)]);
    }

    #[test]
    fn partitions_are_independent() {
        let mut t = OffsetTracker::new();
        let a = t.deliver(0, 5);
        let _b = t.deliver(1, 7);
        let c = t.deliver(1, 8);
        assert!(t.ack(a));
        assert!(!t.ack(c));
        assert_eq!(t.take_commits(), vec![(0, 6)]);
    }

    #[test]
    fn gaps_in_offsets_are_skipped() {
        // Offsets need not be contiguous (transaction markers, compaction).
        let mut t = OffsetTracker::new();
        let a = t.deliver(0, 3);
        let b = t.deliver(0, 9);
        assert!(!t.ack(b));
        assert!(t.take_commits().is_empty());
        assert!(t.ack(a));
        assert_eq!(t.take_commits(), vec![(0, 10)]);
    }

    #[test]
    fn a_failed_commit_is_due_again() {
        let mut t = OffsetTracker::new();
        let a = t.deliver(0, 0);
        t.ack(a);
        assert_eq!(t.take_commits(), vec![(0, 1)]);
        t.commit_failed(0, 1);
        assert_eq!(t.take_commits(), vec![(0, 1)]);
        t.commit_succeeded(0, 1);
        assert_eq!(t.confirmed(0), Some(1));
        t.commit_failed(0, 1);
        assert!(t.take_commits().is_empty(), "confirmed is confirmed");
    }

    #[test]
    fn revoked_partitions_forget_late_acks() {
        let mut t = OffsetTracker::new();
        let a = t.deliver(0, 0);
        let b = t.deliver(0, 1);
        t.ack(a);
        assert_eq!(t.revoke(&[0]), vec![(0, 1)], "the due commit goes out before giving up");
        assert!(!t.ack(b), "the next owner redelivers it");
        t.assign(&[0]);
        let c = t.deliver(0, 1);
        assert!(t.ack(c));
        assert_eq!(t.take_commits(), vec![(0, 2)]);
    }

    #[test]
    fn a_rewind_starts_a_new_epoch() {
        let mut t = OffsetTracker::new();
        let a = t.deliver(0, 0);
        let b = t.deliver(0, 1);
        t.ack(a);
        assert_eq!(t.take_commits(), vec![(0, 1)]);
        // The consumer is rewound to 1 (say after a rebalance it did not see).
        let b2 = t.deliver(0, 1);
        assert!(!t.ack(b), "the old delivery no longer counts");
        assert!(t.ack(b2));
        assert_eq!(t.take_commits(), vec![(0, 2)]);
    }

    #[test]
    fn the_first_delivery_does_not_recommit_the_start() {
        let mut t = OffsetTracker::new();
        t.assign(&[0]);
        let _a = t.deliver(0, 42);
        assert!(t.take_commits().is_empty(), "42 is where the group already is");
    }

    #[test]
    fn unconfirmed_lists_what_a_final_commit_must_cover() {
        let mut t = OffsetTracker::new();
        let a = t.deliver(0, 0);
        let _b = t.deliver(1, 4);
        assert!(t.unconfirmed().is_empty());
        t.ack(a);
        assert_eq!(t.take_commits(), vec![(0, 1)]);
        assert_eq!(t.unconfirmed(), vec![(0, 1)], "sent but not confirmed");
        t.commit_succeeded(0, 1);
        assert!(t.unconfirmed().is_empty());
    }
}
