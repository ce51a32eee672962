//! gust-controller: the OpenWhisk REST API in front of the bus.
//!
//! A request is authenticated ([`auth`]), parsed and validated at the edge ([`extract`],
//! [`routes`]), and either answered from the stores or turned into an `ActivationMessage`
//! published to the invoker the [`balancer`] picks. Blocking invokes wait for their result on
//! this controller's completion topic ([`completion`]). Every error is an [`ApiError`] with
//! OpenWhisk's status and body ([`error`], [`envelope`]).
//!
//! The controller never talks to an invoker directly: only through the bus, even in one
//! process.

pub mod auth;
pub mod balancer;
mod cache;
mod completion;
mod envelope;
pub mod error;
mod extract;
mod recent;
mod routes;
mod serve;
pub mod state;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use error::ApiError;
pub use serve::{serve, serve_all};
pub use state::{AppState, ControllerConfig, ControllerServices};

use routes::{actions, activations, info, invoke, namespaces};

/// The largest request body the HTTP layer reads (OpenWhisk: 50 MiB); smaller limits per
/// route are checked by the handlers.
pub const MAX_BODY_BYTES: usize = 50 << 20;

/// Builds the controller's shared state and starts its completion consumer.
/// Must be called inside a tokio runtime.
pub fn start(config: ControllerConfig, services: ControllerServices) -> AppState {
    let actions = cache::ActionCache::new(config.action_cache_ttl);
    let balancer = balancer::LoadBalancer::new(config.controllers, config.wasm_slots_per_invoker);
    let completions = completion::Completions::new(config.keep_recent_records);
    let state = AppState(Arc::new(state::Inner {
        config,
        services,
        auth: auth::AuthCache::default(),
        actions,
        completions,
        balancer,
    }));
    let bus = state.0.services.bus.clone();
    let id = state.0.config.id.clone();
    tokio::spawn(completion::consume(bus, id, state.clone()));
    tokio::spawn(completion::expire(Arc::downgrade(&state.0)));
    state
}

impl AppState {
    /// Forgets cached credentials (call after changing subjects).
    pub fn clear_auth_cache(&self) {
        self.0.auth.clear();
    }
}

/// The router, for serving or for in-process tests with `oneshot`.
pub fn app(state: AppState) -> Router {
    let ns = "/api/v1/namespaces/{ns}";
    Router::new()
        .route("/ping", get(info::ping))
        .route("/", get(info::root))
        .route("/api/v1", get(info::api_v1))
        .route("/api/v1/namespaces", get(namespaces::list))
        .route(&format!("{ns}/actions"), get(actions::list_top))
        .route(&format!("{ns}/actions/"), get(actions::list_top))
        .route(
            &format!("{ns}/actions/{{*rest}}"),
            get(actions::get).put(actions::put).delete(actions::delete).post(invoke::invoke),
        )
        .route(&format!("{ns}/activations"), get(activations::list))
        .route(&format!("{ns}/activations/"), get(activations::list))
        .route(&format!("{ns}/activations/{{id}}"), get(activations::get))
        .route(&format!("{ns}/activations/{{id}}/logs"), get(activations::logs))
        .route(&format!("{ns}/activations/{{id}}/result"), get(activations::result))
        .fallback(|| async { ApiError::RouteNotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(envelope::envelope))
        .with_state(state)
}
