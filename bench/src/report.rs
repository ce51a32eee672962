//! The printed report (machine header, aligned tables, ratios) and its `--json` form.

use serde_json::{Value, json};

use crate::cpu::CpuProbe;
use crate::stats::Summary;

mod distributed;
mod docker;
mod sequences;
mod standalone;

pub(crate) use docker::Breakdown;

/// Where the figures were taken.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    /// Logical CPUs available to this process.
    pub(crate) cpus: usize,
    /// `model name` from /proc/cpuinfo.
    pub(crate) cpu_model: Option<String>,
    /// /proc/version up to the compiler details.
    pub(crate) kernel: Option<String>,
    /// `MemTotal` from /proc/meminfo.
    pub(crate) memory: Option<String>,
    /// How this binary was built.
    pub(crate) profile: &'static str,
    /// Whether the engine got the pooling allocator.
    pub(crate) pooling: bool,
    /// Path of the server binary.
    pub(crate) gust: String,
    /// Path and size of the module.
    pub(crate) module: String,
    /// Size of the module, bytes.
    pub(crate) module_bytes: usize,
    /// `wasmtime --version`, when found.
    pub(crate) wasmtime: Option<String>,
    /// /proc/loadavg before the run.
    pub(crate) loadavg: Option<String>,
    /// How idle CPUs wait (the cpuidle driver, and the guest halt-polling window in a VM).
    pub(crate) idle: Option<String>,
}

impl Machine {
    /// What /proc tells about this machine; the caller fills in the rest.
    pub(crate) fn probe() -> Self {
        let cpus = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        let kernel =
            std::fs::read_to_string("/proc/version").ok().map(|v| v.split(" (").next().unwrap_or(&v).trim().to_owned());
        let field = |file: &str, key: &str| {
            std::fs::read_to_string(file).ok().and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with(key))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            })
        };
        Self {
            cpus,
            cpu_model: field("/proc/cpuinfo", "model name"),
            kernel,
            memory: field("/proc/meminfo", "MemTotal").map(|m| {
                let kib = m.trim_end_matches(" kB").parse::<f64>();
                kib.map_or(m, |k| format!("{:.1} GiB", k / f64::from(1 << 20)))
            }),
            profile: if cfg!(debug_assertions) {
                "debug (NOT representative: build with --release)"
            } else {
                "release"
            },
            pooling: false,
            gust: String::new(),
            module: String::new(),
            module_bytes: 0,
            wasmtime: None,
            loadavg: loadavg(),
            idle: idle(),
        }
    }

    /// The lines printed above the tables.
    pub(crate) fn header(&self) -> String {
        let unknown = || String::from("unknown");
        let mut s = String::from("Gust bench: echo action, params {\"hello\":\"world\"}\n");
        s += &format!(
            "machine:   {} CPUs ({}), {}\n",
            self.cpus,
            self.cpu_model.clone().unwrap_or_else(unknown),
            self.memory.clone().unwrap_or_else(unknown)
        );
        s += &format!("kernel:    {}\n", self.kernel.clone().unwrap_or_else(unknown));
        s += &format!("bench:     {} build\n", self.profile);
        s += &format!(
            "engine:    pooling allocator {}, 256 instance slots (WasmSettings::new, as the invoker)\n",
            if self.pooling { "ON" } else { "OFF (on-demand fallback)" }
        );
        s += &format!("gust:      {}\n", self.gust);
        s += &format!("module:    {} ({} bytes)\n", self.module, self.module_bytes);
        s += &format!("wasmtime:  {}\n", self.wasmtime.clone().unwrap_or_else(|| "not found".into()));
        s += &format!("idle:      {}\n", self.idle.clone().unwrap_or_else(unknown));
        s += &format!(
            "loadavg:   {} before the run (1, 5, 15 min; other busy processes skew every figure)\n",
            self.loadavg.clone().unwrap_or_else(unknown)
        );
        s
    }

    fn json(&self) -> Value {
        json!({
            "cpus": self.cpus,
            "cpu_model": self.cpu_model,
            "kernel": self.kernel,
            "memory": self.memory,
            "profile": self.profile,
            "pooling": self.pooling,
            "gust": self.gust,
            "module": self.module,
            "module_bytes": self.module_bytes,
            "wasmtime": self.wasmtime,
            "loadavg_before": self.loadavg,
            "idle": self.idle,
        })
    }
}

/// The cpuidle driver and, under the haltpoll driver of a VM guest, its polling window. With
/// no polling an idle vCPU halts at once, so every wake-up of a thread on another CPU costs a
/// VM exit, a large part of a concurrency-1 round trip on such a machine.
fn idle() -> Option<String> {
    let read = |p: &str| std::fs::read_to_string(p).ok().map(|s| s.trim().to_owned());
    let driver = read("/sys/devices/system/cpu/cpuidle/current_driver")?;
    let mut line = format!("cpuidle driver {driver}");
    if let Some(ns) = read("/sys/module/haltpoll/parameters/guest_halt_poll_ns") {
        line += &format!(", guest_halt_poll_ns {ns}");
        if ns == "0" {
            line += " (idle vCPUs halt at once: each cross-CPU wake-up pays a VM exit)";
        }
    }
    Some(line)
}

