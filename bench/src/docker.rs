//! (f–j) The Docker path next to the Wasm one, with the same echo logic everywhere:
//! (i) `docker run --rm` of the Node.js image per call, the baseline of (f) a true cold start
//! (a new Node.js action per sample, no stem cells), (g) a prewarmed start (a new action per
//! sample takes a stem cell; the pool refills before the next), (h) a warm Node.js action, and
//! (j) the SDK's echo built natively, warm in Gust and by `docker run --rm`. Every server is
//! stopped with SIGTERM (it removes its containers) and the bench checks that none is left.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::cpu::CpuProbe;
use crate::docker_cli::{DockerCli, run_caller};
use crate::gust::Server;
use crate::load::{Caller, Window, sequential};
use crate::measure::{measure, measure_with};
use crate::report::{Breakdown, Path as Scenario, Report};
use crate::stats::{Recorder, Summary};
use crate::stem_cells::{POLL, SETTLED, StemCells};

/// The Node.js action: OpenWhisk plain code, as `wsk action create echo echo.js` would send it.
pub(crate) const NODE_ECHO: &str = "function main(p){return p}";
/// The Node.js runtime image, and the SDK-native one.
const NODE_IMAGE: &str = "gust/runtime-nodejs:18";
const NATIVE_IMAGE: &str = "gust/runtime-native:1";
/// The runtime manifest keeps this many Node.js stem cells of 256 MB.
const NODE_STEM_CELLS: usize = 2;
/// Memory of every action here (OpenWhisk's default) and of the stem cells, MB.
const ACTION_MB: u64 = 256;
/// After creating an action, before invoking it: let the store write settle.
const GAP: Duration = Duration::from_millis(200);
/// Invokes read back for the breakdown of warm runs.
const WARM_RECORDS: usize = 10;

/// Which Docker scenarios to run, and how.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// (f) cold starts.
    pub(crate) cold: bool,
    /// (g) prewarmed starts.
    pub(crate) prewarm: bool,
    /// (h) a warm Node.js action.
    pub(crate) warm: bool,
    /// (i) `docker run --rm` of the Node.js image.
    pub(crate) run: bool,
    /// (j) the SDK's echo, native: warm in Gust and by `docker run --rm`.
    pub(crate) native: bool,
    /// Samples of (f), (g), (i) and the `docker run` of (j), after one discarded.
    pub(crate) samples: usize,
    /// Concurrencies of (h).
    pub(crate) concurrencies: Vec<usize>,
    /// The window of the closed-loop cells (h, j).
    pub(crate) window: Window,
    /// The natively built echo (`cargo build --release -p gust-sdk --example echo`).
    pub(crate) native_bin: PathBuf,
}

impl Plan {
    /// `--user-memory` for the servers: every sample's container, the warm ones and the stem
    /// cells fit, so nothing is evicted and every stem cell is refilled.
    fn user_memory_mb(&self) -> u64 {
        let widest = self.concurrencies.iter().copied().max().unwrap_or(1);
        ACTION_MB * (self.samples + widest + 8) as u64
    }
}

