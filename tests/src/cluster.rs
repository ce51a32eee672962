//! A distributed Gust for the end-to-end tests: `gust controller` and `gust invoker`
//! processes sharing the real Kafka, CouchDB and Consul that `scripts/services/up` runs, each
//! test with its own cluster name, database prefix and topics so tests do not meet.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Api, Deployment, GUEST, free_port, gust_bin};

/// Where the services are (the defaults of scripts/services/*).
const CONSUL: &str = "http://127.0.0.1:8500";
const COUCHDB: &str = "http://127.0.0.1:5984";
const KAFKA: &str = "127.0.0.1:9092";

/// One role process.
#[derive(Debug)]
struct Role {
    child: Option<Child>,
    args: Vec<String>,
    log: PathBuf,
}

impl Role {
    fn spawn(args: &[String], log: PathBuf) -> Role {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()));
        let child = Command::new(gust_bin())
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start gust {args:?}: {e}"));
        Role { child: Some(child), args: args.to_vec(), log }
    }

    fn signal(&mut self, sig: &str) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill").args([sig, &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    fn restart(&mut self) {
        let log = self.log.clone();
        *self = Role::spawn(&self.args, log);
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Deployment for Cluster {
    fn api(&self) -> Api {
        Cluster::api(self, 0)
    }

    fn store_args(&self) -> Vec<String> {
        vec!["--config".into(), self.config_path().display().to_string()]
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        self.signal("-TERM");
    }
}

/// A running distributed deployment.
#[derive(Debug)]
pub struct Cluster {
    /// Its name in Consul (and the Docker instance prefix).
    pub name: String,
    /// Its CouchDB database prefix.
    pub prefix: String,
    controllers: Vec<(Role, String)>,
    invokers: Vec<Role>,
    dir: tempfile::TempDir,
}

/// Fails clearly when a service is not running (the test command starts them).
async fn ensure_services() {
    let consul = reqwest::get(format!("{CONSUL}/v1/status/leader")).await.is_ok();
    let couch = reqwest::get(COUCHDB).await.is_ok();
    let kafka = tokio::net::TcpStream::connect(KAFKA).await.is_ok();
    assert!(
        consul && couch && kafka,
        "the distributed tests need Kafka, CouchDB and Consul (consul: {consul}, couchdb: {couch}, kafka: {kafka}): \
         start them with scripts/services/up (scripts/test does)"
    );
}

impl Cluster {
    /// Starts `controllers` controllers and `invokers` invokers (ids 0..n), waits until every
    /// controller answers and every invoker is healthy in Consul. `invoker_extra` goes into
    /// the `[invoker]` section of the configuration.
    pub async fn start(controllers: usize, invokers: usize, invoker_extra: &str) -> Cluster {
        Self::start_configured(controllers, invokers, "", invoker_extra).await
    }

    /// As [`Cluster::start`], with `controller_extra` in the `[controller]` section too.
    pub async fn start_configured(
        controllers: usize,
        invokers: usize,
        controller_extra: &str,
        invoker_extra: &str,
    ) -> Cluster {
        ensure_services().await;
        let name = format!("t{}", crate::random_lower(10));
        let prefix = format!("{name}_");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let config = format!(
            "[controller]\ncontrollers = {controllers}\ndata_dir = \"{data}/controller\"\n\
             invocations_per_minute = {}\nconcurrent_invocations = {}\n{controller_extra}\n\n\
             [invoker]\ndata_dir = \"{data}/invoker\"\nwasm_instances = 64\n{invoker_extra}\n\n\
             [couchdb]\nurl = \"{COUCHDB}\"\nprefix = \"{prefix}\"\n\n\
             [kafka]\nbrokers = \"{KAFKA}\"\n\n\
             [consul]\nurl = \"{CONSUL}\"\ncluster = \"{name}\"\nttl = \"2s\"\n\n\
             [[subjects]]\nnamespace = \"guest\"\nauth = \"{}:{}\"\n",
            crate::THROTTLES.0,
            crate::THROTTLES.1,
            GUEST.0,
            GUEST.1,
            data = dir.path().display(),
        );
        let path = dir.path().join("gust.toml");
        std::fs::write(&path, config).unwrap_or_else(|e| panic!("write config: {e}"));
        let cfg = path.display().to_string();
        let mut c = Cluster { name, prefix, controllers: vec![], invokers: vec![], dir };
        for i in 0..controllers {
            let port = free_port();
            let args: Vec<String> =
                ["controller", "--config", &cfg, "--id", &format!("c{i}"), "--listen", &format!("127.0.0.1:{port}")]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect();
            let log = c.dir.path().join(format!("controller{i}.log"));
            c.controllers.push((Role::spawn(&args, log), format!("http://127.0.0.1:{port}")));
        }
        for i in 0..invokers {
            let args: Vec<String> =
                ["invoker", "--config", &cfg, "--id", &i.to_string()].iter().map(|s| (*s).to_owned()).collect();
            let log = c.dir.path().join(format!("invoker{i}.log"));
            c.invokers.push(Role::spawn(&args, log));
        }
        for i in 0..controllers {
            c.await_controller(i).await;
        }
        c.await_healthy(invokers, Duration::from_secs(120)).await;
        c
    }

