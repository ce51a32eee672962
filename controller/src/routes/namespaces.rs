//! `GET /api/v1/namespaces` (the caller's namespaces: exactly one) and
//! `GET .../namespaces/{ns}/limits` (its limits, with the namespace's overrides).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::api_docs::errors::{BadRequest, Forbidden};
use crate::api_docs::info::NamespaceLimits;
use crate::api_docs::params::{LimitsPartPath, NsPath};
use crate::auth::Caller;
use crate::entitle::{self, Privilege};
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::state::AppState;

/// List the caller's namespaces
///
/// Exactly one: the namespace of the credentials.
#[utoipa::path(get, path = "/api/v1/namespaces", operation_id = "listNamespaces", tag = "Namespaces",
    responses((status = 200, description = "The caller's namespace.", body = Vec<String>, example = json!(["guest"]))))]
pub(crate) async fn list(Caller(c): Caller) -> Json<Value> {
    Json(json!([c.namespace]))
}

/// Get a namespace's limits
///
/// The namespace's overrides where set, the system's values otherwise. Only its owner may read
/// them.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/limits", operation_id = "getLimits", tag = "Namespaces", params(NsPath),
    responses((status = 200, description = "The limits.", body = NamespaceLimits),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn limits(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path(ns): Path<String>,
) -> ApiResult<Json<Value>> {
    let ns = extract::namespace(&c, &ns)?;
    entitle::check(&c, Privilege::Read, &ns, None, || ns.clone())?;
    let cfg = &st.0.config;
    let t = st.0.throttler.limits(&c);
    let b = &cfg.bounds;
    Ok(Json(json!({
        "invocationsPerMinute": t.invocations_per_minute,
        "concurrentInvocations": t.concurrent_invocations,
        "firesPerMinute": t.fires_per_minute,
        "minActionMemory": b.min_memory,
        "maxActionMemory": b.max_memory,
        "minActionLogs": b.min_logs,
        "maxActionLogs": b.max_logs,
        "minActionTimeout": b.min_timeout,
        "maxActionTimeout": b.max_timeout,
        "minActionConcurrency": b.min_concurrency,
        "maxActionConcurrency": b.max_concurrency,
        "maxParameterSize": format!("{} B", cfg.parameters_max),
        "maxActionInstances": t.concurrent_invocations,
    })))
}

/// Below the limits
///
/// There is nothing below the limits: always 400.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/limits/{what}", operation_id = "getBelowLimits", tag = "Namespaces", params(LimitsPartPath),
    responses((status = 400, response = BadRequest)))]
pub(crate) async fn limits_below(Caller(_): Caller, Path((_, what)): Path<(String, String)>) -> ApiError {
    ApiError::BadRequest(format!("The limits have no part named '{what}'."))
}