/// The 1, 5 and 15 minute load averages.
pub(crate) fn loadavg() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// Which path a cell measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// (a) in-process instantiate + run.
    Floor,
    /// (b) Gust over HTTP, one action.
    Gust,
    /// (c) `wasmtime run` per call.
    WasmtimeRun,
    /// (d) Gust over HTTP, requests spread over many actions.
    GustMany,
    /// (d) the floor, calls spread over many loaded modules.
    FloorMany,
    /// (e) `GET /ping` on the server of (b): the HTTP floor.
    Ping,
    /// (f) the first invoke of a new Node.js action, no stem cells: a container per sample.
    DockerCold,
    /// (g) the first invoke of a new Node.js action, taking a stem cell.
    DockerPrewarm,
    /// (h) a warm Node.js action.
    DockerWarm,
    /// (i) `docker run --rm` of the Node.js image per call.
    DockerRun,
    /// (j) the SDK's echo built natively, a warm `native` action.
    NativeWarm,
    /// (j) the same binary by `docker run --rm` per call.
    NativeRun,
    /// (k) the Wasm echo through a controller and an invoker on Kafka, CouchDB and Consul.
    DistWasm,
    /// (l) the warm Node.js echo, distributed the same way.
    DistDocker,
    /// (m) a single echo invoke on the fused-sequences server: the sequences' baseline.
    SeqSingle,
    /// (m) a sequence of `components` echo actions, fused onto one invoker.
    SeqFused {
        /// Echo components in the sequence.
        components: usize,
    },
    /// (m) the same sequence driven by the controller (`--fused-sequences false`).
    SeqDriven {
        /// Echo components in the sequence.
        components: usize,
    },
}

impl Path {
    fn key(self) -> &'static str {
        match self {
            Path::Floor => "a",
            Path::Gust => "b",
            Path::WasmtimeRun => "c",
            Path::GustMany => "d",
            Path::FloorMany => "d-floor",
            Path::Ping => "e",
            Path::DockerCold => "f",
            Path::DockerPrewarm => "g",
            Path::DockerWarm => "h",
            Path::DockerRun => "i",
            Path::NativeWarm => "j",
            Path::NativeRun => "j-run",
            Path::DistWasm => "k",
            Path::DistDocker => "l",
            Path::SeqSingle => "m-single",
            Path::SeqFused { .. } => "m-fused",
            Path::SeqDriven { .. } => "m-driven",
        }
    }

    /// Actions one call runs: a sequence's components, 1 for anything else.
    pub(crate) fn components(self) -> usize {
        match self {
            Path::SeqFused { components } | Path::SeqDriven { components } => components,
            _ => 1,
        }
    }

    /// Whether calls/s means something: not for one-off starts with waits between them.
    fn has_rate(self) -> bool {
        !matches!(self, Path::DockerCold | Path::DockerPrewarm)
    }
}

/// One measured configuration.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    /// What was measured.
    pub(crate) path: Path,
    /// The row's label.
    pub(crate) label: String,
    /// Distinct actions the requests were spread over (1 except for (d)).
    pub(crate) actions: usize,
    /// Calls in flight.
    pub(crate) concurrency: usize,
    /// The figures.
    pub(crate) summary: Summary,
    /// Share of the machine's CPU other processes used meanwhile (0-1).
    pub(crate) other_cpu: Option<f64>,
}

/// Everything one run produced.
#[derive(Debug)]
pub(crate) struct Report {
    /// CPUs of the machine, for the other-processes share.
    pub(crate) cpus: usize,
    /// Counts the processes of the current scenario (this one, plus the server) as ours.
    pub(crate) probe: CpuProbe,
    /// Measured cells, in run order.
    pub(crate) cells: Vec<Cell>,
    /// Skipped scenarios, failures, and facts worth a line.
    pub(crate) notes: Vec<String>,
    /// Where the time of Docker invokes goes, from their activation records.
    pub(crate) breakdowns: Vec<Breakdown>,
}

impl Report {
    /// An empty report for a machine with `cpus` CPUs.
    pub(crate) fn new(cpus: usize) -> Self {
        Self { cpus, probe: CpuProbe::default(), cells: Vec::new(), notes: Vec::new(), breakdowns: Vec::new() }
    }

    /// Cells where other processes used more than `threshold` of the machine.
    pub(crate) fn disturbed(&self, threshold: f64) -> Vec<&Cell> {
        self.cells.iter().filter(|c| c.other_cpu.is_some_and(|o| o > threshold)).collect()
    }