    /// The base URL of controller `i` (`http://127.0.0.1:<port>`).
    pub fn url(&self, i: usize) -> &str {
        &self.controllers[i].1
    }

    /// A client of controller `i` with the guest key.
    pub fn api(&self, i: usize) -> Api {
        Api::new(&self.controllers[i].1, Some(GUEST))
    }

    /// Its configuration file.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("gust.toml")
    }

    async fn await_controller(&mut self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/ping", self.controllers[i].1);
        loop {
            if let Ok(r) = reqwest::get(&url).await
                && r.status().is_success()
            {
                return;
            }
            if let Some(ch) = self.controllers[i].0.child.as_mut()
                && let Ok(Some(status)) = ch.try_wait()
            {
                panic!("controller {i} exited: {status}\n{}", self.controllers[i].0.log_tail());
            }
            assert!(Instant::now() < deadline, "controller {i} never answered\n{}", self.controllers[i].0.log_tail());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The ids of this cluster's invokers that Consul reports passing.
    pub async fn healthy_invokers(&self) -> Vec<u32> {
        let url = format!("{CONSUL}/v1/health/service/gust-invoker?passing=true");
        let Ok(r) = reqwest::get(&url).await else { return vec![] };
        let Ok(list) = r.json::<serde_json::Value>().await else { return vec![] };
        let mut ids: Vec<u32> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["Service"]["Meta"]["gust_cluster"] == self.name.as_str())
            .filter_map(|e| e["Service"]["Meta"]["invoker_id"].as_str()?.parse().ok())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Waits until exactly `n` invokers are healthy.
    pub async fn await_healthy(&self, n: usize, within: Duration) -> Duration {
        let t = Instant::now();
        loop {
            let ids = self.healthy_invokers().await;
            if ids.len() == n {
                return t.elapsed();
            }
            assert!(
                t.elapsed() < within,
                "{n} healthy invokers expected, Consul says {ids:?}\n{}",
                self.invokers.iter().map(Role::log_tail).collect::<Vec<_>>().join("\n---\n")
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills invoker `i` with SIGKILL (no goodbye).
    pub fn kill_invoker(&mut self, i: usize) {
        self.invokers[i].signal("-KILL");
    }

    /// Stops invoker `i` gracefully (SIGTERM).
    pub fn stop_invoker(&mut self, i: usize) {
        self.invokers[i].signal("-TERM");
    }

    /// Starts invoker `i` again, with the same id.
    pub fn restart_invoker(&mut self, i: usize) {
        self.invokers[i].restart();
    }

    /// Kills controller `i` with SIGKILL.
    pub fn kill_controller(&mut self, i: usize) {
        self.controllers[i].0.signal("-KILL");
    }

    /// Controller `i`'s whole log.
    pub fn controller_log(&self, i: usize) -> String {
        std::fs::read_to_string(&self.controllers[i].0.log).unwrap_or_default()
    }

    /// The tail of every process's log (for failure messages).
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for (i, (r, _)) in self.controllers.iter().enumerate() {
            out.push_str(&format!("--- controller {i}\n{}\n", r.log_tail()));
        }
        for (i, r) in self.invokers.iter().enumerate() {
            out.push_str(&format!("--- invoker {i}\n{}\n", r.log_tail()));
        }
        out
    }

    /// Waits until every id in `ids` has a record in CouchDB (panics after `within`, with the
    /// processes' logs); returns what is stored then, as [`Cluster::stored_activation_ids`].
    pub async fn await_stored(&self, ids: &[String], within: Duration) -> std::collections::HashMap<String, usize> {
        let t = Instant::now();
        loop {
            let stored = self.stored_activation_ids().await;
            let missing = ids.iter().filter(|id| !stored.contains_key(id.as_str())).count();
            if missing == 0 {
                eprintln!("all {} accepted activations stored after {:?}", ids.len(), t.elapsed());
                return stored;
            }
            assert!(
                t.elapsed() < within,
                "{missing} of {} accepted activations have no record\n{}",
                ids.len(),
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Every activation id of namespace `guest` stored in CouchDB, with how often each occurs
    /// (read straight from the database, not through Gust).
    pub async fn stored_activation_ids(&self) -> std::collections::HashMap<String, usize> {
        let url = format!("{COUCHDB}/{}activations/_all_docs", self.prefix);
        let r = reqwest::get(&url).await.unwrap_or_else(|e| panic!("couchdb: {e}"));
        let v: serde_json::Value = r.json().await.unwrap_or_else(|e| panic!("couchdb: {e}"));
        let mut ids = std::collections::HashMap::new();
        for row in v["rows"].as_array().into_iter().flatten() {
            let id = row["id"].as_str().unwrap_or_default();
            if let Some(aid) = id.strip_prefix("guest/") {
                *ids.entry(aid.to_owned()).or_insert(0) += 1;
            }
        }
        ids
    }
}
