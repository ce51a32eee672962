//! The Wasm path over HTTP and by process: (b) Gust standalone with one action, (d) the same
//! spread over many actions, (e) `GET /ping` on the same server, and (c) `wasmtime run` per call.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::cpu::CpuProbe;
use crate::gust::{self, Server};
use crate::load::{Caller, Window};
use crate::measure::measure;
use crate::report::{Path as Scenario, Report};
use crate::wasmtime_cli;
use crate::{Args, Only};

/// (b), (d) and (e): one Wasm-only server for all, stopped (and its data removed) at the end.
pub(crate) async fn gust_scenarios(
    args: &Args,
    report: &mut Report,
    bin: &Path,
    wasm: &[u8],
    concurrencies: &[usize],
    widest: usize,
    window: Window,
) -> anyhow::Result<()> {
    eprintln!("[gust] starting {} standalone", bin.display());
    // The Wasm path only: no prewarmed Docker containers starting while we measure.
    let server = Server::start(bin, &["--docker".to_owned(), "off".to_owned()]).await?;
    report.probe = CpuProbe::with_pids(server.pids());
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
    if args.only.contains(&Only::E) {
        for &n in concurrencies {
            let mut callers = Vec::with_capacity(n);
            for _ in 0..n {
                callers.push(server.ping_caller().await?);
            }
            measure(report, Scenario::Ping, "(e) HTTP floor, GET /ping", 1, callers, window).await;
        }
    }
    if args.only.contains(&Only::B) {
        for &n in concurrencies {
            let callers = gust_callers(server, &one, n, &params).await?;
            measure(report, Scenario::Gust, "(b) gust HTTP, 1 action", 1, callers, window).await;
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
        measure(report, Scenario::GustMany, "(d) gust HTTP, 1 action", 1, callers, window).await;
        let callers = gust_callers(server, &names, widest, &params).await?;
        let label = format!("(d) gust HTTP, {many} actions");
        measure(report, Scenario::GustMany, &label, many, callers, window).await;
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
pub(crate) async fn cli_scenario(
    report: &mut Report,
    bin: &Path,
    module: &Path,
    params: &Value,
    concurrencies: &[usize],
    window: Window,
) -> anyhow::Result<()> {
    eprintln!("[c] priming: one `wasmtime run` of {}", module.display());
    wasmtime_cli::caller(bin, module, params)?.call().await.context("the priming call failed")?;
    for &n in concurrencies {
        let callers = (0..n).map(|_| wasmtime_cli::caller(bin, module, params)).collect::<anyhow::Result<Vec<_>>>()?;
        measure(report, Scenario::WasmtimeRun, "(c) wasmtime run per call", 1, callers, window).await;
    }
    Ok(())
}
