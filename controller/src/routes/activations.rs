//! Activations: list, get, `/logs`, `/result`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use gust_core::activation::Activation;
use gust_core::ids::ActivationId;
use gust_core::store::ActivationQuery;
use serde_json::{Value, json};

use super::QueryMap;
use crate::api_docs::activations as wire;
use crate::api_docs::errors::{BadRequest, Forbidden, NotFound};
use crate::api_docs::params::{ActivationPath, ActivationsQuery, NsPath};
use crate::auth::Caller;
use crate::entitle::{self, Privilege};
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::state::AppState;

fn epoch(v: Option<&str>) -> ApiResult<Option<u64>> {
    v.map(|s| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| ApiError::BadRequest(format!("Parameter is not a valid value for epoch seconds: {s}")))
    })
    .transpose()
}

/// List activations
///
/// Summaries, newest first (by start); full records with `docs=true`. Only the namespace's
/// owner may list them.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/activations", operation_id = "listActivations", tag = "Activations", params(NsPath, ActivationsQuery),
    responses((status = 200, description = "The activations, or their count.", body = wire::ActivationListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn list(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let ns = extract::namespace(&c, &ns)?;
    entitle::check(&c, Privilege::Read, &ns, None, || ns.clone())?;
    let q = QueryMap::parse(q.as_deref())?;
    let (skip, limit) = extract::paging("activations", q.get("skip"), q.get("limit"))?;
    let count = extract::query_bool("count", q.get("count"), false)?;
    let docs = extract::query_bool("docs", q.get("docs"), false)?;
    if count && docs {
        return Err(ApiError::BadRequest("The parameter 'docs' is not permitted with 'count'.".into()));
    }
    let name = match q.get("name").map(str::trim).filter(|n| !n.is_empty()) {
        None => None,
        Some(n) => {
            let segments: Vec<&str> = n.split('/').collect();
            if segments.len() > 2 || segments.iter().any(|s| gust_core::names::validate_entity_name(s).is_err()) {
                return Err(ApiError::BadRequest(format!(
                    "Parameter may be a 'simple' name or 'package-name/simple' name: {n}"
                )));
            }
            Some(n.to_owned())
        }
    };
    let query = ActivationQuery {
        namespace: ns,
        name,
        since: epoch(q.get("since"))?,
        upto: epoch(q.get("upto"))?,
        skip,
        limit,
        docs,
    };
    let store = &st.0.services.activations;
    if count {
        return Ok(Json(json!({"activations": store.count(&query).await?})));
    }
    let records = store.list(&query).await?;
    let view = if docs { Activation::user_view } else { Activation::summary };
    Ok(Json(Value::Array(records.iter().map(view).collect())))
}

/// List activations (with a trailing slash)
///
/// The same as without the slash.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/activations/", operation_id = "listActivationsSlash", tag = "Activations",
    params(NsPath, ActivationsQuery),
    responses((status = 200, description = "The activations, or their count.", body = wire::ActivationListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn list_slash(
    st: State<AppState>,
    c: Caller,
    ns: Path<String>,
    q: RawQuery,
) -> ApiResult<Json<Value>> {
    list(st, c, ns, q).await
}

async fn record(st: &AppState, c: &gust_core::subject::Identity, ns: &str, id: &str) -> ApiResult<Activation> {
    let ns = extract::namespace(c, ns)?;
    let id: ActivationId =
        id.parse().map_err(|e: gust_core::ids::ActivationIdError| ApiError::BadRequest(e.to_string()))?;
    entitle::check(c, Privilege::Read, &ns, None, || format!("{ns}/{id}"))?;
    // Completed here lately: the invoker may have answered before its store write landed.
    if let Some(r) = st.0.completions.recent.as_ref().and_then(|c| c.get(id)).filter(|r| r.namespace == ns.as_str()) {
        return Ok(Activation::clone(&r));
    }
    st.0.services.activations.get(&ns, id).await?.ok_or(ApiError::NotFound)
}

/// Get an activation
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/activations/{id}", operation_id = "getActivation", tag = "Activations", params(ActivationPath),
    responses((status = 200, description = "The record.", body = wire::Activation),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
pub(crate) async fn get(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(record(&st, &c, &ns, &id).await?.user_view()))
}

/// Get the logs of an activation
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/activations/{id}/logs", operation_id = "getActivationLogs", tag = "Activations", params(ActivationPath),
    responses((status = 200, description = "The log lines.", body = wire::ActivationLogs),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
pub(crate) async fn logs(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"logs": record(&st, &c, &ns, &id).await?.logs})))
}

/// Get the result of an activation
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/activations/{id}/result", operation_id = "getActivationResult", tag = "Activations",
    params(ActivationPath),
    responses((status = 200, description = "The outcome: status, success, result and size.", body = wire::ActivationResult),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
pub(crate) async fn result(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(record(&st, &c, &ns, &id).await?.response.user_view()))
}
