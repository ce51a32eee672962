//! Activation retention: a background sweeper that removes activation records older than the
//! retention period from an [`ActivationStore`], whatever the backend.
//!
//! A sweep removes every record whose `start` is more than the retention before now
//! ([`ActivationStore::remove_older_than`], which backends run in bounded batches). The first
//! sweep runs at once, then one every [`sweep_period`] (a tenth of the retention, between 1 s
//! and 1 h). Sweeps are idempotent, so several processes may sweep the same store: in a
//! distributed deployment every controller runs one.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::store::ActivationStore;
use crate::time::now_ms;

/// A retention setting that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a retention like 7d, 12h, 30m, 90s or off")]
pub struct BadRetention(pub String);

/// How long records are kept when nothing is configured: 7 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// The shortest period between two sweeps.
const MIN_PERIOD: Duration = Duration::from_secs(1);

/// The longest period between two sweeps.
const MAX_PERIOD: Duration = Duration::from_secs(3600);

/// Parses a retention setting: `off` or `0` keeps records forever (`None`); otherwise a
/// number with a unit, `ms`, `s`, `m`, `h` or `d` (`7d`, `12h`, `90s`).
pub fn parse_retention(s: &str) -> Result<Option<Duration>, BadRetention> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") || s == "0" {
        return Ok(None);
    }
    const UNITS: &[(&str, u64)] = &[("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
    match crate::time::parse_amount(s, UNITS) {
        Some(d) if d.is_zero() => Ok(None),
        Some(d) => Ok(Some(d)),
        None => Err(BadRetention(s.to_owned())),
    }
}

/// `retention` in words, in its largest whole unit: `7 days`, `36 hours`, `1 minute`.
pub fn describe(retention: Duration) -> String {
    let ms = retention.as_millis();
    let (n, unit) = [(86_400_000, "day"), (3_600_000, "hour"), (60_000, "minute"), (1000, "second")]
        .into_iter()
        .find(|(per, _)| ms >= *per && ms.is_multiple_of(*per))
        .map_or((ms, "millisecond"), |(per, unit)| (ms / per, unit));
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// How often a sweeper for `retention` runs: a tenth of it, at least 1 s and at most 1 h.
pub fn sweep_period(retention: Duration) -> Duration {
    (retention / 10).clamp(MIN_PERIOD, MAX_PERIOD)
}

/// What a sweeper has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepStats {
    /// Sweeps finished (successful or not).
    pub sweeps: u64,
    /// Records removed, in all.
    pub removed: u64,
    /// Sweeps that failed (the store was unavailable, ...); the next one tries again.
    pub failures: u64,
}

/// A running sweeper; dropping it (or [`Sweeper::stop`]) stops it.
#[derive(Debug)]
pub struct Sweeper {
    task: JoinHandle<()>,
    stats: watch::Receiver<SweepStats>,
}

impl Sweeper {
    /// Starts sweeping `store` for `retention`, every [`sweep_period`] of it, on the current
    /// tokio runtime.
    pub fn spawn(store: Arc<dyn ActivationStore>, retention: Duration) -> Sweeper {
        Sweeper::spawn_with_period(store, retention, sweep_period(retention))
    }

    /// Like [`Sweeper::spawn`], with the period between sweeps given (tests use a short one).
    pub fn spawn_with_period(store: Arc<dyn ActivationStore>, retention: Duration, period: Duration) -> Sweeper {
        let (tx, stats) = watch::channel(SweepStats::default());
        let task = tokio::spawn(run(store, retention, period.max(Duration::from_millis(1)), tx));
        Sweeper { task, stats }
    }

    /// What it has done so far, updated after every sweep (wait on it with
    /// [`watch::Receiver::wait_for`]).
    pub fn stats(&self) -> watch::Receiver<SweepStats> {
        self.stats.clone()
    }

    /// Stops sweeping (a batch already handed to the store still completes there).
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sweeps now, then every `period`, until aborted.
async fn run(store: Arc<dyn ActivationStore>, retention: Duration, period: Duration, tx: watch::Sender<SweepStats>) {
    let retention_ms = u64::try_from(retention.as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        retention_s = retention.as_secs(),
        period_s = period.as_secs(),
        "Activation records older than the retention are removed in the background."
    );
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let cutoff = now_ms().saturating_sub(retention_ms);
        let outcome = store.remove_older_than(cutoff).await;
        tx.send_modify(|s| {
            s.sweeps += 1;
            match &outcome {
                Ok(n) => s.removed += n,
                Err(_) => s.failures += 1,
            }
        });
        match outcome {
            Ok(0) => tracing::debug!(cutoff, "retention sweep: nothing to remove"),
            Ok(removed) => tracing::info!(removed, cutoff, "Removed activation records past their retention."),
            Err(error) => {
                tracing::warn!(%error, "Could not remove old activation records; the next sweep tries again.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::memory::MemoryActivationStore;
    use crate::store::ActivationQuery;

    const DAY_MS: u64 = 86_400_000;

    fn record(start: u64) -> Arc<Activation> {
        Arc::new(crate::conformance::activations::record("guest", "guest/hello", start))
    }

    async fn starts(store: &MemoryActivationStore) -> Vec<u64> {
        let q = ActivationQuery { namespace: "guest".into(), limit: 100, ..Default::default() };
        store.list(&q).await.expect("list").iter().map(|a| a.start).collect()
    }

    #[test]
    fn retentions_parse_with_units_and_off() {
        assert_eq!(parse_retention("7d"), Ok(Some(Duration::from_secs(7 * 86_400))));
        assert_eq!(parse_retention("12h"), Ok(Some(Duration::from_secs(12 * 3600))));
        assert_eq!(parse_retention("30m"), Ok(Some(Duration::from_secs(1800))));
        assert_eq!(parse_retention(" 90s "), Ok(Some(Duration::from_secs(90))));
        assert_eq!(parse_retention("1500ms"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(parse_retention("off"), Ok(None));
        assert_eq!(parse_retention("OFF"), Ok(None));
        assert_eq!(parse_retention("0"), Ok(None));
        assert_eq!(parse_retention("0d"), Ok(None));
        for bad in ["", "7", "7w", "d", "-1d", "soon", "99999999999999999999d"] {
            assert!(parse_retention(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retentions_are_described_in_their_largest_whole_unit() {
        assert_eq!(describe(DEFAULT_RETENTION), "7 days");
        assert_eq!(describe(Duration::from_secs(36 * 3600)), "36 hours");
        assert_eq!(describe(Duration::from_secs(60)), "1 minute");
        assert_eq!(describe(Duration::from_secs(90)), "90 seconds");
        assert_eq!(describe(Duration::from_millis(1500)), "1500 milliseconds");
    }

    #[test]
    fn sweeps_run_every_tenth_of_the_retention_between_a_second_and_an_hour() {
        assert_eq!(sweep_period(DEFAULT_RETENTION), Duration::from_secs(3600));
        assert_eq!(sweep_period(Duration::from_secs(600)), Duration::from_secs(60));
        assert_eq!(sweep_period(Duration::from_secs(2)), Duration::from_secs(1));
    }

    /// Paused tokio time: the hour between sweeps passes at once, no idle wait.
    #[tokio::test(start_paused = true)]
    async fn old_records_go_at_once_and_then_every_period_while_new_ones_stay() {
        let store = Arc::new(MemoryActivationStore::default());
        let now = now_ms();
        for start in [now - 30 * DAY_MS, now - 8 * DAY_MS, now - 6 * DAY_MS, now] {
            store.store(record(start)).await.expect("store");
        }
        let sweeper = Sweeper::spawn(store.clone(), DEFAULT_RETENTION);
        let mut stats = sweeper.stats();
        let first = *stats.wait_for(|s| s.sweeps >= 1).await.expect("first sweep");
        assert_eq!(first, SweepStats { sweeps: 1, removed: 2, failures: 0 });
        assert_eq!(starts(&store).await, [now, now - 6 * DAY_MS]);

        // A record that is already old when stored goes at the next sweep, an hour later.
        store.store(record(now - 10 * DAY_MS)).await.expect("store");
        let before = tokio::time::Instant::now();
        let second = *stats.wait_for(|s| s.sweeps >= 2).await.expect("second sweep");
        assert_eq!(second.removed, 3);
        assert!(before.elapsed() >= Duration::from_secs(3600) - Duration::from_secs(1), "{:?}", before.elapsed());
        assert_eq!(starts(&store).await, [now, now - 6 * DAY_MS]);
        sweeper.stop();
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopped_sweeper_removes_nothing_more() {
        let store = Arc::new(MemoryActivationStore::default());
        let sweeper = Sweeper::spawn_with_period(store.clone(), Duration::from_secs(60), Duration::from_secs(1));
        let mut stats = sweeper.stats();
        stats.wait_for(|s| s.sweeps >= 1).await.expect("first sweep");
        drop(sweeper);
        store.store(record(1)).await.expect("store");
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(starts(&store).await, [1]);
        assert!(stats.has_changed().is_err(), "the sweeper is gone");
    }
}
