//! Actions: list, get, create/update, delete. (Invoking is in [`super::invoke`].)

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use gust_core::action::{Action, ActionPut};
use gust_core::entity::{Collection, Entity};
use gust_core::names::FullyQualifiedName;
use gust_core::package::PackageError;
use gust_core::store::EntityQuery;
use gust_core::subject::Identity;
use gust_core::time::now_ms;
use serde_json::Value;

use super::{QueryMap, entities};
use crate::auth::Caller;
use crate::entitle::{self, Privilege};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{extract, resolve};

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

/// A namespace segment may carry a package (`guest%2Fpkg`, as clients build URLs from an
/// action's `namespace` field): the namespace, and the package if it does.
fn split_namespace(ns: &str) -> (&str, Option<&str>) {
    match ns.split_once('/') {
        Some((ns, pkg)) => (ns, Some(pkg)),
        None => (ns, None),
    }
}

/// The action a path names, validated.
pub(crate) fn action_name(caller: &Identity, ns: &str, rest: &str) -> ApiResult<FullyQualifiedName> {
    let (ns, in_ns) = split_namespace(ns);
    match target(rest)? {
        Target::Action(None, name) => extract::entity(caller, ns, in_ns, &name),
        Target::Action(Some(pkg), name) if in_ns.is_none() => extract::entity(caller, ns, Some(&pkg), &name),
        _ => Err(ApiError::RouteNotFound),
    }
}

fn as_action(e: Entity) -> Option<Action> {
    match e {
        Entity::Action(a) => Some(a),
        _ => None,
    }
}

fn action_json(a: &Action) -> Json<Value> {
    Json(serde_json::to_value(a).unwrap_or(Value::Null))
}

/// `GET .../actions` (and `.../actions/`): the namespace's actions, those in its packages too.
pub(crate) async fn list_top(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    if let (ns, Some(pkg)) = split_namespace(&ns) {
        return list_package(&st, &c, ns, pkg, q.as_deref()).await;
    }
    let ns = extract::namespace(&c, &ns)?;
    entitle::check(&c, Privilege::Read, &ns, None, || ns.clone())?;
    entities::list(&st, EntityQuery::new(Collection::Actions, &ns), q.as_deref()).await
}

/// `GET .../actions/{rest}`: one action, or the actions of a package (`pkg/`).
pub(crate) async fn get(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, rest)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    if let Target::Package(pkg) = target(&rest)? {
        return list_package(&st, &c, &ns, &pkg, q.as_deref()).await;
    }
    let fqn = action_name(&c, &ns, &rest)?;
    let with_code = extract::query_bool("code", QueryMap::parse(q.as_deref())?.get("code"), true)?;
    let resolved = resolve::action(st.0.services.entities.as_ref(), &c, &fqn, Privilege::Read).await?;
    // Through a package (or binding), the action shows the parameters it runs with.
    let action = Action { parameters: resolved.parameters, ..resolved.action };
    Ok(if with_code { action_json(&action) } else { action_json(&action.without_code()) })
}

/// `GET .../actions/{pkg}/`: the actions of a package, or of what a binding binds.
async fn list_package(st: &AppState, c: &Identity, ns: &str, pkg: &str, q: Option<&str>) -> ApiResult<Json<Value>> {
    let fqn = extract::entity(c, ns, None, pkg)?;
    let chain = resolve::chain(st.0.services.entities.as_ref(), fqn.namespace(), &fqn.name).await?;
    entitle::check(c, Privilege::Read, fqn.namespace(), chain.as_ref().map(resolve::Chain::access).as_ref(), || {
        fqn.doc_id()
    })?;
    let real = chain.as_ref().and_then(resolve::Chain::real).ok_or(ApiError::NotFound)?.fqn();
    let query = EntityQuery::new(Collection::Actions, real.namespace()).in_package(&real.name);
    entities::list(st, query, q).await
}

/// Checks that `fqn` may be written by `c`: its namespace is the caller's, and its package,
/// when it has one, exists and is not a binding.
async fn writable(st: &AppState, c: &Identity, fqn: &FullyQualifiedName) -> ApiResult<()> {
    entitle::check(c, Privilege::Write, fqn.namespace(), None, || fqn.doc_id())?;
    if let Some(pkg) = fqn.package() {
        let chain = resolve::chain(st.0.services.entities.as_ref(), fqn.namespace(), pkg).await?;
        if chain.ok_or(ApiError::NotFound)?.named.doc.binding.is_some() {
            return Err(PackageError::OperationOnBinding.into());
        }
    }
    Ok(())
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
    let overwrite = extract::query_bool("overwrite", QueryMap::parse(q.as_deref())?.get("overwrite"), false)?;
    let put: ActionPut = extract::json_body(&headers, &body)?;
    let cfg = &st.0.config;
    check_sizes(&put, cfg.exec_max, cfg.parameters_max)?;
    writable(&st, &c, &fqn).await?;

    let existing = entities::existing(&st, &fqn.doc_id(), as_action).await?;
    entities::may_overwrite(existing.is_some(), overwrite)?;
    let action = match &existing {
        None => put.create(&fqn, &cfg.manifest, &cfg.bounds, now_ms()),
        Some((old, _)) => put.update(old, &cfg.manifest, &cfg.bounds, now_ms()),
    }
    .map_err(|e| ApiError::Malformed(e.to_string()))?;
    if put.exec.is_some() {
        st.0.services.preparer.prepare(&action.exec).await.map_err(|e| ApiError::BadRequest(e.0))?;
    }
    let entity = Entity::Action(action);
    entities::write(&st, &entity, existing.as_ref().map(|(_, rev)| rev)).await?;
    let Entity::Action(action) = entity else { return Err(ApiError::Internal("entity changed type".into())) };
    tracing::info!(action = %fqn, version = %action.meta.version, "Action written.");
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
    entities::check_params_size(put.parameters.as_ref(), put.annotations.as_ref(), params_max)
}

/// `DELETE .../actions/{rest}`: answers the deleted action.
pub(crate) async fn delete(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, rest)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let fqn = action_name(&c, &ns, &rest)?;
    writable(&st, &c, &fqn).await?;
    let (action, rev) = entities::existing(&st, &fqn.doc_id(), as_action).await?.ok_or(ApiError::NotFound)?;
    entities::remove(&st, &fqn.doc_id(), &rev).await?;
    tracing::info!(action = %fqn, "Action deleted.");
    Ok(action_json(&action))
}
