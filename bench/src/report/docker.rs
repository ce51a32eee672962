//! The Docker part of the report: the ratios against their targets, and where the time of a
//! cold, prewarmed or warm invoke goes according to the activation records.

use serde_json::{Value, json};

use super::{Path, Report, Summary, dash, group, p50, render, row, target, targets, times};

/// The activation records of one kind of Docker invoke, next to the latency the bench saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct Breakdown {
    /// What was invoked, e.g. `cold start (f)`.
    pub(crate) label: String,
    /// Latency of each blocking invoke as the bench measured it, ms.
    pub(crate) latency_ms: Vec<f64>,
    /// `waitTime`: from the controller's receipt to the start (after any container start), ms.
    pub(crate) wait_ms: Vec<f64>,
    /// `initTime` (0 when absent: a warm run): the `/init` call, ms.
    pub(crate) init_ms: Vec<f64>,
    /// `duration`: `/init` + `/run` + reading the logs up to the sentinels, ms.
    pub(crate) duration_ms: Vec<f64>,
}

impl Breakdown {
    /// An empty breakdown named `label`.
    pub(crate) fn new(label: &str) -> Self {
        Self { label: label.to_owned(), ..Self::default() }
    }

    /// Adds one invoke: the latency measured and its activation record.
    pub(crate) fn add(&mut self, latency_ms: f64, record: &Value) {
        let annotation = |key: &str| {
            record.get("annotations").and_then(Value::as_array).and_then(|a| {
                a.iter().find(|e| e.get("key").and_then(Value::as_str) == Some(key)).and_then(|e| e.get("value"))
            })
        };
        let ms = |v: Option<&Value>| v.and_then(Value::as_f64).unwrap_or(0.0);
        self.latency_ms.push(latency_ms);
        self.wait_ms.push(ms(annotation("waitTime")));
        self.init_ms.push(ms(annotation("initTime")));
        self.duration_ms.push(ms(record.get("duration")));
    }

    /// The medians: latency, wait, init, duration - init, latency - wait - duration.
    fn medians(&self) -> [Option<f64>; 5] {
        let run: Vec<f64> = self.duration_ms.iter().zip(&self.init_ms).map(|(d, i)| d - i).collect();
        let outside: Vec<f64> = self
            .latency_ms
            .iter()
            .zip(self.wait_ms.iter().zip(&self.duration_ms))
            .map(|(l, (w, d))| l - w - d)
            .collect();
        [median(&self.latency_ms), median(&self.wait_ms), median(&self.init_ms), median(&run), median(&outside)]
    }

    /// The raw figures for `--json`.
    pub(super) fn json(&self) -> Value {
        let [latency, wait, init, run, outside] = self.medians();
        json!({
            "label": self.label,
            "samples": self.latency_ms.len(),
            "median_ms": { "latency": latency, "wait": wait, "init": init, "run_and_logs": run, "outside_record": outside },
            "latency_ms": self.latency_ms,
            "wait_ms": self.wait_ms,
            "init_ms": self.init_ms,
            "duration_ms": self.duration_ms,
        })
    }
}

fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Milliseconds from µs: one decimal under 100 ms.
pub(super) fn ms(us: f64) -> String {
    let ms = us / 1000.0;
    if ms < 100.0 { format!("{ms:.1} ms") } else { format!("{} ms", group(ms)) }
}

