//! Latency histograms (µs) and the figures a cell reports: p50, p99, throughput.

use std::time::Duration;

use anyhow::Context as _;
use hdrhistogram::Histogram;

/// The slowest latency a histogram holds: one minute, in µs.
const MAX_US: u64 = 60_000_000;

/// What one worker (or a whole cell, once merged) saw.
#[derive(Debug)]
pub(crate) struct Recorder {
    hist: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl Recorder {
    /// An empty recorder: 1 µs to 60 s at 3 significant digits.
    pub(crate) fn new() -> anyhow::Result<Self> {
        let hist = Histogram::new_with_bounds(1, MAX_US, 3).context("cannot create a latency histogram")?;
        Ok(Self { hist, errors: 0, first_error: None })
    }

    /// One successful call that took `d`.
    pub(crate) fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(MAX_US).clamp(1, MAX_US);
        self.hist.saturating_record(us);
    }

    /// One failed call.
    pub(crate) fn error(&mut self, e: &anyhow::Error) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("{e:#}"));
        }
    }

    /// Adds another worker's figures to these.
    pub(crate) fn merge(&mut self, other: &Recorder) -> anyhow::Result<()> {
        self.hist.add(&other.hist).context("cannot merge latency histograms")?;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
        Ok(())
    }

    /// The figures, for calls completed in a measured window of `window`.
    pub(crate) fn summary(&self, window: Duration) -> Summary {
        let calls = self.hist.len();
        let seconds = window.as_secs_f64();
        let q = |p: f64| if calls == 0 { None } else { Some(self.hist.value_at_quantile(p)) };
        Summary {
            calls,
            errors: self.errors,
            seconds,
            p50_us: q(0.50),
            p90_us: q(0.90),
            p99_us: q(0.99),
            max_us: q(1.0),
            mean_us: if calls == 0 { None } else { Some(self.hist.mean()) },
            throughput: if seconds > 0.0 { calls as f64 / seconds } else { 0.0 },
            first_error: self.first_error.clone(),
        }
    }
}

/// The figures of one cell.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    /// Calls completed successfully inside the measured window.
    pub(crate) calls: u64,
    /// Failed calls, warm-up included.
    pub(crate) errors: u64,
    /// Length of the measured window, s.
    pub(crate) seconds: f64,
    /// Median latency, µs.
    pub(crate) p50_us: Option<u64>,
    /// 90th percentile, µs.
    pub(crate) p90_us: Option<u64>,
    /// 99th percentile, µs.
    pub(crate) p99_us: Option<u64>,
    /// Slowest call, µs.
    pub(crate) max_us: Option<u64>,
    /// Mean latency, µs.
    pub(crate) mean_us: Option<f64>,
    /// Completed calls per second of measured wall time.
    pub(crate) throughput: f64,
    /// The first failure, for the report.
    pub(crate) first_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_throughput() {
        let mut a = Recorder::new().unwrap();
        let mut b = Recorder::new().unwrap();
        for us in 1..=100 {
            a.record(Duration::from_micros(us));
        }
        b.error(&anyhow::anyhow!("boom"));
        a.merge(&b).unwrap();
        let s = a.summary(Duration::from_secs(2));
        assert_eq!(s.calls, 100);
        assert_eq!(s.errors, 1);
        assert_eq!(s.p50_us, Some(50));
        assert_eq!(s.p99_us, Some(99));
        assert!((s.throughput - 50.0).abs() < 1e-9);
        assert_eq!(s.first_error.as_deref(), Some("boom"));
        assert_eq!(Recorder::new().unwrap().summary(Duration::from_secs(1)).p50_us, None);
    }
}
