//! Running one cell: the figures, the share of the machine other processes took meanwhile, and
//! the line it files in the report (or the reason it failed).

use std::future::Future;

use crate::cpu;
use crate::load::{Caller, Window, closed_loop};
use crate::report::{self, Cell, Path, Report};
use crate::stats::Summary;

/// Runs one closed-loop cell (concurrency = number of callers) and files its figures.
pub(crate) async fn measure<C: Caller>(
    report: &mut Report,
    path: Path,
    label: &str,
    actions: usize,
    callers: Vec<C>,
    window: Window,
) -> Option<Summary> {
    let concurrency = callers.len();
    measure_with(report, path, label, actions, concurrency, closed_loop(callers, window)).await
}

/// Runs `cell` (anything that yields the figures of one cell) and files them.
pub(crate) async fn measure_with(
    report: &mut Report,
    path: Path,
    label: &str,
    actions: usize,
    concurrency: usize,
    cell: impl Future<Output = anyhow::Result<Summary>>,
) -> Option<Summary> {
    eprintln!("[bench] {label}, concurrency {concurrency}: running");
    let before = report.probe.snapshot();
    let outcome = cell.await;
    let after = report.probe.snapshot();
    let other_cpu = before.zip(after).and_then(|(a, b)| cpu::others_share(a, b, report.cpus));
    match outcome {
        Ok(summary) => {
            eprintln!(
                "[bench] {label}, concurrency {concurrency}: {} calls/s, p50 {} µs, p99 {} µs, {} errors",
                report::group(summary.throughput),
                summary.p50_us.map_or_else(|| "-".into(), |v| report::group(v as f64)),
                summary.p99_us.map_or_else(|| "-".into(), |v| report::group(v as f64)),
                summary.errors
            );
            if let Some(e) = &summary.first_error {
                report.notes.push(format!("{label}, concurrency {concurrency}: first error: {e}"));
            }
            report.cells.push(Cell {
                path,
                label: label.to_owned(),
                actions,
                concurrency,
                summary: summary.clone(),
                other_cpu,
            });
            Some(summary)
        }
        Err(e) => {
            eprintln!("[bench] {label}, concurrency {concurrency}: failed: {e:#}");
            report.notes.push(format!("{label}, concurrency {concurrency}: failed: {e:#}"));
            None
        }
    }
}
