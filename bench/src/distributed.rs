//! (k) and (l): the echo through a distributed Gust, next to the standalone rows of the same
//! run: (k) the Wasm echo, as (b); (l) the warm Node.js echo, as (h). One `gust controller`
//! and one `gust invoker` on Kafka, CouchDB and Consul (cluster.rs): every invoke crosses
//! Kafka twice (the invoker's topic, then the controller's completion topic) and every record
//! is written to CouchDB.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{Value, json};

use crate::cluster::{Cluster, Invoker, service_pids};
use crate::cpu::CpuProbe;
use crate::docker::{NODE_ECHO, callers, prime, warm_records};
use crate::docker_cli::DockerCli;
use crate::gust::Server;
use crate::load::{Window, closed_loop};
use crate::measure::measure;
use crate::report::{Path as Scenario, Report};

/// How long a new deployment may take before its first invoke succeeds (the controller must
/// see the invoker healthy in Consul, the invoker must have joined its Kafka topic).
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// The services' warm-up before (k) and (l), in warm-ups of one cell.
const WARM_SERVICES: u32 = 5;

/// Memory for the warm containers of (l), MB: the widest concurrency, and a margin.
fn user_memory_mb(widest: usize) -> u64 {
    256 * (widest as u64 + 4)
}

/// What (k) and (l) need.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    /// (k): the Wasm echo at these concurrencies.
    pub(crate) wasm: Option<&'a [usize]>,
    /// (l): the warm Node.js echo at these concurrencies.
    pub(crate) docker: Option<&'a [usize]>,
    /// The echo module.
    pub(crate) module: &'a [u8],
    /// The closed-loop window.
    pub(crate) window: Window,
}

/// Runs (k) then (l), each on a deployment of its own; a failure becomes a note.
pub(crate) async fn scenarios(plan: &Plan<'_>, report: &mut Report, gust: &Path) {
    let params = json!({ "hello": "world" });
    if let Some(concurrencies) = plan.wasm {
        let body = async |s: &Server, r: &mut Report| {
            s.deploy("echo", plan.module).await?;
            first_success(s, "echo", &params).await?;
            warm_services(s, "echo", concurrencies, &params, plan.window).await?;
            for &n in concurrencies {
                let callers = callers(s, "echo", n, &params).await?;
                measure(r, Scenario::DistWasm, "(k) distributed, Wasm", 1, callers, plan.window).await;
            }
            r.breakdowns.push(warm_records(s, "echo", "distributed, Wasm (k)", &params).await?);
            Ok(())
        };
        if let Err(e) = on_cluster(gust, Invoker::Wasm, report, "(k)", body).await {
            note(report, format!("(k) distributed Wasm: {e:#}"));
        }
    }
    if let Some(concurrencies) = plan.docker {
        let docker = DockerCli::find();
        if let Err(e) = docker.check(&["gust/runtime-nodejs:18"]).await {
            note(report, format!("(l) distributed Docker skipped: {e:#}"));
            return;
        }
        let widest = concurrencies.iter().copied().max().unwrap_or(1);
        let invoker = Invoker::Docker { user_memory_mb: user_memory_mb(widest) };
        let body = async |s: &Server, r: &mut Report| {
            s.deploy_exec("warm", json!({ "kind": "nodejs:18", "code": NODE_ECHO })).await?;
            first_success(s, "warm", &params).await?;
            warm_services(s, "warm", concurrencies, &params, plan.window).await?;
            for &n in concurrencies {
                prime(s, "warm", n, &params).await?;
                let callers = callers(s, "warm", n, &params).await?;
                measure(r, Scenario::DistDocker, "(l) distributed, Docker warm Node.js", 1, callers, plan.window).await;
            }
            r.breakdowns.push(warm_records(s, "warm", "distributed, warm Node.js (l)", &params).await?);
            Ok(())
        };
        let result = on_cluster(gust, invoker, report, "(l)", body).await;
        if let Err(e) = result {
            note(report, format!("(l) distributed Docker: {e:#}"));
        }
    }
}

fn note(report: &mut Report, line: String) {
    eprintln!("[distributed] {line}");
    report.notes.push(line);
}

/// Starts a deployment, runs `body` with the deployment and the services counted as ours,
/// stops it, and checks that it left no container behind.
async fn on_cluster<F>(gust: &Path, invoker: Invoker, report: &mut Report, what: &str, body: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&Server, &mut Report) -> anyhow::Result<()>,
{
    eprintln!("[distributed] {what}: starting gust controller + gust invoker on Kafka, CouchDB and Consul");
    let cluster = Cluster::start(gust, invoker).await?;
    let mut pids = cluster.server.pids();
    pids.extend(service_pids());
    report.probe = match invoker {
        Invoker::Wasm => CpuProbe::with_pids(pids),
        Invoker::Docker { .. } => CpuProbe::with_docker(pids),
    };
    let result = body(&cluster.server, report).await;
    report.probe = CpuProbe::default();
    if result.is_err() {
        eprintln!("[distributed] {what}: logs (last lines):\n{}", cluster.server.log_tail());
    }
    let (name, instance) = (cluster.name.clone(), cluster.instance.clone());
    eprintln!("[distributed] {what}: stopping (SIGTERM) and dropping its CouchDB databases");
    let records = cluster.stop().await?;
    report.notes.push(format!(
        "{what}: cluster {name} persisted {} activation records in CouchDB (warm-up included); its Kafka topics \
         {name}.invoker0 and {name}.completed0 remain on the broker.",
        records.map_or_else(|| "an unknown number of".into(), |n| n.to_string()),
    ));
    if matches!(invoker, Invoker::Docker { .. }) {
        match DockerCli::find().remove_all(&instance).await {
            Ok(0) => {}
            Ok(left) => note(report, format!("{what}: the invoker left {left} containers; the bench removed them.")),
            Err(e) => note(report, format!("{what}: cannot list or remove the containers of {instance}: {e:#}")),
        }
    }
    result
}

/// A discarded load at the widest concurrency, five warm-ups long, before the first cell:
/// a broker just started (or restarted) runs its hot paths interpreted until the JVM has
/// compiled them, which doubles latencies for its first seconds. A production broker is warm.
async fn warm_services(
    server: &Server,
    action: &str,
    concurrencies: &[usize],
    params: &Value,
    window: Window,
) -> anyhow::Result<()> {
    let widest = concurrencies.iter().copied().max().unwrap_or(1);
    let span = window.warmup * WARM_SERVICES;
    eprintln!("[distributed] warming the services: {widest} callers for {:.1} s, not measured", span.as_secs_f64());
    let callers = callers(server, action, widest, params).await?;
    let summary = closed_loop(callers, Window { warmup: Duration::ZERO, measure: span }).await?;
    if let Some(e) = summary.first_error {
        bail!("warming the services failed: {e}");
    }
    Ok(())
}

/// Invokes `action` until it succeeds: a new deployment answers 503 until the controller has
/// seen its invoker healthy.
async fn first_success(server: &Server, action: &str, params: &Value) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        match server.invoke_timed(action, params).await {
            Ok(_) => {
                eprintln!("[distributed] first invoke of {action} succeeded after {:.1} s", t.elapsed().as_secs_f64());
                return Ok(());
            }
            Err(e) if t.elapsed() > READY_TIMEOUT => {
                bail!("no invoke of {action} succeeded within {READY_TIMEOUT:?}: {e:#}");
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}
