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
