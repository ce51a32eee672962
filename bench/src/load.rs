//! The closed-loop load generator every scenario shares: N workers, each issuing calls back to
//! back; a warm-up whose calls are discarded, then a measured window. A call counts when it
//! completes inside the window, so throughput is completions / window length.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::stats::{Recorder, Summary};

/// A worker stops after this many failures in a row (the target is down, not slow).
const MAX_CONSECUTIVE_FAILURES: u32 = 100;

/// One worker's way of making a call: its own state (a connection, a module handle).
pub(crate) trait Caller: Send + 'static {
    /// One call; `Err` when it failed or returned the wrong answer.
    fn call(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// How long to warm up and to measure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// Calls completing before this are discarded.
    pub(crate) warmup: Duration,
    /// The measured window that follows.
    pub(crate) measure: Duration,
}

/// Runs one worker task per caller (concurrency = number of callers) and merges their figures.
pub(crate) async fn closed_loop<C: Caller>(callers: Vec<C>, window: Window) -> anyhow::Result<Summary> {
    let start = Instant::now();
    let t0 = start + window.warmup;
    let t1 = t0 + window.measure;
    let tasks: Vec<_> = callers.into_iter().map(|c| tokio::spawn(worker(c, t0, t1))).collect();
    let mut total = Recorder::new()?;
    let mut failure = None;
    for task in tasks {
        match task.await.context("a load worker panicked")? {
            Ok(rec) => total.merge(&rec)?,
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(total.summary(window.measure)),
    }
}

async fn worker<C: Caller>(mut caller: C, t0: Instant, t1: Instant) -> anyhow::Result<Recorder> {
    let mut rec = Recorder::new()?;
    let mut in_a_row = 0;
    loop {
        let begin = Instant::now();
        if begin >= t1 {
            return Ok(rec);
        }
        let outcome = caller.call().await;
        let end = Instant::now();
        match outcome {
            Ok(()) => {
                in_a_row = 0;
                if end >= t0 && end <= t1 {
                    rec.record(end - begin);
                }
            }
            Err(e) => {
                rec.error(&e);
                in_a_row += 1;
                if in_a_row >= MAX_CONSECUTIVE_FAILURES {
                    return Err(e.context(format!("giving up after {in_a_row} failed calls in a row")));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sleepy(Duration);

    impl Caller for Sleepy {
        async fn call(&mut self) -> anyhow::Result<()> {
            tokio::time::sleep(self.0).await;
            Ok(())
        }
    }

    struct Broken;

    impl Caller for Broken {
        async fn call(&mut self) -> anyhow::Result<()> {
            anyhow::bail!("down")
        }
    }

    #[tokio::test]
    async fn counts_completions_in_the_window() {
        let w = Window { warmup: Duration::from_millis(50), measure: Duration::from_millis(200) };
        let s =
            closed_loop(vec![Sleepy(Duration::from_millis(10)), Sleepy(Duration::from_millis(10))], w).await.unwrap();
        // Two workers at ~10 ms a call over 200 ms: about 40 calls (timer slack makes it fewer).
        assert!(s.calls > 10 && s.calls <= 42, "{s:?}");
        assert!(s.p50_us.unwrap() >= 10_000, "{s:?}");
        assert_eq!(s.errors, 0);
    }

    #[tokio::test]
    async fn a_dead_target_fails_the_cell() {
        let w = Window { warmup: Duration::ZERO, measure: Duration::from_secs(5) };
        let e = closed_loop(vec![Broken], w).await.unwrap_err();
        assert!(format!("{e:#}").contains("in a row"), "{e:#}");
    }
}
