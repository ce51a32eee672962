//! `gust-bench`: the echo action through several paths, side by side, in one run (DESIGN.md §7):
//! (a) the in-process floor, (b) Gust standalone over HTTP, (c) `wasmtime run` per call, and
//! (d) Gust with requests spread over many actions. Reports p50/p99 latency and throughput at
//! fixed concurrencies, and the ratios between the paths. It reports; it never fails on a time.

mod cpu;
mod floor;
mod gust;
mod load;
mod report;
mod stats;
mod tempdir;
mod wasmtime_cli;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

use crate::cpu::CpuProbe;
use crate::floor::Floor;
use crate::gust::Server;
use crate::load::{Caller, Window, closed_loop};
use crate::report::{Cell, Machine, Path as Scenario, Report};
use crate::stats::Summary;
use crate::wasmtime_cli::{CliCaller, WASMTIME_VERSION};

/// Pool slots of the engine, as `gust standalone` sets them by default.
const MAX_INSTANCES: u32 = 256;

/// Side-by-side benchmark of the echo action: in-process floor, Gust over HTTP, `wasmtime run`.
#[derive(Debug, Parser)]
#[command(name = "gust-bench", version)]
struct Args {
    /// Measured window per cell of (a), (b) and (d), seconds; (c) gets 40 % of it.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Warm-up before each cell, seconds ((c): at most 0.5 s).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Short windows (0.2 s warm-up, 0.5 s measured): a smoke run, not figures to quote.
    #[arg(long)]
    quick: bool,
    /// The gust binary [default: `gust` next to this binary].
    #[arg(long)]
    gust: Option<PathBuf>,
    /// The echo module [default: target/wasm32-wasip1/wasm-action/examples/echo.wasm].
    #[arg(long)]
    module: Option<PathBuf>,
    /// The wasmtime CLI [default: `wasmtime` on PATH, else ~/.cargo/bin/wasmtime].
    #[arg(long)]
    wasmtime: Option<PathBuf>,
    /// Scenarios to run.
    #[arg(long, value_delimiter = ',', default_value = "a,b,c,d")]
    only: Vec<Only>,
    /// Calls in flight per cell.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 64])]
    concurrency: Vec<usize>,
    /// Distinct actions in (d), measured at the highest concurrency.
    #[arg(long, default_value_t = 100)]
    actions: usize,
    /// Also write the raw figures to this file, as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// A scenario of `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Only {
    /// In-process floor.
    A,
    /// Gust standalone over HTTP, one action.
    B,
    /// `wasmtime run` per call.
    C,
    /// Gust over HTTP, many actions against one.
    D,
}

/// The measured windows of this run.
#[derive(Debug, Clone, Copy)]
struct Windows {
    /// (a), (b), (d).
    main: Window,
    /// (c): the process per call is ~1,000x slower, so fewer calls.
    cli: Window,
}

impl Args {
    fn windows(&self) -> anyhow::Result<Windows> {
        let secs = |s: f64| Duration::try_from_secs_f64(s).context("--seconds and --warmup must be ≥ 0");
        if self.quick {
            let w = Window { warmup: Duration::from_millis(200), measure: Duration::from_millis(500) };
            return Ok(Windows { main: w, cli: w });
        }
        let main = Window { warmup: secs(self.warmup)?, measure: secs(self.seconds)? };
        let cli = Window { warmup: main.warmup.min(Duration::from_millis(500)), measure: secs(self.seconds * 0.4)? };
        Ok(Windows { main, cli })
    }
}

