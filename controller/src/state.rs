//! The controller's configuration, the services it is given, and the shared state handlers see.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use gust_core::bus::MessageBus;
use gust_core::exec::RuntimeManifest;
use gust_core::limits::LimitBounds;
use gust_core::messages::ControllerId;
use gust_core::prepare::ExecPreparer;
use gust_core::registry::InvokerRegistry;
use gust_core::store::{ActivationStore, EntityStore, SubjectStore};
use gust_core::user_limits::Throttles;

use crate::auth::AuthCache;
use crate::balancer::LoadBalancer;
use crate::completion::Completions;
use crate::resolve::ResolveCache;
use crate::throttle::Throttler;

/// What a controller is and how it behaves.
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    /// Its id: completions for its requests come on `completed{id}`.
    pub id: ControllerId,
    /// The runtime kinds it accepts.
    pub manifest: RuntimeManifest,
    /// Allowed action limits.
    pub bounds: LimitBounds,
    /// The longest a blocking invoke waits before answering 202 (OpenWhisk: 60 s).
    pub max_blocking_wait: Duration,
    /// The largest invoke payload, bytes (OpenWhisk: 1 MiB).
    pub payload_max: usize,
    /// The largest parameters or annotations of an entity, bytes (OpenWhisk: 1 MiB).
    pub parameters_max: usize,
    /// The largest `exec` (code + main + image), bytes (OpenWhisk: 48 MiB).
    pub exec_max: usize,
    /// How long a cached action resolution may be served before it is read again (other
    /// controllers may have changed it).
    pub action_cache_ttl: Duration,
    /// How long a verified credential is trusted before it is checked against the subject
    /// store again: a deleted or changed key stops working within this time on every
    /// controller (and changed namespace limits apply within it).
    pub auth_cache_ttl: Duration,
    /// The system's namespace throttles (per-namespace overrides come with the identity).
    pub throttles: Throttles,
    /// Controllers sharing the invokers: each counts 1/N of every invoker's capacity.
    pub controllers: u64,
    /// WebAssembly instance slots an invoker offers (its concurrent Wasm activations).
    pub wasm_slots_per_invoker: u64,
    /// Run a sequence whose components are all Wasm actions on one invoker, with no bus hop
    /// between its components (the fused path); off, every sequence is driven step by step.
    pub fuse_sequences: bool,
    /// Chains one controller drives at once; more wait on the `chains` topic.
    pub max_chains: usize,
    /// Keep the records handed to blocking callers for a while and serve reads of them:
    /// needed when invokers answer before the activation store can return the record (a
    /// remote store); not when the store reads its own pending writes (SQLite in one process).
    pub keep_recent_records: bool,
}

impl ControllerConfig {
    /// OpenWhisk's defaults for controller `id`.
    pub fn new(id: ControllerId) -> Self {
        Self {
            id,
            manifest: RuntimeManifest::default(),
            bounds: LimitBounds::default(),
            max_blocking_wait: Duration::from_secs(60),
            payload_max: 1 << 20,
            parameters_max: 1 << 20,
            exec_max: 48 << 20,
            action_cache_ttl: Duration::from_secs(5),
            auth_cache_ttl: Duration::from_secs(5),
            throttles: Throttles::default(),
            controllers: 1,
            wasm_slots_per_invoker: 256,
            keep_recent_records: true,
            fuse_sequences: true,
            max_chains: 1024,
        }
    }
}

/// The services a controller talks to (chosen by the binary, in one place).
#[derive(Clone)]
pub struct ControllerServices {
    /// Actions, packages, triggers and rules.
    pub entities: Arc<dyn EntityStore>,
    /// Activation records.
    pub activations: Arc<dyn ActivationStore>,
    /// Credentials and namespace limits.
    pub subjects: Arc<dyn SubjectStore>,
    /// Work out, completions in.
    pub bus: Arc<dyn MessageBus>,
    /// Live invokers.
    pub registry: Arc<dyn InvokerRegistry>,
    /// Checks and precompiles code at create time.
    pub preparer: Arc<dyn ExecPreparer>,
}

impl fmt::Debug for ControllerServices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControllerServices").finish_non_exhaustive()
    }
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState").field("config", &self.0.config).finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) config: ControllerConfig,
    pub(crate) services: ControllerServices,
    pub(crate) auth: AuthCache,
    pub(crate) resolved: ResolveCache,
    pub(crate) completions: Completions,
    pub(crate) balancer: LoadBalancer,
    pub(crate) throttler: Throttler,
}