impl Report {
    /// The Docker ratios and targets, and the breakdown of start times; `None` without Docker cells.
    pub(crate) fn docker_section(&self) -> Option<String> {
        let docker_paths = [
            Path::DockerCold,
            Path::DockerPrewarm,
            Path::DockerWarm,
            Path::DockerRun,
            Path::NativeWarm,
            Path::NativeRun,
        ];
        if !self.cells.iter().any(|c| docker_paths.contains(&c.path)) {
            return None;
        }
        let cold = self.find(Path::DockerCold, 1, 1);
        let run = self.find(Path::DockerRun, 1, 1);
        let prewarm = self.find(Path::DockerPrewarm, 1, 1);
        let warm = self.find(Path::DockerWarm, 1, 1);
        let native = self.find(Path::NativeWarm, 1, 1);
        let native_run = self.find(Path::NativeRun, 1, 1);
        let wasm = self.find(Path::Gust, 1, 1);
        let show = |s: Option<&Summary>| p50(s).map_or_else(dash, ms);
        let rate = |s: Option<&Summary>| s.map(|s| s.throughput);

        let cold_ratio = p50(cold).zip(p50(run)).map(|(c, r)| c / r);
        let mut out = targets(
            "Docker path, p50",
            vec![
                target(
                    "cold start / docker run --rm, Node.js (f/i)",
                    times(p50(cold), p50(run)),
                    "<= 1.2x",
                    cold_ratio.map(|r| r <= 1.2),
                ),
                target("prewarmed start, Node.js (g)", show(prewarm), "< 30 ms", p50(prewarm).map(|v| v < 30_000.0)),
                target("warm invoke, Node.js, concurrency 1 (h)", show(warm), "< 2 ms", p50(warm).map(|v| v < 2_000.0)),
            ],
        );

        let mut lines = vec![];
        if cold.is_some() || run.is_some() {
            lines.push(format!("cold start {} vs docker run --rm {} (p50)", show(cold), show(run)));
        }
        if native.is_some() || wasm.is_some() {
            lines.push(format!(
                "Rust SDK echo, warm at concurrency 1: Docker native / Wasm (j/b): p50 {} ({} vs {}), calls/s {} ({} vs {})",
                times(p50(native), p50(wasm)),
                show(native),
                show(wasm),
                times(rate(native), rate(wasm)),
                rate(native).map_or_else(dash, group),
                rate(wasm).map_or_else(dash, group),
            ));
        }
        if native_run.is_some() || native.is_some() {
            lines.push(format!(
                "Rust SDK echo per call: docker run --rm / Gust native warm: p50 {} ({} vs {})",
                times(p50(native_run), p50(native)),
                show(native_run),
                show(native),
            ));
        }
        if warm.is_some() && native.is_some() {
            lines.push(format!(
                "warm Node.js / warm native (h/j), concurrency 1: p50 {} (the runtime's share: launcher and interpreter)",
                times(p50(warm), p50(native)),
            ));
        }
        if !lines.is_empty() {
            out.push('\n');
            for l in lines {
                out += &l;
                out.push('\n');
            }
        }

        Some(out)
    }

    /// Where the time of invokes goes according to their activation records; `None` without any.
    pub(crate) fn breakdown_section(&self) -> Option<String> {
        if self.breakdowns.is_empty() {
            return None;
        }
        let mut rows = vec![row(&["invoke", "n", "latency", "waitTime", "initTime", "run+logs", "outside the record"])];
        let f = |v: Option<f64>| v.map_or_else(dash, |v| format!("{v:.1}"));
        for b in &self.breakdowns {
            let [latency, wait, init, run, outside] = b.medians();
            rows.push(vec![
                b.label.clone(),
                b.latency_ms.len().to_string(),
                f(latency),
                f(wait),
                f(init),
                f(run),
                f(outside),
            ]);
        }
        let mut out = render(&rows, &[false, true, true, true, true, true, true]);
        out += "waitTime: controller receipt to start (a cold container's create + start, and in (k)/(l) the trip \
                through Kafka, included); initTime: /init; run+logs: duration - initTime (the run, and for \
                containers the logs up to the sentinels); outside the record: latency - waitTime - duration \
                (HTTP, controller, bus, the answer).\n";
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_medians_come_from_the_records() {
        let mut b = Breakdown::new("cold");
        let rec = |wait: u64, init: Option<u64>, duration: u64| {
            let mut annotations = vec![json!({"key": "waitTime", "value": wait})];
            if let Some(i) = init {
                annotations.push(json!({"key": "initTime", "value": i}));
            }
            json!({"duration": duration, "annotations": annotations})
        };
        b.add(500.0, &rec(380, Some(100), 110));
        b.add(520.0, &rec(390, Some(120), 125));
        b.add(2.0, &rec(0, None, 1));
        assert_eq!(b.medians(), [Some(500.0), Some(380.0), Some(100.0), Some(5.0), Some(5.0)]);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, 3.0]), Some(2.0));
        assert_eq!(ms(1_500.0), "1.5 ms");
        assert_eq!(ms(512_000.0), "512 ms");
    }
}
