//! gust-controller: the OpenWhisk REST API in front of the bus.
//!
//! A request is authenticated ([`auth`]), parsed and validated at the edge ([`extract`],
//! [`routes`]: parse and answer, nothing else), and either answered from the stores or handed
//! to the invocation core ([`invocation`]): throttles ([`throttle`]), resolution through
//! packages and bindings with entitlement on the resource ([`resolve`], [`entitle`]), the
//! [`balancer`]'s choice of an invoker, publishing, and the wait for blocking calls on this
//! controller's completion topic ([`completion`]). Every error is an [`ApiError`] with
//! OpenWhisk's status and body ([`error`], [`envelope`]). The routes and their OpenAPI
//! description come from the same declarations ([`api_docs`], served at `/api/v1/api-docs`).
//!
//! The controller never talks to an invoker directly: only through the bus, even in one
//! process.

pub mod api_docs;
pub mod auth;
pub mod balancer;
pub mod chain;
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
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use error::ApiError;
pub use invocation::{Invocation, InvokeError, Outcome};
pub use serve::{
    DEFAULT_MAX_CONNECTIONS, ServeSettings, default_max_connections, raise_open_file_limit, serve, serve_all,
};
pub use state::{AppState, ControllerConfig, ControllerServices};

use routes::{actions, activations, docs, info, invoke, namespaces, packages, triggers};

/// The largest request body read (OpenWhisk: 50 MiB): entity PUTs read up to it; invokes
/// have their own, smaller limit ([`ControllerConfig::payload_max`]). Both are checked before
/// a body is buffered (see [`extract`]); the layer's limit is a backstop.
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
    tokio::spawn(chain::driver::consume(bus.clone(), state.clone()));
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

/// The routes and their OpenAPI description, made from the same declarations: each handler's
/// `#[utoipa::path]` gives its path, method and description, and `routes!` adds it to the
/// router and to the document at once (see [`api_docs`]).
fn described() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(api_docs::skeleton())
        .routes(routes!(info::ping))
        .routes(routes!(info::root))
        .routes(routes!(info::api_v1))
        .routes(routes!(docs::api_docs))
        .routes(routes!(docs::docs))
        .routes(routes!(namespaces::list))
        .routes(routes!(actions::list_top))
        .routes(routes!(actions::list_top_slash))
        .routes(routes!(actions::get, actions::put, actions::delete, invoke::invoke))
        // `actions/{pkg}/` names no action: other methods than GET are an unknown route (404),
        // as they were when one wildcard route served every path below `actions/`.
        .routes(routes!(actions::list_package).map(|methods| methods.fallback(unrouted)))
        .routes(routes!(
            actions::get_in_package,
            actions::put_in_package,
            actions::delete_in_package,
            invoke::invoke_in_package
        ))
        .routes(routes!(packages::list))
        .routes(routes!(packages::list_slash))
        .routes(routes!(packages::get, packages::put, packages::delete))
        .routes(routes!(triggers::list_triggers))
        .routes(routes!(triggers::list_triggers_slash))
        .routes(routes!(triggers::list_rules))
        .routes(routes!(triggers::list_rules_slash))
        .routes(routes!(namespaces::limits))
        .routes(routes!(namespaces::limits_below))
        .routes(routes!(activations::list))
        .routes(routes!(activations::list_slash))
        .routes(routes!(activations::get))
        .routes(routes!(activations::logs))
        .routes(routes!(activations::result))
}

/// Marks the answer of a method fallback that answers as an unknown route (so that the test
/// of the description against the router does not count it as a served operation).
#[derive(Debug, Clone, Copy)]
struct Unrouted;

/// An unknown route's 404, for methods a path does not serve.
async fn unrouted() -> axum::response::Response {
    let mut resp = axum::response::IntoResponse::into_response(ApiError::RouteNotFound);
    resp.extensions_mut().insert(Unrouted);
    resp
}

/// The router and the complete OpenAPI document it serves.
fn router_and_document() -> (Router<AppState>, OpenApi) {
    let (router, mut doc) = described().split_for_parts();
    api_docs::complete(&mut doc);
    (router, doc)
}

/// The OpenAPI 3 description of the API, as `GET /api/v1/api-docs` serves it.
pub fn openapi() -> OpenApi {
    router_and_document().1
}

/// The router, for serving or for in-process tests with `oneshot`.
pub fn app(state: AppState) -> Router {
    let (router, doc) = router_and_document();
    // Serialising a document of plain maps and strings cannot fail; an empty body would show.
    let json = serde_json::to_vec(&doc).unwrap_or_default();
    let routes = router
        .fallback(|| async { ApiError::RouteNotFound })
        .layer(axum::Extension(docs::ApiDocument(json.into())))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    // Around the whole router rather than each route: the envelope then sees the answers the
    // router itself makes (a 405 with its `Allow` header, an unknown route).
    Router::new().fallback_service(tower::Layer::layer(&axum::middleware::from_fn(envelope::envelope), routes))
}