/// Runs the planned scenarios; `Err` (printed as a skip line) when Docker is not usable.
pub(crate) async fn scenarios(plan: &Plan, report: &mut Report, gust: &Path) -> anyhow::Result<()> {
    let docker = DockerCli::find();
    let mut images = vec![];
    if plan.cold || plan.prewarm || plan.warm || plan.run {
        images.push(NODE_IMAGE);
    }
    if plan.native {
        images.push(NATIVE_IMAGE);
    }
    let version = docker.check(&images).await?;
    eprintln!("[docker] engine {version} ({}), images {}", docker.bin().display(), images.join(", "));
    let native = match (plan.native, std::fs::read(&plan.native_bin)) {
        (false, _) => None,
        (true, Ok(bin)) => Some(bin),
        (true, Err(e)) => {
            note(
                report,
                format!(
                    "(j) skipped: cannot read the native echo {} ({e}; cargo build --release -p gust-sdk --example echo builds it)",
                    plan.native_bin.display()
                ),
            );
            None
        }
    };
    let params = json!({ "hello": "world" });

    if plan.run {
        let caller = run_caller(&docker, node_run_args(), &params)?;
        report.probe = CpuProbe::with_docker(vec![]);
        let label = "(i) docker run --rm, Node.js";
        measure_with(report, Scenario::DockerRun, label, 1, 1, sequential(caller, 1, plan.samples)).await;
        report.probe = CpuProbe::default();
    }
    if plan.cold {
        let flags = server_flags(&["--prewarm", "false"], plan);
        let body = async |s: &Served<'_>, r: &mut Report| cold(s, r, plan, &params).await;
        if let Err(e) = on_server(gust, &flags, &docker, report, "(f)", body).await {
            note(report, format!("(f) docker cold start: {e:#}"));
        }
    }
    if plan.prewarm || plan.warm || native.is_some() {
        let flags = server_flags(&[], plan);
        let native = native.as_deref();
        let body = async |s: &Served<'_>, r: &mut Report| pooled(s, r, plan, native, &params).await;
        if let Err(e) = on_server(gust, &flags, &docker, report, "(g)(h)(j)", body).await {
            note(report, format!("(g)(h)(j) docker with stem cells: {e:#}"));
        }
    }
    if native.is_some() {
        let bin = plan.native_bin.canonicalize().unwrap_or_else(|_| plan.native_bin.clone());
        let args = vec![
            "-v".to_owned(),
            format!("{}:/echo:ro", bin.display()),
            "--entrypoint".to_owned(),
            "/echo".to_owned(),
            NATIVE_IMAGE.to_owned(),
        ];
        let caller = run_caller(&docker, args, &params)?;
        report.probe = CpuProbe::with_docker(vec![]);
        let label = "(j) docker run --rm, native SDK echo";
        measure_with(report, Scenario::NativeRun, label, 1, 1, sequential(caller, 1, plan.samples)).await;
        report.probe = CpuProbe::default();
    }
    Ok(())
}

/// `docker run --rm -i` arguments running the same echo with node, params on stdin.
fn node_run_args() -> Vec<String> {
    let script = format!(
        "{NODE_ECHO}\nlet s='';process.stdin.setEncoding('utf8');process.stdin.on('data',d=>s+=d);\
         process.stdin.on('end',()=>console.log(JSON.stringify(main(JSON.parse(s)))));"
    );
    ["--entrypoint", "node", NODE_IMAGE, "-e", &script].iter().map(|s| (*s).to_owned()).collect()
}

/// `--docker auto`, enough user memory, and `extra`.
fn server_flags(extra: &[&str], plan: &Plan) -> Vec<String> {
    let mut flags: Vec<String> = vec!["--docker".into(), "auto".into()];
    flags.extend(["--user-memory".to_owned(), plan.user_memory_mb().to_string()]);
    flags.extend(extra.iter().map(|s| (*s).to_owned()));
    flags
}

fn note(report: &mut Report, line: String) {
    eprintln!("[docker] {line}");
    report.notes.push(line);
}

/// Starts a server with `flags`, runs `body` with a probe counting the Docker engine, then
/// stops it and checks that it removed all its containers (removing leftovers, ours only).
async fn on_server<F>(
    gust: &Path,
    flags: &[String],
    docker: &DockerCli,
    report: &mut Report,
    what: &str,
    body: F,
) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&Served<'_>, &mut Report) -> anyhow::Result<()>,
{
    eprintln!("[docker] {what}: starting gust standalone {}", flags.join(" "));
    let server = Server::start(gust, flags).await?;
    let instance = match server.instance() {
        Ok(i) => i,
        Err(e) => {
            let _ = server.stop().await;
            return Err(e);
        }
    };
    report.probe = CpuProbe::with_docker(server.pids());
    let served = Served { server: &server, docker, instance: instance.clone() };
    let result = body(&served, report).await;
    report.probe = CpuProbe::default();
    if result.is_err() {
        eprintln!("[docker] server log (last lines):\n{}", server.log_tail());
    }
    let had = docker.containers(&instance).await.map(|c| c.len()).unwrap_or(0);
    eprintln!("[docker] {what}: stopping the server (SIGTERM: it removes its {had} containers)");
    let stopped = server.stop().await;
    match docker.remove_all(&instance).await {
        Ok(0) => {
            eprintln!("[docker] {what}: no container of instance {instance} is left");
            report.notes.push(format!("{what}: on SIGTERM the server removed all {had} of its containers."));
        }
        Ok(left) => note(
            report,
            format!("{what}: the server left {left} containers of instance {instance} behind; the bench removed them."),
        ),
        Err(e) => note(report, format!("{what}: cannot list or remove the containers of instance {instance}: {e:#}")),
    }
    stopped?;
    result
}

