//! (m) Sequences on `gust standalone`: blocking invokes of a sequence of echo components, fused
//! (every component Wasm: the whole sequence runs on one invoker in one go) and driven (the
//! same sequences on a second server started with `--fused-sequences false`: every component
//! goes through the controller and the bus), next to a single echo invoke measured on the
//! fused server in the same run.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::cpu::CpuProbe;
use crate::gust::{GustCaller, Server};
use crate::load::{Caller as _, Window};
use crate::measure::measure;
use crate::report::{Path as Scenario, Report};

/// The sequence lengths measured: echo components per sequence.
pub(crate) const LENGTHS: [usize; 2] = [3, 10];

/// The component every sequence repeats.
const ECHO: &str = "echo";

/// How the server runs sequences whose components are all Wasm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The default: one message to one invoker per sequence.
    Fused,
    /// `--fused-sequences false`: each component published and awaited by the controller.
    Driven,
}

impl Shape {
    fn flag(self) -> &'static str {
        match self {
            Shape::Fused => "true",
            Shape::Driven => "false",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Shape::Fused => "fused",
            Shape::Driven => "driven",
        }
    }

    fn path(self, components: usize) -> Scenario {
        match self {
            Shape::Fused => Scenario::SeqFused { components },
            Shape::Driven => Scenario::SeqDriven { components },
        }
    }
}

/// (m): the fused server (single echo and the sequences), then the driven one. A server that
/// fails is noted and the other still runs.
pub(crate) async fn scenarios(report: &mut Report, bin: &Path, wasm: &[u8], concurrencies: &[usize], window: Window) {
    for shape in [Shape::Fused, Shape::Driven] {
        if let Err(e) = on_server(report, bin, wasm, concurrencies, window, shape).await {
            eprintln!("[m] {e:#}");
            report.notes.push(format!("(m) sequences, {} server: {e:#}", shape.name()));
        }
    }
}

/// One `gust standalone --docker off --fused-sequences <shape>`, stopped (and its data removed)
/// at the end.
async fn on_server(
    report: &mut Report,
    bin: &Path,
    wasm: &[u8],
    concurrencies: &[usize],
    window: Window,
    shape: Shape,
) -> anyhow::Result<()> {
    eprintln!("[m] starting {} standalone --fused-sequences {}", bin.display(), shape.flag());
    let flags: Vec<String> =
        ["--docker", "off", "--fused-sequences", shape.flag()].iter().map(|s| (*s).to_owned()).collect();
    let server = Server::start(bin, &flags).await?;
    report.probe = CpuProbe::with_pids(server.pids());
    let mut expected = 0;
    let result = drive(report, &server, wasm, concurrencies, window, shape, &mut expected).await;
    report.probe = CpuProbe::default();
    if result.is_err() {
        eprintln!("[m] server log (last lines):\n{}", server.log_tail());
    }
    eprintln!("[m] stopping the {} server", shape.name());
    let persisted = server.stop().await?;
    let verdict = match persisted.records {
        Some(n) if n == expected => String::from("as many as those invokes store"),
        Some(n) => format!("MISMATCH: those invokes store {expected}, {n} found"),
        None => String::from("count unknown"),
    };
    report.notes.push(format!(
        "(m) the {} server persisted {} activation records for {} successful blocking invokes, warm-up \
         included (a sequence of n components stores n + 1 records): {verdict}; its SQLite files ended at \
         {:.1} MiB.",
        shape.name(),
        persisted.records.map_or_else(|| "an unknown number of".into(), |n| n.to_string()),
        persisted.invokes,
        persisted.db_bytes as f64 / (1 << 20) as f64
    ));
    result
}

/// Deploys echo and the sequences, checks one invoke of each, then measures per concurrency:
/// the single echo (fused server only) and each sequence, back to back. Adds to `records` the
/// activation records the successful invokes store.
async fn drive(
    report: &mut Report,
    server: &Server,
    wasm: &[u8],
    concurrencies: &[usize],
    window: Window,
    shape: Shape,
    records: &mut u64,
) -> anyhow::Result<()> {
    let params = json!({ "hello": "world" });
    server.deploy(ECHO, wasm).await?;
    let mut sequences = Vec::with_capacity(LENGTHS.len());
    for &n in &LENGTHS {
        let name = format!("echo-seq-{n}");
        let components = vec![format!("/_/{ECHO}"); n];
        server.deploy_exec(&name, json!({ "kind": "sequence", "components": components })).await?;
        // A sequence that fails or changes the params would fail every call of its cells.
        let mut check = callers(server, &name, 1, &params).await?;
        for c in &mut check {
            c.call().await.with_context(|| format!("the first invoke of the sequence {name}"))?;
        }
        *records += stored(n);
        sequences.push((n, name));
    }
    for &conc in concurrencies {
        if shape == Shape::Fused {
            let c = callers(server, ECHO, conc, &params).await?;
            let before = server.invokes();
            measure(report, Scenario::SeqSingle, "(m) single echo", 1, c, window).await;
            *records += server.invokes() - before;
        }
        for (n, name) in &sequences {
            let c = callers(server, name, conc, &params).await?;
            let label = format!("(m) {} sequence of {n} echos", shape.name());
            let before = server.invokes();
            measure(report, shape.path(*n), &label, 1, c, window).await;
            *records += (server.invokes() - before) * stored(*n);
        }
    }
    Ok(())
}

/// Activation records one successful invoke of a sequence of `components` stores: one per
/// component and the sequence's own.
fn stored(components: usize) -> u64 {
    components as u64 + 1
}

/// `n` workers invoking `action` blocking, each on its own connection.
async fn callers(server: &Server, action: &str, n: usize, params: &Value) -> anyhow::Result<Vec<GustCaller>> {
    let actions: Arc<[String]> = vec![action.to_owned()].into();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(server.caller(&actions, i, params).await?);
    }
    Ok(out)
}