    fn find(&self, path: Path, concurrency: usize, actions: usize) -> Option<&Summary> {
        self.cells
            .iter()
            .rev()
            .find(|c| c.path == path && c.concurrency == concurrency && c.actions == actions)
            .map(|c| &c.summary)
    }

    /// The main table: one row per cell.
    pub(crate) fn table(&self) -> String {
        let mut rows = vec![row(&["scenario", "conc", "calls", "errors", "p50 µs", "p99 µs", "calls/s", "other CPU"])];
        for c in &self.cells {
            let s = &c.summary;
            rows.push(vec![
                c.label.clone(),
                c.concurrency.to_string(),
                group(s.calls as f64),
                s.errors.to_string(),
                s.p50_us.map_or_else(dash, |v| group(v as f64)),
                s.p99_us.map_or_else(dash, |v| group(v as f64)),
                if c.path.has_rate() { group(s.throughput) } else { dash() },
                c.other_cpu.map_or_else(dash, |o| format!("{:.0}%", o * 100.0)),
            ]);
        }
        render(&rows, &[false, true, true, true, true, true, true, true])
    }

    /// Ratios between the paths at each concurrency, and many actions against one; `None`
    /// without any cell of (a)-(e).
    pub(crate) fn ratios(&self, concurrencies: &[usize], many: usize) -> Option<String> {
        let wasm_path = [Path::Floor, Path::Gust, Path::WasmtimeRun, Path::GustMany, Path::FloorMany, Path::Ping];
        if !self.cells.iter().any(|c| wasm_path.contains(&c.path)) {
            return None;
        }
        let mut rows = vec![row(&[
            "conc",
            "p50 gust/floor (b/a)",
            "p50 gust/ping (b/e)",
            "p50 wasmtime-run/gust (c/b)",
            "calls/s floor/gust (a/b)",
            "calls/s ping/gust (e/b)",
            "calls/s gust/wasmtime-run (b/c)",
        ])];
        for &n in concurrencies {
            let (a, b, c) =
                (self.find(Path::Floor, n, 1), self.find(Path::Gust, n, 1), self.find(Path::WasmtimeRun, n, 1));
            let e = self.find(Path::Ping, n, 1);
            let rate = |s: Option<&Summary>| s.map(|s| s.throughput);
            rows.push(vec![
                n.to_string(),
                times(p50(b), p50(a)),
                times(p50(b), p50(e)),
                times(p50(c), p50(b)),
                times(rate(a), rate(b)),
                times(rate(e), rate(b)),
                times(rate(b), rate(c)),
            ]);
        }
        let mut out = render(&rows, &[true; 7]);
        let one = self.cells.iter().rev().find(|c| c.path == Path::GustMany && c.actions == 1);
        let spread = self.cells.iter().rev().find(|c| c.path == Path::GustMany && c.actions == many);
        if let (Some(one), Some(spread)) = (one, spread) {
            out += &format!(
                "\n{many} actions vs 1 action at concurrency {}: throughput {} ({} vs {} calls/s), p50 {} ({} vs {} µs)\n",
                spread.concurrency,
                times(Some(spread.summary.throughput), Some(one.summary.throughput)),
                group(spread.summary.throughput),
                group(one.summary.throughput),
                times(p50(Some(&spread.summary)), p50(Some(&one.summary))),
                spread.summary.p50_us.map_or_else(dash, |v| group(v as f64)),
                one.summary.p50_us.map_or_else(dash, |v| group(v as f64)),
            );
        }
        let floor_many = self.cells.iter().rev().find(|c| c.path == Path::FloorMany && c.actions == many);
        let floor_one = floor_many.and_then(|m| {
            self.cells.iter().rev().find(|c| c.path == Path::Floor && c.concurrency == m.concurrency && c.actions == 1)
        });
        if let (Some(one), Some(spread)) = (floor_one, floor_many) {
            out += &format!(
                "in-process floor, {many} modules vs 1 at concurrency {}: throughput {} ({} vs {} calls/s)\n",
                spread.concurrency,
                times(Some(spread.summary.throughput), Some(one.summary.throughput)),
                group(spread.summary.throughput),
                group(one.summary.throughput),
            );
        }
        Some(out)
    }

