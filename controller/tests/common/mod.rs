//! What the controller's in-process tests share: services on in-memory stores, the
//! in-process bus and an empty local registry, with OpenWhisk's guest credential.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses its part; a failed unwrap is a failed test

use std::sync::Arc;

use async_trait::async_trait;
use gust_controller::ControllerServices;
use gust_core::bus::InProcessBus;
use gust_core::exec::Exec;
use gust_core::memory::{MemoryActivationStore, MemoryEntityStore, MemorySubjectStore};
use gust_core::prepare::{ExecPreparer, ExecRejected};
use gust_core::registry::LocalRegistry;
use gust_core::store::SubjectStore;
use gust_core::subject::{AuthKey, GUEST_AUTH, SubjectRecord};

/// Accepts any code: module validation is the Wasm engine's job, tested with it.
pub(crate) struct AcceptAll;

#[async_trait]
impl ExecPreparer for AcceptAll {
    async fn prepare(&self, _exec: &Exec) -> Result<(), ExecRejected> {
        Ok(())
    }
}

/// Services on fresh in-memory stores (guest's key known), the in-process bus and no invoker.
pub(crate) async fn services() -> ControllerServices {
    let subjects = Arc::new(MemorySubjectStore::default());
    let key: AuthKey = GUEST_AUTH.parse().unwrap();
    subjects.put_subject(SubjectRecord::new("guest", "guest", &key)).await.unwrap();
    ControllerServices {
        entities: Arc::new(MemoryEntityStore::default()),
        activations: Arc::new(MemoryActivationStore::default()),
        subjects,
        bus: Arc::new(InProcessBus::new()),
        registry: Arc::new(LocalRegistry::new()),
        preparer: Arc::new(AcceptAll),
    }
}

/// A small valid action (an empty Wasm module): the body of [`begin_put`]'s PUT.
pub(crate) const ACTION: &str = r#"{"exec": {"kind": "wasm:wasip1", "code": "AGFzbQEAAAA="}}"#;

/// Sends the head of a PUT of action `name` (body: [`ACTION`]) with `Expect: 100-continue`
/// and waits for `100 Continue`: from then on the request is in flight, its handler reading
/// the body.
pub(crate) async fn begin_put(addr: std::net::SocketAddr, name: &str) -> tokio::io::BufReader<tokio::net::TcpStream> {
    use base64::Engine as _;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let auth = base64::engine::general_purpose::STANDARD.encode(GUEST_AUTH);
    let mut conn = tokio::io::BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
    let head = format!(
        "PUT /api/v1/namespaces/_/actions/{name} HTTP/1.1\r\nhost: gust\r\nauthorization: Basic {auth}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\r\n",
        ACTION.len()
    );
    conn.get_mut().write_all(head.as_bytes()).await.unwrap();
    let mut line = String::new();
    conn.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line:?}");
    line.clear();
    conn.read_line(&mut line).await.unwrap();
    assert_eq!(line, "\r\n");
    conn
}