/// `target/` of the workspace this binary was built in (target/release/gust-bench).
fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.to_path_buf())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let windows = args.windows()?;
    let mut concurrencies = args.concurrency.clone();
    concurrencies.retain(|&n| n > 0);
    concurrencies.dedup();
    let widest = concurrencies.iter().copied().max().context("--concurrency needs at least one value > 0")?;
    let params = json!({ "hello": "world" });

    let module_path = match &args.module {
        Some(p) => p.clone(),
        None => target_dir()
            .context("cannot locate target/; pass --module")?
            .join("wasm32-wasip1/wasm-action/examples/echo.wasm"),
    };
    let wasm = std::fs::read(&module_path).with_context(|| {
        format!("cannot read the echo module {} (bench/run builds it; or pass --module)", module_path.display())
    })?;
    let gust_bin = match &args.gust {
        Some(p) => p.clone(),
        None => gust::default_gust_binary().context("cannot locate the gust binary; pass --gust")?,
    };
    let wasmtime_bin = wasmtime_cli::find(args.wasmtime.as_deref());

    let mut floor = Floor::new(&wasm, MAX_INSTANCES)?;
    let mut machine = Machine::probe();
    machine.pooling = floor.pooling();
    machine.gust = gust_bin.display().to_string();
    machine.module = module_path.display().to_string();
    machine.module_bytes = wasm.len();
    if let Some(bin) = &wasmtime_bin {
        machine.wasmtime = Some(match wasmtime_cli::version(bin).await {
            Ok(v) => format!("{v} ({})", bin.display()),
            Err(e) => format!("{} (unusable: {e:#})", bin.display()),
        });
    }
    print!("{}", machine.header());
    println!(
        "windows:   {} s warm-up + {} s measured per cell for (a)(b)(d); {} s + {} s for (c){}",
        windows.main.warmup.as_secs_f64(),
        windows.main.measure.as_secs_f64(),
        windows.cli.warmup.as_secs_f64(),
        windows.cli.measure.as_secs_f64(),
        if args.quick { " [--quick: smoke run, not figures to quote]" } else { "" }
    );
    println!("load:      closed loop in this process, tokio multi-thread runtime ({} workers)\n", machine.cpus);
    std::io::stdout().flush()?;

    let mut report = Report::new(machine.cpus);
    let run = |s: Only| args.only.contains(&s);

    if run(Only::A) {
        for &n in &concurrencies {
            let callers = (0..n).map(|_| floor.caller(&params, 1, 0)).collect::<anyhow::Result<Vec<_>>>()?;
            measure(&mut report, Scenario::Floor, "(a) in-process floor", 1, n, callers, windows.main).await;
        }
    }
    if run(Only::D) {
        // The engine's share of "many actions": the same spread over distinct loaded modules, in process.
        let many = args.actions.max(1);
        eprintln!("[bench] loading echo as {many} distinct modules");
        floor.ensure_copies(many)?;
        let label = format!("(d) in-process floor, {many} modules");
        let callers = (0..widest).map(|i| floor.caller(&params, many, i)).collect::<anyhow::Result<Vec<_>>>()?;
        measure(&mut report, Scenario::FloorMany, &label, many, widest, callers, windows.main).await;
    }
    drop(floor);

    if (run(Only::B) || run(Only::D))
        && let Err(e) = gust_scenarios(&args, &mut report, &gust_bin, &wasm, &concurrencies, widest, windows.main).await
    {
        report.notes.push(format!("(b)/(d) Gust: {e:#}"));
        eprintln!("[gust] {e:#}");
    }

    if run(Only::C) {
        match &wasmtime_bin {
            Some(bin) => {
                if let Err(e) = cli_scenario(&mut report, bin, &module_path, &params, &concurrencies, windows.cli).await
                {
                    report.notes.push(format!("(c) wasmtime run: {e:#}"));
                    eprintln!("[c] {e:#}");
                }
            }
            None => {
                let line = format!(
                    "(c) skipped: the wasmtime CLI was not found (pass --wasmtime PATH, or install it: \
                     cargo install wasmtime-cli --version {WASMTIME_VERSION} --locked)"
                );
                eprintln!("{line}");
                report.notes.push(line);
            }
        }
    }

    println!("{}", report.table());
    println!("Ratios (x = how many times larger):");
    println!("{}", report.ratios(&concurrencies, args.actions));
    println!("Notes:");
    for n in notes(&report, &concurrencies) {
        println!("- {n}");
    }

    if let Some(file) = &args.json {
        let settings = json!({
            "quick": args.quick,
            "warmup_s": windows.main.warmup.as_secs_f64(),
            "measure_s": windows.main.measure.as_secs_f64(),
            "cli_warmup_s": windows.cli.warmup.as_secs_f64(),
            "cli_measure_s": windows.cli.measure.as_secs_f64(),
            "concurrency": concurrencies,
            "actions": args.actions,
            "params": params,
        });
        let text = serde_json::to_string_pretty(&report.json(&machine, settings))?;
        std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
        eprintln!("[bench] raw figures written to {}", file.display());
    }
    Ok(())
}

