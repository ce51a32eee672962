//! `GET /api/v1/namespaces` (the caller's namespaces: exactly one) and
//! `GET .../namespaces/{ns}/limits` (its limits, with the namespace's overrides).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::entitle::{self, Privilege};
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::state::AppState;

/// `GET /api/v1/namespaces`.
pub(crate) async fn list(Caller(c): Caller) -> Json<Value> {
    Json(json!([c.namespace]))
}

/// `GET .../namespaces/{ns}/limits`: OpenWhisk's limits object, the namespace's overrides
/// where set and the system's values otherwise.
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

/// `GET .../namespaces/{ns}/limits/{anything}`: there is nothing below the limits (400).
pub(crate) async fn limits_below(Caller(_): Caller, Path((_, what)): Path<(String, String)>) -> ApiError {
    ApiError::BadRequest(format!("The limits have no part named '{what}'."))
}
