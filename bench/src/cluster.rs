//! A distributed Gust for (k) and (l): one `gust controller` and one `gust invoker` on the
//! Kafka, CouchDB and Consul that `scripts/services/up` runs on loopback, with a cluster name
//! and database prefix of their own. Stopping it removes its CouchDB databases.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::HOST;
use hyper::{Method, Request, StatusCode};
use tokio::net::TcpStream;

use crate::gust::{GUEST_AUTH, Server, connect, free_port, spawn};
use crate::tempdir::TempDir;

/// Where the services listen (the defaults of scripts/services/*).
const COUCHDB: &str = "127.0.0.1:5984";
const KAFKA: &str = "127.0.0.1:9092";
const CONSUL: &str = "127.0.0.1:8500";

/// The databases a deployment creates, after its prefix.
const DATABASES: [&str; 3] = ["subjects", "whisks", "activations"];

/// What the invoker may run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Invoker {
    /// Wasm only (`docker = "off"`).
    Wasm,
    /// Docker too, without stem cells (none refilling while measured), with this much memory
    /// for action containers, MB.
    Docker { user_memory_mb: u64 },
}

/// A running distributed deployment.
#[derive(Debug)]
pub(crate) struct Cluster {
    /// The controller's API (the first process) and both processes.
    pub(crate) server: Server,
    /// Its name in Consul, and the prefix of its Kafka topics.
    pub(crate) name: String,
    /// The label its invoker's containers carry (`gust.invoker=<instance>`).
    pub(crate) instance: String,
    prefix: String,
}

/// Fails with the way out when a service does not answer.
pub(crate) async fn check_services() -> anyhow::Result<()> {
    let mut down = vec![];
    for (name, addr) in [("Kafka", KAFKA), ("CouchDB", COUCHDB), ("Consul", CONSUL)] {
        if TcpStream::connect(addr).await.is_err() {
            down.push(format!("{name} ({addr})"));
        }
    }
    if !down.is_empty() {
        bail!("{} not running: scripts/services/up starts Kafka, CouchDB and Consul on loopback", down.join(", "));
    }
    Ok(())
}

/// Process ids of the services, from the pid files of scripts/services (their CPU is part of
/// a distributed deployment's cost, not a disturbance).
pub(crate) fn service_pids() -> Vec<u32> {
    let dir = std::env::var("GUST_SERVICES_DIR").unwrap_or_else(|_| "/var/tmp/gust-services".into());
    [("kafka", "kafka.pid"), ("couchdb", "pouchdb-server.pid"), ("consul", "consul.pid")]
        .iter()
        .filter_map(|(sub, file)| std::fs::read_to_string(Path::new(&dir).join(sub).join(file)).ok())
        .filter_map(|t| t.trim().parse().ok())
        .collect()
}

impl Cluster {
    /// Starts one controller and one invoker (id 0) and waits until the controller answers
    /// and has seen the invoker healthy (its first invoke succeeds).
    pub(crate) async fn start(bin: &Path, invoker: Invoker) -> anyhow::Result<Self> {
        check_services().await?;
        let dir = TempDir::new("gust-cluster")?;
        let name = format!("bench{}{}", std::process::id(), unique());
        let prefix = format!("{name}_");
        let invoker_section = match invoker {
            Invoker::Wasm => String::from("docker = \"off\"\n"),
            Invoker::Docker { user_memory_mb } => {
                format!("docker = \"auto\"\nprewarm = false\nuser_memory_mb = {user_memory_mb}\n")
            }
        };
        let config = format!(
            "[controller]\ncontrollers = 1\ndata_dir = \"{data}/controller\"\n\
             invocations_per_minute = {unthrottled}\nconcurrent_invocations = {unthrottled}\n\n\
             [invoker]\ndata_dir = \"{data}/invoker\"\n{invoker_section}\n\
             [couchdb]\nurl = \"http://{COUCHDB}\"\nprefix = \"{prefix}\"\n\n\
             [kafka]\nbrokers = \"{KAFKA}\"\n\n\
             [consul]\nurl = \"http://{CONSUL}\"\ncluster = \"{name}\"\nttl = \"5s\"\n\n\
             [[subjects]]\nnamespace = \"guest\"\nauth = \"{GUEST_AUTH}\"\n",
            data = dir.path().display(),
            unthrottled = crate::gust::UNTHROTTLED,
        );
        let cfg = dir.path().join("gust.toml");
        std::fs::write(&cfg, config).context("cannot write the cluster configuration")?;
        let cfg = cfg.display().to_string();
        let port = free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let controller = ["controller", "--config", &cfg, "--id", "0", "--listen", &listen];
        let invoker = ["invoker", "--config", &cfg, "--id", "0"];
        let owned = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let procs = vec![spawn(bin, &owned(&controller), &dir)?, spawn(bin, &owned(&invoker), &dir)?];
        let instance = format!("{name}i0");
        let server = Server::adopt(procs, port, dir, "gust controller + invoker").await?;
        Ok(Self { server, name, instance, prefix })
    }

    /// Stops both processes (SIGTERM), then drops the deployment's CouchDB databases.
    /// Returns the records the controller counted before stopping.
    pub(crate) async fn stop(self) -> anyhow::Result<Option<u64>> {
        let persisted = self.server.stop().await;
        for db in DATABASES {
            if let Err(e) = delete(&format!("/{}{db}", self.prefix)).await {
                eprintln!("[cluster] cannot drop the CouchDB database {}{db}: {e:#}", self.prefix);
            }
        }
        Ok(persisted?.records)
    }
}

/// A few characters that differ between runs of the same process.
fn unique() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{:x}", nanos & 0xfffff)
}

/// `DELETE path` on CouchDB (a missing database is fine).
async fn delete(path: &str) -> anyhow::Result<()> {
    let mut sender = connect(COUCHDB.parse()?).await?;
    let req =
        Request::builder().method(Method::DELETE).uri(path).header(HOST, COUCHDB).body(Full::new(Bytes::new()))?;
    let resp = tokio::time::timeout(Duration::from_secs(30), sender.send_request(req)).await??;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    if !status.is_success() && status != StatusCode::NOT_FOUND {
        bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(())
}