/// Runs one cell and files its figures (or the reason it failed).
async fn measure<C: Caller>(
    report: &mut Report,
    path: Scenario,
    label: &str,
    actions: usize,
    concurrency: usize,
    callers: Vec<C>,
    window: Window,
) -> Option<Summary> {
    eprintln!("[bench] {label}, concurrency {concurrency}: running");
    let before = report.probe.snapshot();
    let outcome = closed_loop(callers, window).await;
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

/// (b) and (d): one server for both, stopped (and its data removed) at the end.
async fn gust_scenarios(
    args: &Args,
    report: &mut Report,
    bin: &Path,
    wasm: &[u8],
    concurrencies: &[usize],
    widest: usize,
    window: Window,
) -> anyhow::Result<()> {
    eprintln!("[gust] starting {} standalone", bin.display());
    let server = Server::start(bin).await?;
    report.probe = CpuProbe::with_pids(server.pid().into_iter().collect());
    let result = drive_gust(args, report, &server, wasm, concurrencies, widest, window).await;
    report.probe = CpuProbe::default();
    if result.is_err() {
        eprintln!("[gust] server log (last lines):\n{}", server.log_tail());
    }
    eprintln!("[gust] stopping the server");
    let persisted = server.stop().await?;
    report.notes.push(format!(
        "Gust persisted {} activation records for {} successful blocking invokes (warm-up included); \
         its SQLite files ended at {:.1} MiB.",
        persisted.records.map_or_else(|| "an unknown number of".into(), |n| n.to_string()),
        persisted.invokes,
        persisted.db_bytes as f64 / (1 << 20) as f64
    ));
    result
}

async fn drive_gust(
    args: &Args,
    report: &mut Report,
    server: &Server,
    wasm: &[u8],
    concurrencies: &[usize],
    widest: usize,
    window: Window,
) -> anyhow::Result<()> {
    let params = json!({ "hello": "world" });
    server.deploy("echo", wasm).await?;
    let one: Arc<[String]> = vec![String::from("echo")].into();
    if args.only.contains(&Only::B) {
        for &n in concurrencies {
            let callers = gust_callers(server, &one, n, &params).await?;
            measure(report, Scenario::Gust, "(b) gust HTTP, 1 action", 1, n, callers, window).await;
        }
    }
    if args.only.contains(&Only::D) {
        let many = args.actions.max(1);
        eprintln!("[gust] deploying echo as {many} actions");
        let names: Vec<String> = (0..many).map(|i| format!("echo-{i:03}")).collect();
        for name in &names {
            server.deploy(name, wasm).await?;
        }
        let names: Arc<[String]> = names.into();
        // Back to back with the spread run, so both see the same database size.
        let callers = gust_callers(server, &one, widest, &params).await?;
        measure(report, Scenario::GustMany, "(d) gust HTTP, 1 action", 1, widest, callers, window).await;
        let callers = gust_callers(server, &names, widest, &params).await?;
        let label = format!("(d) gust HTTP, {many} actions");
        measure(report, Scenario::GustMany, &label, many, widest, callers, window).await;
    }
    Ok(())
}

/// `n` workers, each on its own connection, worker `i` starting at action `i` (round robin).
async fn gust_callers(
    server: &Server,
    actions: &Arc<[String]>,
    n: usize,
    params: &Value,
) -> anyhow::Result<Vec<gust::GustCaller>> {
    let mut callers = Vec::with_capacity(n);
    for i in 0..n {
        callers.push(server.caller(actions, i, params).await?);
    }
    Ok(callers)
}

/// (c): one priming call (the CLI compiles and caches the module), then the cells.
async fn cli_scenario(
    report: &mut Report,
    bin: &Path,
    module: &Path,
    params: &Value,
    concurrencies: &[usize],
    window: Window,
) -> anyhow::Result<()> {
    eprintln!("[c] priming: one `wasmtime run` of {}", module.display());
    CliCaller::new(bin, module, params)?.call().await.context("the priming call failed")?;
    for &n in concurrencies {
        let callers = (0..n).map(|_| CliCaller::new(bin, module, params)).collect::<anyhow::Result<Vec<_>>>()?;
        measure(report, Scenario::WasmtimeRun, "(c) wasmtime run per call", 1, n, callers, window).await;
    }
    Ok(())
}

/// What the reader needs to know to read the tables.
fn notes(report: &Report, concurrencies: &[usize]) -> Vec<String> {
    let mut out = vec![
        String::from(
            "(a) runs instantiate + _start of a fresh instance per call in this process: no HTTP, auth, bus or store.",
        ),
        String::from(
            "(b)/(d) are blocking result=true invokes to `gust standalone` (GUST_DOCKER=off: no prewarmed \
             containers) over HTTP/1.1 keep-alive, one connection per worker, through controller, bus, invoker and \
             SQLite: every activation record is persisted by the server, and that \
             write is part of each call's cost.",
        ),
        String::from(
            "(d) in-process floor: the same spread over distinct loaded modules, no HTTP: the engine's own cost of \
             many actions (pool slots switching between modules' memory images).",
        ),
        String::from(
            "(c) spawns `wasmtime run echo.wasm` per call, params on stdin (process start, engine setup and \
             module load from the CLI's cache every time).",
        ),
        String::from(
            "The load generator runs on the same CPUs as the server in (b)/(d): their figures are conservative. \
             'other CPU' is the share of the machine used by processes other than the bench and its server.",
        ),
    ];
    if let Some(&n) = concurrencies.iter().max() {
        out.push(format!(
            "Closed loop: at concurrency {n} latency includes queueing (p50 ≈ {n} / throughput once the CPUs are busy)."
        ));
    }
    out.extend(report.notes.iter().cloned());
    let disturbed = report.disturbed(0.10);
    if !disturbed.is_empty() {
        let names: Vec<String> = disturbed.iter().map(|c| format!("{} at {}", c.label, c.concurrency)).collect();
        out.push(format!(
            "WARNING: other processes used more than 10 % of the machine during: {}. Those figures are low; rerun on a quiet machine.",
            names.join("; ")
        ));
    }
    if let Some(l) = report::loadavg() {
        out.push(format!("Load average after the run: {l} (the bench itself keeps ~2 busy)."));
    }
    out
}
