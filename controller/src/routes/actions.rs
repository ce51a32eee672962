//! Actions: list, get, create/update, delete, at the top of a namespace and inside packages.
//! (Invoking is in [`super::invoke`].)

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use gust_core::action::{Action, ActionPut};
use gust_core::entity::{Collection, Entity};
use gust_core::exec::Exec;
use gust_core::names::FullyQualifiedName;
use gust_core::package::PackageError;
use gust_core::store::EntityQuery;
use gust_core::subject::Identity;
use gust_core::time::now_ms;
use serde_json::Value;

use super::{QueryMap, entities};
use crate::api_docs::entities as wire;
use crate::api_docs::errors::{BadRequest, Conflict, Forbidden, NotFound, TooLarge, UnsupportedMediaType};
use crate::api_docs::params::{
    CodeQuery, EntityPath, ListQuery, NsPath, OverwriteQuery, PackageActionsPath, PackagedActionPath,
};
use crate::auth::Caller;
use crate::entitle::{self, Privilege};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{chain, extract, resolve};

/// A namespace segment may carry a package (`guest%2Fpkg`, as clients build URLs from an
/// action's `namespace` field): the namespace, and the package if it does.
fn split_namespace(ns: &str) -> (&str, Option<&str>) {
    match ns.split_once('/') {
        Some((ns, pkg)) => (ns, Some(pkg)),
        None => (ns, None),
    }
}

/// The action `ns[/pkg]/name` names, every segment validated; the package may come in the
/// namespace segment instead (never in both: that is no route).
pub(crate) fn action_name(c: &Identity, ns: &str, pkg: Option<&str>, name: &str) -> ApiResult<FullyQualifiedName> {
    let (ns, in_ns) = split_namespace(ns);
    if pkg.is_some() && in_ns.is_some() {
        return Err(ApiError::RouteNotFound);
    }
    extract::entity(c, ns, pkg.or(in_ns), name)
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

/// List the namespace's actions
///
/// Summaries, newest first, those inside the namespace's packages too (their `namespace` is
/// `ns/package`). Only the namespace's owner may list them.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/actions", operation_id = "listActions", tag = "Actions", params(NsPath, ListQuery),
    responses((status = 200, description = "The actions, or their count.", body = wire::ActionListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn list_top(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    if let (ns, Some(pkg)) = split_namespace(&ns) {
        return package_actions(&st, &c, ns, pkg, q.as_deref()).await;
    }
    let ns = extract::namespace(&c, &ns)?;
    entitle::check(&c, Privilege::Read, &ns, None, || ns.clone())?;
    entities::list(&st, EntityQuery::new(Collection::Actions, &ns), q.as_deref()).await
}

/// List the namespace's actions (with a trailing slash)
///
/// The same as without the slash.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/actions/", operation_id = "listActionsSlash", tag = "Actions", params(NsPath, ListQuery),
    responses((status = 200, description = "The actions, or their count.", body = wire::ActionListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn list_top_slash(
    st: State<AppState>,
    c: Caller,
    ns: Path<String>,
    q: RawQuery,
) -> ApiResult<Json<Value>> {
    list_top(st, c, ns, q).await
}

/// Get an action
///
/// With `code=false`, without its code.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/actions/{name}", operation_id = "getAction", tag = "Actions", params(EntityPath, CodeQuery),
    responses((status = 200, description = "The action.", body = wire::Action),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict)))]
pub(crate) async fn get(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, name)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    get_action(&st, &c, &ns, None, &name, q.as_deref()).await
}

/// Get an action of a package
///
/// Through a binding, the action of the bound package with the parameters it runs with there.
/// With `code=false`, without its code.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/actions/{pkg}/{name}", operation_id = "getPackageAction", tag = "Actions",
    params(PackagedActionPath, CodeQuery),
    responses((status = 200, description = "The action.", body = wire::Action),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict)))]
pub(crate) async fn get_in_package(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, pkg, name)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    get_action(&st, &c, &ns, Some(&pkg), &name, q.as_deref()).await
}

async fn get_action(
    st: &AppState,
    c: &Identity,
    ns: &str,
    pkg: Option<&str>,
    name: &str,
    q: Option<&str>,
) -> ApiResult<Json<Value>> {
    let fqn = action_name(c, ns, pkg, name)?;
    let with_code = extract::query_bool("code", QueryMap::parse(q)?.get("code"), true)?;
    let resolved = resolve::action(st.0.services.entities.as_ref(), c, &fqn, Privilege::Read).await?;
    // Through a package (or binding), the action shows the parameters it runs with.
    let action = Action { parameters: resolved.parameters, ..resolved.action };
    Ok(if with_code { action_json(&action) } else { action_json(&action.without_code()) })
}