/// A running Docker-enabled server and its deployment name.
struct Served<'a> {
    server: &'a Server,
    docker: &'a DockerCli,
    instance: String,
}

impl Served<'_> {
    /// Creates the Node.js echo as `name`.
    async fn deploy_node(&self, name: &str) -> anyhow::Result<()> {
        self.server.deploy_exec(name, json!({ "kind": "nodejs:18", "code": NODE_ECHO })).await
    }

    /// Creates the Node.js echo as `name`, lets the write settle, and times its first invoke;
    /// returns that time and the activation record.
    async fn first_invoke(&self, name: &str, params: &Value) -> anyhow::Result<(Duration, Value)> {
        self.deploy_node(name).await?;
        tokio::time::sleep(GAP).await;
        let (took, id) = self.server.invoke_timed(name, params).await?;
        let record = self.server.activation(&id).await?;
        Ok((took, record))
    }

    /// Whether a container was created for `action` (a cold start), by its name.
    async fn has_own_container(&self, action: &str) -> anyhow::Result<bool> {
        let part = format!("_guest_{action}_");
        Ok(self.docker.containers(&self.instance).await?.iter().any(|c| c.name.contains(&part)))
    }
}

/// (f) A new action per sample, invoked once, on a server without stem cells.
async fn cold(s: &Served<'_>, report: &mut Report, plan: &Plan, params: &Value) -> anyhow::Result<()> {
    let mut breakdown = Breakdown::new("cold start, Node.js (f)");
    let mut discarded = None;
    let cell = async {
        let mut rec = Recorder::new()?;
        let mut measured = Duration::ZERO;
        for k in 0..=plan.samples {
            let name = format!("cold{k:03}");
            let (took, record) = s.first_invoke(&name, params).await?;
            if k == 0 {
                discarded = Some(took);
                continue;
            }
            rec.record(took);
            measured += took;
            breakdown.add(took.as_secs_f64() * 1000.0, &record);
        }
        Ok::<Summary, anyhow::Error>(rec.summary(measured))
    };
    let label = "(f) docker cold start, Node.js";
    measure_with(report, Scenario::DockerCold, label, 1, 1, cell).await;
    if let Some(d) = discarded {
        report
            .notes
            .push(format!("(f) the server's first cold start (not counted) took {:.0} ms.", d.as_secs_f64() * 1000.0));
    }
    report.breakdowns.push(breakdown);
    Ok(())
}

/// (g), (h), (j): the server with the manifest's stem cells.
async fn pooled(
    s: &Served<'_>,
    report: &mut Report,
    plan: &Plan,
    native: Option<&[u8]>,
    params: &Value,
) -> anyhow::Result<()> {
    let mut cells = StemCells::default();
    eprintln!("[docker] waiting for the stem cells");
    cells.settle(s.docker, &s.instance, NODE_STEM_CELLS).await?;
    if plan.prewarm {
        prewarmed(s, report, plan, params, &mut cells).await?;
    }
    if plan.warm {
        s.deploy_node("warm").await?;
        for &n in &plan.concurrencies {
            prime(s.server, "warm", n, params).await?;
            let min = cells.count();
            cells.settle(s.docker, &s.instance, min).await?;
            let callers = callers(s.server, "warm", n, params).await?;
            let label = "(h) docker warm, Node.js";
            measure(report, Scenario::DockerWarm, label, 1, callers, plan.window).await;
            if n == 1 {
                report.breakdowns.push(warm_records(s.server, "warm", "warm, Node.js (h)", params).await?);
            }
        }
    }
    if let Some(bin) = native {
        let code = base64::engine::general_purpose::STANDARD.encode(bin);
        s.server.deploy_exec("native", json!({ "kind": "native", "code": code })).await?;
        prime(s.server, "native", 1, params).await?;
        let min = cells.count();
        cells.settle(s.docker, &s.instance, min).await?;
        let callers = callers(s.server, "native", 1, params).await?;
        let label = "(j) docker warm, native SDK echo";
        measure(report, Scenario::NativeWarm, label, 1, callers, plan.window).await;
        report.breakdowns.push(warm_records(s.server, "native", "warm, native SDK echo (j)", params).await?);
    }
    Ok(())
}

