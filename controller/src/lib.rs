//! gust-controller: the OpenWhisk REST API in front of the bus.
//!
//! A request is authenticated ([`auth`]), parsed and validated at the edge ([`extract`],
//! [`routes`]: parse and answer, nothing else), and either answered from the stores or handed
//! to the invocation core ([`invocation`]): throttles ([`throttle`]), resolution through
//! packages and bindings with entitlement on the resource ([`resolve`], [`entitle`]), the
//! [`balancer`]'s choice of an invoker, publishing, and the wait for blocking calls on this
//! controller's completion topic ([`completion`]). Every error is an [`ApiError`] with
//! OpenWhisk's status and body ([`error`], [`envelope`]).
//!
//! The controller never talks to an invoker directly: only through the bus, even in one
//! process.

pub mod auth;
pub mod balancer;
mod completion;
pub mod entitle;
mod envelope;
pub mod error;
mod extract;
pub mod invocation;
mod recent;
pub mod resolve;
mod routes;
mod serve;
pub mod state;
pub mod throttle;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use error::ApiError;
pub use invocation::{Invocation, InvokeError, Outcome};
pub use serve::{serve, serve_all};
pub use state::{AppState, ControllerConfig, ControllerServices};

use routes::{actions, activations, info, invoke, namespaces, packages, triggers};

/// The largest request body the HTTP layer reads (OpenWhisk: 50 MiB); smaller limits per
/// route are checked by the handlers.
pub const MAX_BODY_BYTES: usize = 50 << 20;

/// Builds the controller's shared state and starts its completion consumer.
/// Must be called inside a tokio runtime.
pub fn start(config: ControllerConfig, services: ControllerServices) -> AppState {
    let resolved = resolve::ResolveCache::new(config.action_cache_ttl);
    let balancer = balancer::LoadBalancer::new(config.controllers, config.wasm_slots_per_invoker);
    let completions = completion::Completions::new(config.keep_recent_records);
    let throttler = throttle::Throttler::new(config.throttles, config.controllers);
    let auth = auth::AuthCache::new(config.auth_cache_ttl);
    let state = AppState(Arc::new(state::Inner { config, services, auth, resolved, completions, balancer, throttler }));
    let bus = state.0.services.bus.clone();
    let id = state.0.config.id.clone();
    tokio::spawn(completion::consume(bus, id, state.clone()));
    tokio::spawn(completion::expire(Arc::downgrade(&state.0)));
    tokio::spawn(throttle::forget_past_minutes(Arc::downgrade(&state.0)));
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
    let routes = Router::new()
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
        .route(&format!("{ns}/packages"), get(packages::list))
        .route(&format!("{ns}/packages/"), get(packages::list))
        .route(&format!("{ns}/packages/{{name}}"), get(packages::get).put(packages::put).delete(packages::delete))
        .route(&format!("{ns}/triggers"), get(triggers::list_triggers))
        .route(&format!("{ns}/triggers/"), get(triggers::list_triggers))
        .route(&format!("{ns}/rules"), get(triggers::list_rules))
        .route(&format!("{ns}/rules/"), get(triggers::list_rules))
        .route(&format!("{ns}/limits"), get(namespaces::limits))
        .route(&format!("{ns}/limits/{{what}}"), get(namespaces::limits_below))
        .route(&format!("{ns}/activations"), get(activations::list))
        .route(&format!("{ns}/activations/"), get(activations::list))
        .route(&format!("{ns}/activations/{{id}}"), get(activations::get))
        .route(&format!("{ns}/activations/{{id}}/logs"), get(activations::logs))
        .route(&format!("{ns}/activations/{{id}}/result"), get(activations::result))
        .fallback(|| async { ApiError::RouteNotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    // Around the whole router rather than each route: the envelope then sees the answers the
    // router itself makes (a 405 with its `Allow` header, an unknown route).
    Router::new().fallback_service(tower::Layer::layer(&axum::middleware::from_fn(envelope::envelope), routes))
}
