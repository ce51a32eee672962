//! `gust-bench`: the echo action through several paths, side by side, in one run (DESIGN.md §7):
//! (a) the in-process floor, (b) Gust standalone over HTTP, (c) `wasmtime run` per call,
//! (d) Gust with requests spread over many actions, (e) the HTTP floor (`GET /ping`), and the
//! Docker path: (f) cold start, (g) prewarmed start, (h) warm, (i) `docker run --rm` per call,
//! (j) the SDK's echo built natively; and distributed on Kafka, CouchDB and Consul: (k) the Wasm
//! echo, (l) the warm Node.js echo; and (m) sequences of echo components, fused and driven,
//! against a single echo invoke. Reports p50/p99 latency and throughput at fixed
//! concurrencies, and the ratios between the paths. It reports; it never fails on a time.

mod cluster;
mod cpu;
mod cpu_tree;
mod distributed;
mod docker;
mod docker_cli;
mod floor;
mod gust;
mod load;
mod measure;
mod notes;
mod process_caller;
mod report;
mod sequences;
mod stats;
mod stem_cells;
mod tempdir;
mod wasm_path;
mod wasmtime_cli;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use serde_json::json;

use crate::floor::Floor;
use crate::load::{Window, closed_loop_parallel};
use crate::measure::measure_with;
use crate::report::{Machine, Path as Scenario, Report};
use crate::wasmtime_cli::WASMTIME_VERSION;

/// Pool slots of the engine, as `gust standalone` sets them by default.
const MAX_INSTANCES: u32 = 256;

/// Samples of the one-off Docker cells with `--quick`.
const QUICK_DOCKER_SAMPLES: usize = 3;

/// Side-by-side benchmark of the echo action: in-process floor, Gust over HTTP (Wasm and Docker),
/// `wasmtime run` and `docker run --rm`.
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
    #[arg(long, value_delimiter = ',', default_value = "a,b,c,d,e,f,g,h,i,j,k,l,m")]
    only: Vec<Only>,
    /// Calls in flight per cell.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 64])]
    concurrency: Vec<usize>,
    /// Distinct actions in (d), measured at the highest concurrency.
    #[arg(long, default_value_t = 100)]
    actions: usize,
    /// Samples of each one-off Docker cell (f, g, i, and the `docker run` of j), after one discarded.
    #[arg(long, default_value_t = 20)]
    docker_samples: usize,
    /// Concurrencies of the warm Node.js cells (h): one container per call in flight.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8])]
    docker_concurrency: Vec<usize>,
    /// Concurrencies of the sequence cells (m); the targets are judged at 1 and 64.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 64])]
    sequence_concurrency: Vec<usize>,
    /// The SDK's echo built natively for (j) [default: target/release/examples/echo].
    #[arg(long)]
    native_echo: Option<PathBuf>,
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
    /// `GET /ping` on the server of (b): the HTTP floor.
    E,
    /// Docker: true cold start of a new Node.js action.
    F,
    /// Docker: prewarmed start (a stem cell) of a new Node.js action.
    G,
    /// Docker: a warm Node.js action.
    H,
    /// `docker run --rm` of the Node.js image per call.
    I,
    /// The SDK's echo built natively: a warm `native` action, and `docker run --rm` of it.
    J,
    /// Distributed (a controller and an invoker on Kafka, CouchDB, Consul): the Wasm echo.
    K,
    /// Distributed: the warm Node.js echo.
    L,
    /// Sequences of 3 and 10 echo components, fused and driven, against a single echo.
    M,
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

/// The concurrencies of a flag as given, without zeros and repeats of the one before.
fn usable(given: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = given.iter().copied().filter(|&n| n > 0).collect();
    out.dedup();
    out
}

/// `target/` of the workspace this binary was built in (target/release/gust-bench).
fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.to_path_buf())
}