/// (g) A new action per sample takes a stem cell; the next sample waits for the refill.
async fn prewarmed(
    s: &Served<'_>,
    report: &mut Report,
    plan: &Plan,
    params: &Value,
    cells: &mut StemCells,
) -> anyhow::Result<()> {
    let mut breakdown = Breakdown::new("prewarmed start, Node.js (g)");
    let mut cold_starts = vec![];
    let mut refill_waits = vec![];
    let cell = async {
        let mut rec = Recorder::new()?;
        let mut measured = Duration::ZERO;
        for k in 0..=plan.samples {
            let name = format!("prewarm{k:03}");
            let (took, record) = s.first_invoke(&name, params).await?;
            let was_cold = s.has_own_container(&name).await?;
            let min = if was_cold {
                cold_starts.push(k);
                cells.count()
            } else {
                cells.count() + 1
            };
            let waited = cells.settle(s.docker, &s.instance, min).await?;
            if k == 0 {
                continue;
            }
            refill_waits.push(waited.as_secs_f64());
            if !was_cold {
                rec.record(took);
                measured += took;
                breakdown.add(took.as_secs_f64() * 1000.0, &record);
            }
        }
        Ok::<Summary, anyhow::Error>(rec.summary(measured))
    };
    let label = "(g) docker prewarmed start, Node.js";
    measure_with(report, Scenario::DockerPrewarm, label, 1, 1, cell).await;
    if !cold_starts.is_empty() {
        report.notes.push(format!(
            "(g) samples {cold_starts:?} found no ready stem cell and started a container (not counted)."
        ));
    }
    if !refill_waits.is_empty() {
        let mean = refill_waits.iter().sum::<f64>() / refill_waits.len() as f64;
        report.notes.push(format!(
            "(g) after each sample the bench waited {mean:.1} s on average for the refilled stem cell to run \
             for {} s (docker ps every {} ms).",
            SETTLED.as_secs(),
            POLL.as_millis()
        ));
    }
    report.breakdowns.push(breakdown);
    Ok(())
}

/// `n` workers invoking `action`, each on its own connection.
pub(crate) async fn callers(
    server: &Server,
    action: &str,
    n: usize,
    params: &Value,
) -> anyhow::Result<Vec<crate::gust::GustCaller>> {
    let names: Arc<[String]> = vec![action.to_owned()].into();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(server.caller(&names, i, params).await?);
    }
    Ok(out)
}

/// Two rounds of `n` invokes at once, so that `n` containers of `action` are warm.
pub(crate) async fn prime(server: &Server, action: &str, n: usize, params: &Value) -> anyhow::Result<()> {
    eprintln!("[docker] warming {n} container(s) of {action}");
    for _ in 0..2 {
        let tasks: Vec<_> = callers(server, action, n, params)
            .await?
            .into_iter()
            .map(|mut c| tokio::spawn(async move { c.call().await }))
            .collect();
        for t in tasks {
            t.await.context("a warming call panicked")??;
        }
    }
    Ok(())
}

/// A few sequential warm invokes of `action`, read back from their records.
pub(crate) async fn warm_records(
    server: &Server,
    action: &str,
    label: &str,
    params: &Value,
) -> anyhow::Result<Breakdown> {
    let mut b = Breakdown::new(label);
    for _ in 0..WARM_RECORDS {
        let (took, id) = server.invoke_timed(action, params).await?;
        let record = server.activation(&id).await?;
        b.add(took.as_secs_f64() * 1000.0, &record);
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_baseline_runs_the_same_function() {
        let args = node_run_args();
        assert_eq!(args[..3], ["--entrypoint", "node", NODE_IMAGE]);
        assert!(args[4].starts_with(NODE_ECHO), "{}", args[4]);
    }

    #[test]
    fn the_pool_fits_every_sample() {
        let plan = Plan {
            cold: true,
            prewarm: true,
            warm: true,
            run: true,
            native: true,
            samples: 20,
            concurrencies: vec![1, 8],
            window: Window { warmup: Duration::ZERO, measure: Duration::ZERO },
            native_bin: PathBuf::new(),
        };
        // 21 samples + 8 warm + 3 stem cells + the native action, and a margin.
        assert!(plan.user_memory_mb() >= ACTION_MB * (21 + 8 + 3 + 1));
    }
}
