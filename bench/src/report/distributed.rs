//! The distributed part of the report: (k) and (l) next to the standalone rows of the same
//! run, and the targets of the distributed deployment.

use super::docker::ms;
use super::{Path, Report, Summary, dash, group, p50, render, row, target, targets, times};

/// Target: Wasm p50 through Kafka at concurrency 1, µs.
const WASM_P50_TARGET_US: f64 = 5_000.0;
/// Target: activations per second with records in CouchDB.
const RATE_TARGET: f64 = 2_000.0;

impl Report {
    /// Distributed against standalone per concurrency, and the targets; `None` without (k) or (l).
    pub(crate) fn distributed_section(&self) -> Option<String> {
        let concurrencies = |path: Path| {
            let mut v: Vec<usize> = self.cells.iter().filter(|c| c.path == path).map(|c| c.concurrency).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let wasm = concurrencies(Path::DistWasm);
        let docker = concurrencies(Path::DistDocker);
        if wasm.is_empty() && docker.is_empty() {
            return None;
        }
        let mut rows = vec![row(&[
            "action",
            "conc",
            "p50 standalone",
            "p50 distributed",
            "p50 x",
            "calls/s standalone",
            "calls/s distributed",
            "calls/s x",
        ])];
        let rate = |s: Option<&Summary>| s.map(|s| s.throughput);
        let mut add = |what: &str, n: usize, alone: Option<&Summary>, dist: Option<&Summary>| {
            rows.push(vec![
                what.to_owned(),
                n.to_string(),
                p50(alone).map_or_else(dash, ms),
                p50(dist).map_or_else(dash, ms),
                times(p50(dist), p50(alone)),
                rate(alone).map_or_else(dash, group),
                rate(dist).map_or_else(dash, group),
                times(rate(dist), rate(alone)),
            ]);
        };
        for &n in &wasm {
            add("Wasm echo (k vs b)", n, self.find(Path::Gust, n, 1), self.find(Path::DistWasm, n, 1));
        }
        for &n in &docker {
            add("warm Node.js (l vs h)", n, self.find(Path::DockerWarm, n, 1), self.find(Path::DistDocker, n, 1));
        }
        let mut out = render(&rows, &[false, true, true, true, true, true, true, true]);

        let one = self.find(Path::DistWasm, 1, 1);
        let best = self
            .cells
            .iter()
            .filter(|c| c.path == Path::DistWasm || c.path == Path::DistDocker)
            .max_by(|a, b| a.summary.throughput.total_cmp(&b.summary.throughput));
        let rate_label = match best {
            Some(c) => format!("activations/s, records in CouchDB ({} at {})", c.label, c.concurrency),
            None => "activations/s, records in CouchDB".into(),
        };
        out.push('\n');
        out += &targets(
            "distributed target",
            vec![
                target(
                    "Wasm p50 through Kafka, concurrency 1 (k)",
                    p50(one).map_or_else(dash, ms),
                    "< 5 ms",
                    p50(one).map(|v| v < WASM_P50_TARGET_US),
                ),
                target(
                    rate_label,
                    best.map_or_else(dash, |c| group(c.summary.throughput)),
                    ">= 2,000/s",
                    best.map(|c| c.summary.throughput >= RATE_TARGET),
                ),
            ],
        );
        Some(out)
    }
}
