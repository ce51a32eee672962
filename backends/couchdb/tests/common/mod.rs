//! What the integration tests share: the real server's URL, a store on fresh databases that
//! are deleted afterwards, and raw HTTP access for looking at what was stored.

#![allow(dead_code, unreachable_pub)]

use std::ops::Deref;
use std::time::Duration;

use gust_core::ids::ActivationId;
use gust_couchdb::{CouchConfig, CouchStore};
use serde_json::Value;

/// How to get a server when there is none.
pub const HINT: &str = "start it with scripts/services/couchdb start (or point GUST_TEST_COUCHDB at a CouchDB)";

/// The server the tests use: `GUST_TEST_COUCHDB`, by default pouchdb-server on 127.0.0.1:5984.
pub fn server_url() -> String {
    std::env::var("GUST_TEST_COUCHDB")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:5984".into())
        .trim_end_matches('/')
        .to_owned()
}

/// Fails the test with a clear message when the server does not answer `GET /`.
pub async fn require_server() -> String {
    let url = server_url();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client");
    match client.get(format!("{url}/")).send().await {
        Ok(r) if r.status().is_success() => url,
        Ok(r) => panic!("the CouchDB server at {url} answered GET / with {}; {HINT}", r.status()),
        Err(e) => panic!("no CouchDB server answers at {url} ({e}); {HINT}"),
    }
}

/// A database prefix no other test or run uses.
pub fn random_prefix() -> String {
    format!("gust_t{}_", &ActivationId::generate().to_string()[..16])
}

/// A store on its own fresh databases, deleted when this is dropped (even after a panic).
pub struct TestStore {
    pub store: CouchStore,
    pub url: String,
    pub prefix: String,
}

impl TestStore {
    /// Opens a store with a random prefix on the test server.
    pub async fn open() -> TestStore {
        TestStore::open_with(|c| c).await
    }

    /// Like [`TestStore::open`], with the configuration adjusted by `f`.
    pub async fn open_with(f: impl FnOnce(CouchConfig) -> CouchConfig) -> TestStore {
        let url = require_server().await;
        let prefix = random_prefix();
        let config = f(CouchConfig::new(url.clone()).with_db_prefix(prefix.clone()));
        let store = CouchStore::open(config).await.expect("open the CouchDB store");
        TestStore { store, url, prefix }
    }

    /// The configuration of this store (to open another store on the same databases).
    pub fn config(&self) -> CouchConfig {
        CouchConfig::new(self.url.clone()).with_db_prefix(self.prefix.clone())
    }

    /// `GET` of a raw server path (segments already encoded), as JSON.
    pub async fn raw_get(&self, path: &str) -> (u16, Value) {
        raw(reqwest::Method::GET, &format!("{}/{path}", self.url), None).await
    }
}

/// One raw request to the server, answered as status and JSON.
pub async fn raw(method: reqwest::Method, url: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method, url);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let reply = req.send().await.expect("raw request");
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

impl Deref for TestStore {
    type Target = CouchStore;

    fn deref(&self) -> &CouchStore {
        &self.store
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let url = self.url.clone();
        let dbs: Vec<String> = self.store.databases().all().iter().map(|s| (*s).to_owned()).collect();
        // Drop cannot await: delete on a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async {
                let client = reqwest::Client::new();
                for db in dbs {
                    let _ = client.delete(format!("{url}/{db}")).send().await;
                }
            });
        })
        .join();
    }
}
