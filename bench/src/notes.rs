//! The notes printed under the tables: what each row is, and what this run saw.

use crate::report::{self, Path as Scenario, Report};

/// What the reader needs to know to read the tables.
pub(crate) fn notes(report: &Report, concurrencies: &[usize]) -> Vec<String> {
    let mut out = vec![
        String::from(
            "(a) runs instantiate + _start of a fresh instance per call in this process: no HTTP, auth, bus or store.",
        ),
        String::from(
            "(b)/(d) are blocking result=true invokes to `gust standalone` (--docker off: no prewarmed \
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
    let ran = |p: Scenario| report.cells.iter().any(|c| c.path == p);
    if ran(Scenario::Ping) {
        out.push(String::from(
            "(e) is GET /ping on the server of (b), same connections and concurrency: HTTP/1.1 and routing, no auth, \
             JSON, bus, invoker or store. b/e is what a blocking invoke adds to any request. At concurrency 1 on an \
             idle VM, (e) is mostly wake-up latency (each hop between client and server wakes a halted vCPU): \
             compare throughput at 8 and 64.",
        ));
    }
    if [Scenario::DockerCold, Scenario::DockerPrewarm, Scenario::DockerWarm, Scenario::DockerRun]
        .into_iter()
        .chain([Scenario::NativeWarm, Scenario::NativeRun])
        .any(ran)
    {
        out.push(String::from(
            "(f) each sample creates a new Node.js action (nodejs:18, `function main(p){return p}`) on a server \
             started with --docker auto --prewarm false, and times its first blocking result=true invoke: container \
             create + start, /init, /run. (g) the same on a server with the manifest's stem cells (2 Node.js, \
             1 Python): the invoke takes a stem cell (/init + /run); before the next sample the bench waits until \
             the refilled stem cell has been running 1 s. (f)/(g): one discarded sample first, then one cold or \
             prewarmed start per sample (no calls/s). Both servers get enough --user-memory that nothing is evicted.",
        ));
        out.push(String::from(
            "(h) one Node.js action invoked warm on the server of (g) (concurrency N keeps N containers warm: one \
             activation per container at a time). (i) `docker run --rm -i --entrypoint node gust/runtime-nodejs:18 \
             -e <the same function, reading stdin>` per call. (j) the SDK's echo compiled natively, deployed as kind \
             native (the binary, base64) and invoked warm, and `docker run --rm` of that binary mounted in \
             gust/runtime-native:1. Each server is stopped with SIGTERM (it removes its containers) and the bench \
             checks that none is left.",
        ));
        out.push(String::from(
            "In the Docker cells 'other CPU' also leaves out the Docker engine: dockerd, containerd, every \
             container shim and what runs under it (other deployments' containers included).",
        ));
    }
    if ran(Scenario::DistWasm) || ran(Scenario::DistDocker) {
        out.push(String::from(
            "(k)/(l) run on a `gust controller` and a `gust invoker` (separate processes, config from the bench) on \
             the Kafka, CouchDB and Consul of scripts/services/up, with a cluster name and database prefix of their \
             own: every blocking invoke goes controller -> Kafka topic <cluster>.invoker0 -> invoker -> Kafka topic \
             <cluster>.completed0 -> controller, and its record is written to CouchDB (pouchdb-server here). (k) is \
             the Wasm echo as in (b); (l) the warm Node.js echo as in (h) (no stem cells; N containers warmed first). \
             Before the first cell of each, a discarded load at the widest concurrency for five warm-ups (5 s) lets \
             Kafka's JVM compile its hot paths: right after a broker (re)start latencies are about twice as high. \
             'other CPU' leaves out the services too: their cost is part of the deployment's. Their CouchDB \
             databases are dropped at the end.",
        ));
    }
    if ran(Scenario::SeqSingle)
        || report.cells.iter().any(|c| matches!(c.path, Scenario::SeqFused { .. } | Scenario::SeqDriven { .. }))
    {
        out.push(String::from(
            "(m) blocking result=true invokes, as in (b), of sequences whose components are all the echo action \
             (`exec.kind: sequence`, components [\"/_/echo\", ...]): each component's result is the next one's \
             input, and the answer is the last one's. 'fused' is `gust standalone --docker off` (every component is \
             Wasm, so the whole sequence goes to one invoker as one message and runs there with no bus hop); \
             'driven' is a second server with `--fused-sequences false` (the controller publishes each component \
             on the bus and waits for its completion). 'single echo' is one echo invoke on the fused server, \
             measured back to back with its sequences at each concurrency. Every sequence stores its own record \
             and one per component.",
        ));
    }
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