    /// The raw figures for `--json`.
    pub(crate) fn json(&self, machine: &Machine, settings: Value) -> Value {
        let cells: Vec<Value> = self
            .cells
            .iter()
            .map(|c| {
                let s = &c.summary;
                json!({
                    "scenario": c.path.key(),
                    "label": c.label,
                    "actions": c.actions,
                    "components": c.path.components(),
                    "concurrency": c.concurrency,
                    "calls": s.calls,
                    "errors": s.errors,
                    "seconds": s.seconds,
                    "throughput": s.throughput,
                    "p50_us": s.p50_us,
                    "p90_us": s.p90_us,
                    "p99_us": s.p99_us,
                    "max_us": s.max_us,
                    "mean_us": s.mean_us,
                    "first_error": s.first_error,
                    "other_cpu": c.other_cpu,
                })
            })
            .collect();
        let breakdowns: Vec<Value> = self.breakdowns.iter().map(Breakdown::json).collect();
        json!({
            "machine": machine.json(),
            "settings": settings,
            "cells": cells,
            "docker_breakdowns": breakdowns,
            "notes": self.notes,
        })
    }
}

fn p50(s: Option<&Summary>) -> Option<f64> {
    s.and_then(|s| s.p50_us).map(|v| v as f64)
}

/// `x / y` as a factor, or a dash when either is missing.
fn times(x: Option<f64>, y: Option<f64>) -> String {
    match (x, y) {
        (Some(x), Some(y)) if y > 0.0 && x > 0.0 => {
            let r = x / y;
            if r >= 100.0 {
                format!("{r:.0}x")
            } else if r >= 10.0 {
                format!("{r:.1}x")
            } else {
                format!("{r:.2}x")
            }
        }
        _ => dash(),
    }
}

fn dash() -> String {
    String::from("-")
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_owned()).collect()
}

/// One row of a targets table: what was judged, the measured value, the target, and the verdict.
fn target(what: impl Into<String>, value: String, goal: &str, met: Option<bool>) -> Vec<String> {
    let verdict = match met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "-",
    };
    vec![what.into(), value, goal.to_owned(), verdict.to_owned()]
}

/// A targets table titled `title` (the rows from [`target`]).
fn targets(title: &str, rows: Vec<Vec<String>>) -> String {
    let mut all = vec![row(&[title, "value", "target", ""])];
    all.extend(rows);
    render(&all, &[false, true, true, false])
}

/// A number rounded to an integer, with thousands separated by commas.
pub(crate) fn group(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Aligned columns, two spaces apart, a rule under the header row.
fn render(rows: &[Vec<String>], right: &[bool]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (n, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let w = widths[i];
                if right.get(i).copied().unwrap_or(false) { format!("{s:>w$}") } else { format!("{s:<w$}") }
            })
            .collect();
        out += line.join("  ").trim_end();
        out.push('\n');
        if n == 0 {
            out += &"-".repeat(widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1));
            out.push('\n');
        }
    }
    out
}

/// A one-call cell whose every latency is `p50_us`, for the report sections' tests.
#[cfg(test)]
pub(crate) fn test_cell(path: Path, concurrency: usize, p50_us: u64, throughput: f64) -> Cell {
    let summary = Summary {
        calls: 1,
        errors: 0,
        seconds: 1.0,
        p50_us: Some(p50_us),
        p90_us: Some(p50_us),
        p99_us: Some(p50_us),
        max_us: Some(p50_us),
        mean_us: Some(p50_us as f64),
        throughput,
        first_error: None,
    };
    Cell { path, label: String::new(), actions: 1, concurrency, summary, other_cpu: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_factors() {
        assert_eq!(group(0.0), "0");
        assert_eq!(group(999.4), "999");
        assert_eq!(group(1234.0), "1,234");
        assert_eq!(group(1_234_567.0), "1,234,567");
        assert_eq!(times(Some(300.0), Some(2.0)), "150x");
        assert_eq!(times(Some(30.0), Some(2.0)), "15.0x");
        assert_eq!(times(Some(3.0), Some(2.0)), "1.50x");
        assert_eq!(times(None, Some(2.0)), "-");
    }

    #[test]
    fn no_ratios_table_without_the_wasm_path_rows() {
        let mut r = Report::new(2);
        let summary = Summary {
            calls: 1,
            errors: 0,
            seconds: 1.0,
            p50_us: Some(100),
            p90_us: Some(100),
            p99_us: Some(100),
            max_us: Some(100),
            mean_us: Some(100.0),
            throughput: 1_000.0,
            first_error: None,
        };
        let cell = |path| Cell {
            path,
            label: String::new(),
            actions: 1,
            concurrency: 1,
            summary: summary.clone(),
            other_cpu: None,
        };
        r.cells.push(cell(Path::SeqSingle));
        assert!(r.ratios(&[1], 100).is_none());
        r.cells.push(cell(Path::Gust));
        let text = r.ratios(&[1], 100).unwrap();
        assert!(text.lines().nth(2).is_some_and(|l| l.trim_start().starts_with('1')), "{text}");
    }

    #[test]
    fn columns_line_up() {
        let t = render(&[row(&["name", "n"]), row(&["long name", "12345"])], &[false, true]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "name           n");
        assert_eq!(lines[2], "long name  12345");
        assert_eq!(lines[1].len(), lines[2].len());
    }
}
