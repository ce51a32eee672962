//! Actions: list, get, create/update, delete. (Invoking is in [`super::invoke`].)

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use gust_core::action::{Action, ActionPut};
use gust_core::entity::{Collection, Entity};
use gust_core::names::FullyQualifiedName;
use gust_core::subject::Identity;
use gust_core::time::now_ms;
use serde_json::{Value, json};

use super::QueryMap;
use crate::auth::Caller;
use crate::cache::CachedAction;
use crate::error::{ApiError, ApiResult, conflict};
use crate::extract;
use crate::state::AppState;

/// What the path after `.../actions/` names.
pub(crate) enum Target {
    /// `pkg/` : the actions of a package.
    Package(String),
    /// `name` or `pkg/name`: one action.
    Action(Option<String>, String),
}

/// Splits the rest of an actions path.
pub(crate) fn target(rest: &str) -> ApiResult<Target> {
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [name] => Ok(Target::Action(None, (*name).to_owned())),
        [pkg, ""] => Ok(Target::Package((*pkg).to_owned())),
        [pkg, name] => Ok(Target::Action(Some((*pkg).to_owned()), (*name).to_owned())),
        _ => Err(ApiError::RouteNotFound),
    }
}

/// The action a path names, after auth, validation and entitlement.
pub(crate) fn action_name(caller: &Identity, ns: &str, rest: &str) -> ApiResult<FullyQualifiedName> {
    match target(rest)? {
        Target::Action(pkg, name) => extract::entity(caller, ns, pkg.as_deref(), &name),
        Target::Package(_) => Err(ApiError::RouteNotFound),
    }
}

/// The current revision of an action, from the cache or the store (404 / 409 as OpenWhisk).
pub(crate) async fn resolve(st: &AppState, fqn: &FullyQualifiedName) -> ApiResult<Arc<CachedAction>> {
    let doc_id = fqn.doc_id();
    if let Some(c) = st.0.actions.get(&doc_id) {
        return Ok(c);
    }
    let doc = st.0.services.entities.get(&doc_id).await?.ok_or(ApiError::NotFound)?;
    let action = doc.doc.as_action().ok_or(ApiError::Conflict(conflict::OTHER_COLLECTION))?;
    Ok(st.0.actions.put(doc_id, doc.rev, action))
}

fn action_json(a: &Action) -> Json<Value> {
    Json(serde_json::to_value(a).unwrap_or(Value::Null))
}

/// `GET .../actions` (and `.../actions/`).
pub(crate) async fn list_top(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    list(&st, &c, &ns, q.as_deref()).await
}

async fn list(st: &AppState, c: &Identity, ns: &str, q: Option<&str>) -> ApiResult<Json<Value>> {
    let ns = extract::namespace(c, ns)?;
    extract::entitled(c, &ns, || ns.clone())?;
    let q = QueryMap::parse(q)?;
    let (skip, limit) = extract::paging("actions", q.get("skip"), q.get("limit"))?;
    let entities = &st.0.services.entities;
    if extract::query_bool("count", q.get("count"), false)? {
        let n = entities.count(&ns, Collection::Actions).await?;
        return Ok(Json(json!({"actions": n.saturating_sub(skip as u64)})));
    }
    let docs = entities.list(&ns, Collection::Actions, skip, limit).await?;
    Ok(Json(Value::Array(docs.iter().filter_map(Entity::as_action).map(Action::summary).collect())))
}

/// `GET .../actions/{rest}`: one action, or the actions of a package (`pkg/`).
pub(crate) async fn get(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, rest)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    if let Target::Package(pkg) = target(&rest)? {
        // Packages come with a later capability; until then no package exists.
        extract::entity(&c, &ns, None, &pkg)?;
        return Err(ApiError::NotFound);
    }
    let fqn = action_name(&c, &ns, &rest)?;
    let q = QueryMap::parse(q.as_deref())?;
    let with_code = extract::query_bool("code", q.get("code"), true)?;
    let doc = st.0.services.entities.get(&fqn.doc_id()).await?.ok_or(ApiError::NotFound)?;
    let action = doc.doc.as_action().ok_or(ApiError::Conflict(conflict::OTHER_COLLECTION))?;
    Ok(if with_code { action_json(action) } else { action_json(&action.without_code()) })
}