/// List the actions of a package
///
/// For a binding, the actions of the bound package (their `namespace` is the bound package's
/// path).
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/actions/{pkg}/", operation_id = "listPackageActions", tag = "Actions",
    params(PackageActionsPath, ListQuery),
    responses((status = 200, description = "The actions, or their count.", body = wire::ActionListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
pub(crate) async fn list_package(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, pkg)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    if split_namespace(&ns).1.is_some() {
        return Err(ApiError::RouteNotFound);
    }
    package_actions(&st, &c, &ns, &pkg, q.as_deref()).await
}

/// The actions of package `ns/pkg`, or of what it binds, for a caller who may read it.
async fn package_actions(st: &AppState, c: &Identity, ns: &str, pkg: &str, q: Option<&str>) -> ApiResult<Json<Value>> {
    let fqn = extract::entity(c, ns, None, pkg)?;
    let store = st.0.services.entities.as_ref();
    let chain = resolve::entitled_chain(store, c, Privilege::Read, fqn.namespace(), &fqn.name, || fqn.doc_id()).await?;
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

/// Create or update an action
///
/// Creating needs `exec`; updating an existing action needs `overwrite=true` (else 409) and
/// merges the body into it. The code is checked (a Wasm module must compile) before anything
/// is written.
#[utoipa::path(put, path = "/api/v1/namespaces/{ns}/actions/{name}", operation_id = "putAction", tag = "Actions", params(EntityPath, OverwriteQuery),
    request_body(content = wire::ActionPut, content_type = "application/json", description = "The action."),
    responses((status = 200, description = "The action as stored.", body = wire::Action, links(
            ("get" = (operation_id = "getAction", parameters(("ns" = "$request.path.ns"), ("name" = "$request.path.name")))),
            ("invoke" = (operation_id = "invokeAction", parameters(("ns" = "$request.path.ns"), ("name" = "$request.path.name")))),
            ("delete" = (operation_id = "deleteAction", parameters(("ns" = "$request.path.ns"), ("name" = "$request.path.name"))))
        )),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 409, response = Conflict), (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMediaType)))]
pub(crate) async fn put(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, name)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let fqn = action_name(&c, &ns, None, &name)?;
    put_action(&st, &c, fqn, q.as_deref(), &headers, body).await
}

/// Create or update an action in a package
///
/// As for an action at the top of the namespace; the package must exist and not be a binding.
#[utoipa::path(put, path = "/api/v1/namespaces/{ns}/actions/{pkg}/{name}", operation_id = "putPackageAction", tag = "Actions",
    params(PackagedActionPath, OverwriteQuery),
    request_body(content = wire::ActionPut, content_type = "application/json", description = "The action."),
    responses((status = 200, description = "The action as stored.", body = wire::Action),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict),
        (status = 413, response = TooLarge), (status = 415, response = UnsupportedMediaType)))]
pub(crate) async fn put_in_package(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, pkg, name)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let fqn = action_name(&c, &ns, Some(&pkg), &name)?;
    put_action(&st, &c, fqn, q.as_deref(), &headers, body).await
}

async fn put_action(
    st: &AppState,
    c: &Identity,
    fqn: FullyQualifiedName,
    q: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let body = extract::body(headers, body, crate::MAX_BODY_BYTES).await?;
    let overwrite = extract::query_bool("overwrite", QueryMap::parse(q)?.get("overwrite"), false)?;
    let put: ActionPut = extract::json_body(headers, &body)?;
    let cfg = &st.0.config;
    check_sizes(&put, cfg.exec_max, cfg.parameters_max)?;
    writable(st, c, &fqn).await?;

    let existing = entities::existing(st, &fqn.doc_id(), as_action).await?;
    entities::may_overwrite(existing.is_some(), overwrite)?;
    let action = match &existing {
        None => put.create(&fqn, &cfg.manifest, &cfg.bounds, now_ms()),
        Some((old, _)) => put.update(old, &cfg.manifest, &cfg.bounds, now_ms()),
    }
    .map_err(|e| ApiError::Malformed(e.to_string()))?;
    let mut action = action;
    if let Some(components) = action.exec.components() {
        // `_` is the caller's namespace, resolved once, when written (as OpenWhisk does).
        let components: Vec<_> = components.iter().map(|n| n.resolve_default(&c.namespace)).collect();
        chain::validate::sequence(st.0.services.entities.as_ref(), c, &fqn, &components).await?;
        action.exec = Exec::Sequence { components };
    } else if put.exec.is_some() {
        st.0.services.preparer.prepare(&action.exec).await.map_err(|e| ApiError::BadRequest(e.0))?;
    }
    let entity = Entity::Action(action);
    entities::write(st, &entity, existing.as_ref().map(|(_, rev)| rev)).await?;
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

/// Delete an action
#[utoipa::path(delete, path = "/api/v1/namespaces/{ns}/actions/{name}", operation_id = "deleteAction", tag = "Actions", params(EntityPath),
    responses((status = 200, description = "The deleted action.", body = wire::Action),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict)))]
pub(crate) async fn delete(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let fqn = action_name(&c, &ns, None, &name)?;
    delete_action(&st, &c, fqn).await
}

/// Delete an action of a package
///
/// Not through a binding (400).
#[utoipa::path(delete, path = "/api/v1/namespaces/{ns}/actions/{pkg}/{name}", operation_id = "deletePackageAction", tag = "Actions",
    params(PackagedActionPath),
    responses((status = 200, description = "The deleted action.", body = wire::Action),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict)))]
pub(crate) async fn delete_in_package(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, pkg, name)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let fqn = action_name(&c, &ns, Some(&pkg), &name)?;
    delete_action(&st, &c, fqn).await
}

async fn delete_action(st: &AppState, c: &Identity, fqn: FullyQualifiedName) -> ApiResult<Json<Value>> {
    writable(st, c, &fqn).await?;
    let (action, rev) = entities::existing(st, &fqn.doc_id(), as_action).await?.ok_or(ApiError::NotFound)?;
    entities::remove(st, &fqn.doc_id(), &rev).await?;
    tracing::info!(action = %fqn, "Action deleted.");
    Ok(action_json(&action))
}