/// One thread drives every HTTP and process load, as wrk does: a load generator that hops
/// between threads adds its own wake-ups to every figure. The in-process floor gets a
/// multi-thread runtime of its own (`closed_loop_parallel`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let windows = args.windows()?;
    let concurrencies = usable(&args.concurrency);
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
    let native_bin = match &args.native_echo {
        Some(p) => p.clone(),
        None => target_dir().context("cannot locate target/; pass --native-echo")?.join("release/examples/echo"),
    };
    let docker_concurrencies = usable(&args.docker_concurrency);

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
        "windows:   {} s warm-up + {} s measured per cell for (a)(b)(d)(e)(h)(j)(k)(l)(m); {} s + {} s for (c){}",
        windows.main.warmup.as_secs_f64(),
        windows.main.measure.as_secs_f64(),
        windows.cli.warmup.as_secs_f64(),
        windows.cli.measure.as_secs_f64(),
        if args.quick { " [--quick: smoke run, not figures to quote]" } else { "" }
    );
    println!(
        "docker:    {} samples (after 1 discarded) per one-off cell (f)(g)(i)(j docker run)",
        if args.quick { QUICK_DOCKER_SAMPLES } else { args.docker_samples.max(1) }
    );
    println!(
        "load:      closed loop in this process: HTTP and processes from one thread (tokio current-thread); \
         the in-process floor on {} threads\n",
        machine.cpus
    );
    std::io::stdout().flush()?;

    let mut report = Report::new(machine.cpus);
    let run = |s: Only| args.only.contains(&s);

    if run(Only::A) {
        for &n in &concurrencies {
            let callers = (0..n).map(|_| floor.caller(&params, 1, 0)).collect::<anyhow::Result<Vec<_>>>()?;
            let cell = closed_loop_parallel(callers, windows.main, machine.cpus);
            measure_with(&mut report, Scenario::Floor, "(a) in-process floor", 1, n, cell).await;
        }
    }
    if run(Only::D) {
        // The engine's share of "many actions": the same spread over distinct loaded modules, in process.
        let many = args.actions.max(1);
        eprintln!("[bench] loading echo as {many} distinct modules");
        floor.ensure_copies(many)?;
        let label = format!("(d) in-process floor, {many} modules");
        let callers = (0..widest).map(|i| floor.caller(&params, many, i)).collect::<anyhow::Result<Vec<_>>>()?;
        let cell = closed_loop_parallel(callers, windows.main, machine.cpus);
        measure_with(&mut report, Scenario::FloorMany, &label, many, widest, cell).await;
    }
    drop(floor);

    if (run(Only::B) || run(Only::D) || run(Only::E))
        && let Err(e) =
            wasm_path::gust_scenarios(&args, &mut report, &gust_bin, &wasm, &concurrencies, widest, windows.main).await
    {
        report.notes.push(format!("(b)/(d)/(e) Gust: {e:#}"));
        eprintln!("[gust] {e:#}");
    }

    if run(Only::C) {
        match &wasmtime_bin {
            Some(bin) => {
                if let Err(e) =
                    wasm_path::cli_scenario(&mut report, bin, &module_path, &params, &concurrencies, windows.cli).await
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

    let plan = docker::Plan {
        cold: run(Only::F),
        prewarm: run(Only::G),
        warm: run(Only::H),
        run: run(Only::I),
        native: run(Only::J),
        samples: if args.quick { QUICK_DOCKER_SAMPLES } else { args.docker_samples.max(1) },
        concurrencies: docker_concurrencies,
        window: windows.main,
        native_bin,
    };
    if plan.cold || plan.prewarm || plan.warm || plan.run || plan.native {
        let skipped = if std::env::var("GUST_BENCH_NO_DOCKER").is_ok_and(|v| v == "1") {
            Some(String::from("GUST_BENCH_NO_DOCKER=1"))
        } else {
            docker::scenarios(&plan, &mut report, &gust_bin).await.err().map(|e| format!("{e:#}"))
        };
        if let Some(why) = skipped {
            let line = format!("(f)-(j) Docker scenarios skipped: {why}");
            println!("{line}\n");
            report.notes.push(line);
        }
    }

    if run(Only::K) || run(Only::L) {
        let docker_off = std::env::var("GUST_BENCH_NO_DOCKER").is_ok_and(|v| v == "1");
        if run(Only::L) && docker_off {
            report.notes.push(String::from("(l) distributed Docker skipped: GUST_BENCH_NO_DOCKER=1"));
        }
        let dist = distributed::Plan {
            wasm: run(Only::K).then_some(concurrencies.as_slice()),
            docker: (run(Only::L) && !docker_off).then_some(plan.concurrencies.as_slice()),
            module: &wasm,
            window: windows.main,
        };
        distributed::scenarios(&dist, &mut report, &gust_bin).await;
    }

    if run(Only::M) {
        let sequence_concurrencies = usable(&args.sequence_concurrency);
        sequences::scenarios(&mut report, &gust_bin, &wasm, &sequence_concurrencies, windows.main).await;
    }

    println!("{}", report.table());
    if let Some(ratios) = report.ratios(&concurrencies, args.actions) {
        println!("Ratios (x = how many times larger):");
        println!("{ratios}");
    }
    if let Some(section) = report.standalone_section() {
        println!("Wasm fast path through gust standalone:");
        println!("{section}");
    }
    if let Some(section) = report.docker_section() {
        println!("Docker path (the same echo; x = how many times larger):");
        println!("{section}");
    }
    if let Some(section) = report.distributed_section() {
        println!(
            "Distributed (1 controller + 1 invoker on Kafka, CouchDB, Consul) vs standalone (x = distributed / standalone):"
        );
        println!("{section}");
    }
    if let Some(section) = report.sequences_section() {
        println!(
            "Sequences of echo components on gust standalone (components/s = invokes/s x components; x = how many times the single echo):"
        );
        println!("{section}");
    }
    if let Some(section) = report.breakdown_section() {
        println!("Where the time goes (medians, ms; waitTime, initTime and duration from the activation records):");
        println!("{section}");
    }
    println!("Notes:");
    for n in notes::notes(&report, &concurrencies) {
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
            "docker_samples": plan.samples,
            "docker_concurrency": plan.concurrencies,
            "sequence_concurrency": usable(&args.sequence_concurrency),
            "sequence_lengths": sequences::LENGTHS,
            "params": params,
        });
        let text = serde_json::to_string_pretty(&report.json(&machine, settings))?;
        std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
        eprintln!("[bench] raw figures written to {}", file.display());
    }
    Ok(())
}
