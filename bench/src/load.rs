//! The closed-loop load generator every scenario shares: N workers, each issuing calls back to
//! back; a warm-up whose calls are discarded, then a measured window. A call counts when it
//! completes inside the window, so throughput is completions / window length.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::stats::{Recorder, Summary};

/// A worker stops after this many failures in a row (the target is down, not slow).
const MAX_CONSECUTIVE_FAILURES: u32 = 100;

/// The same for [`sequential`], whose calls take up to seconds each.
const MAX_SEQUENTIAL_FAILURES: u32 = 3;

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

/// [`closed_loop`] on a multi-thread runtime of its own with `threads` workers, for callers that
/// do their work inside this process (the floor): the bench's main runtime has one thread, as
/// a load generator should, and would run them one at a time.
pub(crate) async fn closed_loop_parallel<C: Caller>(
    callers: Vec<C>,
    window: Window,
    threads: usize,
) -> anyhow::Result<Summary> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name("bench-floor")
        .enable_all()
        .build()
        .context("cannot start the floor's runtime")?;
    let outcome = rt.spawn(closed_loop(callers, window)).await;
    rt.shutdown_background();
    outcome.context("the floor's load panicked")?
}

/// Calls one after the other until `samples` succeeded, after `warmup` discarded calls: for
/// paths where each call takes long (a container per call), counted in calls, not seconds.
/// Throughput is the measured calls over the wall time they took.
pub(crate) async fn sequential<C: Caller>(mut caller: C, warmup: usize, samples: usize) -> anyhow::Result<Summary> {
    let mut rec = Recorder::new()?;
    let mut in_a_row = 0;
    let (mut done, mut measured) = (0, Duration::ZERO);
    while done < warmup + samples {
        let begin = Instant::now();
        match caller.call().await {
            Ok(()) => {
                in_a_row = 0;
                if done >= warmup {
                    let took = begin.elapsed();
                    rec.record(took);
                    measured += took;
                }
                done += 1;
            }
            Err(e) => {
                rec.error(&e);
                in_a_row += 1;
                if in_a_row >= MAX_SEQUENTIAL_FAILURES {
                    return Err(e.context(format!("giving up after {in_a_row} failed calls in a row")));
                }
            }
        }
    }
    Ok(rec.summary(measured))
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
    async fn sequential_counts_samples_after_the_warmup() {
        let s = sequential(Sleepy(Duration::from_millis(5)), 2, 4).await.unwrap();
        assert_eq!(s.calls, 4);
        assert!(s.p50_us.unwrap() >= 5_000, "{s:?}");
        // 4 calls of >= 5 ms: at most 200 calls/s.
        assert!(s.throughput > 0.0 && s.throughput <= 200.0, "{s:?}");
        let e = sequential(Broken, 0, 1).await.unwrap_err();
        assert!(format!("{e:#}").contains("in a row"), "{e:#}");
    }

    #[tokio::test]
    async fn the_parallel_loop_runs_callers_at_once() {
        let w = Window { warmup: Duration::ZERO, measure: Duration::from_millis(200) };
        let callers = (0..4).map(|_| Sleepy(Duration::from_millis(10))).collect();
        let s = closed_loop_parallel(callers, w, 2).await.unwrap();
        // Four sleepers side by side: about 80 calls, far more than one at a time would make.
        assert!(s.calls > 40 && s.calls <= 82, "{s:?}");
    }

    #[tokio::test]
    async fn a_dead_target_fails_the_cell() {
        let w = Window { warmup: Duration::ZERO, measure: Duration::from_secs(5) };
        let e = closed_loop(vec![Broken], w).await.unwrap_err();
        assert!(format!("{e:#}").contains("in a row"), "{e:#}");
    }
}