/// `PUT .../actions/{rest}[?overwrite=true]`.
pub(crate) async fn put(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, rest)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let fqn = action_name(&c, &ns, &rest)?;
    let q = QueryMap::parse(q.as_deref())?;
    let overwrite = extract::query_bool("overwrite", q.get("overwrite"), false)?;
    let put: ActionPut = extract::json_body(&headers, &body)?;
    let cfg = &st.0.config;
    check_sizes(&put, cfg.exec_max, cfg.parameters_max)?;
    if fqn.package().is_some() {
        // No package exists yet, so no action can be created in one.
        return Err(ApiError::NotFound);
    }

    let entities = &st.0.services.entities;
    let doc_id = fqn.doc_id();
    let existing = entities.get(&doc_id).await?;
    let (action, rev) = match &existing {
        None => (
            put.create(&fqn, &cfg.manifest, &cfg.bounds, now_ms()).map_err(|e| ApiError::Malformed(e.to_string()))?,
            None,
        ),
        Some(doc) => {
            let old = doc.doc.as_action().ok_or(ApiError::Conflict(conflict::OTHER_COLLECTION))?;
            if !overwrite {
                return Err(ApiError::Conflict(conflict::EXISTS));
            }
            let updated = put
                .update(old, &cfg.manifest, &cfg.bounds, now_ms())
                .map_err(|e| ApiError::Malformed(e.to_string()))?;
            (updated, Some(&doc.rev))
        }
    };
    if put.exec.is_some() {
        st.0.services.preparer.prepare(&action.exec).await.map_err(|e| ApiError::BadRequest(e.0))?;
    }
    let entity = Entity::Action(action);
    match entities.put(&entity, rev).await {
        Ok(_) => {}
        Err(gust_core::store::StoreError::Conflict) => {
            return Err(ApiError::Conflict(if rev.is_none() { conflict::EXISTS } else { conflict::CONCURRENT }));
        }
        Err(e) => return Err(e.into()),
    }
    st.0.actions.invalidate(&doc_id);
    let Entity::Action(action) = entity else { return Err(ApiError::Internal("entity changed type".into())) };
    tracing::info!(action = %doc_id, version = %action.version, "Action written.");
    Ok(action_json(&action))
}

/// OpenWhisk's 413s for oversized code, parameters and annotations.
fn check_sizes(put: &ActionPut, exec_max: usize, params_max: usize) -> ApiResult<()> {
    if let Some(e) = &put.exec {
        let size = [&e.code, &e.main, &e.image].iter().map(|f| f.as_ref().map_or(0, String::len)).sum::<usize>();
        if size > exec_max {
            return Err(ApiError::TooLarge(format!("exec larger than allowed: {size} > {exec_max} bytes.")));
        }
    }
    for (field, p) in [("parameters", &put.parameters), ("annotations", &put.annotations)] {
        let size = p.as_ref().map_or(0, |p| p.size_bytes());
        if size > params_max {
            return Err(ApiError::TooLarge(format!("{field} larger than allowed: {size} > {params_max} bytes.")));
        }
    }
    Ok(())
}

/// `DELETE .../actions/{rest}`: answers the deleted action.
pub(crate) async fn delete(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, rest)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let fqn = action_name(&c, &ns, &rest)?;
    let entities = &st.0.services.entities;
    let doc_id = fqn.doc_id();
    let doc = entities.get(&doc_id).await?.ok_or(ApiError::NotFound)?;
    let action = doc.doc.as_action().ok_or(ApiError::Conflict(conflict::OTHER_COLLECTION))?;
    entities.delete(&doc_id, &doc.rev).await?;
    st.0.actions.invalidate(&doc_id);
    tracing::info!(action = %doc_id, "Action deleted.");
    Ok(action_json(action))
}
