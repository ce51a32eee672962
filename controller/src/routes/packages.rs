//! Packages and bindings: list, get, create/update, delete.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use gust_core::entity::{Collection, Entity};
use gust_core::names::FullyQualifiedName;
use gust_core::package::{Binding, Package, PackageError, PackagePut, check_package_name};
use gust_core::store::EntityQuery;
use gust_core::subject::Identity;
use gust_core::time::now_ms;
use serde_json::{Value, json};

use super::{QueryMap, entities};
use crate::api_docs::entities as wire;
use crate::api_docs::errors::{
    BadRequest, Conflict, Forbidden, NotFound, TooLarge, Unprocessable, UnsupportedMediaType,
};
use crate::api_docs::params::{ForceQuery, ListQuery, NsPath, OverwriteQuery, PackagePath};
use crate::auth::Caller;
use crate::entitle::{self, Privilege};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{extract, resolve};

fn as_package(e: Entity) -> Option<Package> {
    match e {
        Entity::Package(p) => Some(p),
        _ => None,
    }
}

fn package_json(p: &Package) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

/// List packages
///
/// All of the caller's own; of another namespace, only its shared packages (not bindings).
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/packages", operation_id = "listPackages", tag = "Packages", params(NsPath, ListQuery),
    responses((status = 200, description = "The packages, or their count.", body = wire::PackageListing),
        (status = 400, response = BadRequest)))]
pub(crate) async fn list(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let ns = extract::namespace(&c, &ns)?;
    let mut query = EntityQuery::new(Collection::Packages, &ns);
    if !entitle::owns(&c, &ns) {
        query = query.public();
    }
    entities::list(&st, query, q.as_deref()).await
}

/// List packages (with a trailing slash)
///
/// The same as without the slash.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/packages/", operation_id = "listPackagesSlash", tag = "Packages", params(NsPath, ListQuery),
    responses((status = 200, description = "The packages, or their count.", body = wire::PackageListing),
        (status = 400, response = BadRequest)))]
pub(crate) async fn list_slash(
    st: State<AppState>,
    c: Caller,
    ns: Path<String>,
    q: RawQuery,
) -> ApiResult<Json<Value>> {
    list(st, c, ns, q).await
}

/// Get a package
///
/// The package with its actions and feeds; for a binding, the binding with the bound package's
/// parameters under its own, and the bound package's actions.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/packages/{name}", operation_id = "getPackage", tag = "Packages", params(PackagePath),
    responses((status = 200, description = "The package.", body = wire::PackageWithContents),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict)))]
pub(crate) async fn get(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let fqn = extract::entity(&c, &ns, None, &name)?;
    let store = st.0.services.entities.as_ref();
    let chain =
        resolve::entitled_chain(store, &c, Privilege::Read, fqn.namespace(), &fqn.name, || fqn.doc_id()).await?;
    let Some(chain) = chain else {
        // Not a package: another collection's entity (409), or nothing (404).
        entities::existing(&st, &fqn.doc_id(), as_package).await?;
        return Err(ApiError::NotFound);
    };
    let mut doc = package_json(&Package { parameters: chain.parameters(), ..chain.named.doc.clone() });
    let (actions, feeds) = match chain.real() {
        Some(real) => contents(&st, &real.fqn()).await?,
        None => (Vec::new(), Vec::new()),
    };
    doc["actions"] = Value::Array(actions);
    doc["feeds"] = Value::Array(feeds);
    Ok(Json(doc))
}

/// The actions of package `pkg` as `GET` of a package lists them (`name`, `version`,
/// `annotations`), and those of them that are feeds.
async fn contents(st: &AppState, pkg: &FullyQualifiedName) -> ApiResult<(Vec<Value>, Vec<Value>)> {
    let mut actions = Vec::new();
    let mut feeds = Vec::new();
    let query = EntityQuery::new(Collection::Actions, pkg.namespace()).in_package(&pkg.name);
    for e in each(st, query).await? {
        let m = e.meta();
        let item = json!({"name": m.name, "version": m.version, "annotations": m.annotations});
        if m.annotations.get("feed").is_some() {
            feeds.push(item.clone());
        }
        actions.push(item);
    }
    Ok((actions, feeds))
}

/// Every entity `query` selects, page by page.
async fn each(st: &AppState, query: EntityQuery) -> ApiResult<Vec<Entity>> {
    const PAGE: usize = 200;
    let mut all = Vec::new();
    loop {
        let page = st.0.services.entities.list(&query.clone().page(all.len(), PAGE)).await?;
        let done = page.len() < PAGE;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// The right to bind `b` (checked first): a package of another namespace must exist and be
/// shared, else 403 (which says nothing of its existence).
async fn may_bind(st: &AppState, c: &Identity, b: &Binding) -> ApiResult<Option<Entity>> {
    let found = st.0.services.entities.get(&b.doc_id()).await?.map(|v| v.doc);
    if !entitle::owns(c, &b.namespace) && !matches!(&found, Some(Entity::Package(p)) if p.meta.publish) {
        return Err(ApiError::Forbidden(b.doc_id()));
    }
    Ok(found)
}

/// What a binding binds must be another package (422 for itself) that exists (400), is a
/// package (409) and is not a binding (400).
fn check_bound(fqn: &FullyQualifiedName, b: &Binding, found: Option<Entity>) -> ApiResult<()> {
    if b.doc_id() == fqn.doc_id() {
        return Err(PackageError::Circular(fqn.name.clone()).into());
    }
    match found {
        None => Err(PackageError::BindingMissing.into()),
        Some(Entity::Package(p)) if p.binding.is_some() => Err(PackageError::BindingToBinding.into()),
        Some(Entity::Package(_)) => Ok(()),
        Some(_) => Err(PackageError::BindingNotPackage.into()),
    }
}

/// Create or update a package or binding
///
/// With `binding`, a binding of a package of the caller's or a shared one. Updating an existing
/// package needs `overwrite=true` (else 409); a package cannot become a binding.
#[utoipa::path(put, path = "/api/v1/namespaces/{ns}/packages/{name}", operation_id = "putPackage", tag = "Packages",
    params(PackagePath, OverwriteQuery),
    request_body(content = wire::PackagePut, content_type = "application/json", description = "The package."),
    responses((status = 200, description = "The package as stored.", body = wire::Package, links(
            ("get" = (operation_id = "getPackage", parameters(("ns" = "$request.path.ns"), ("name" = "$request.path.name")))),
            ("actions" = (operation_id = "listPackageActions", parameters(("ns" = "$request.path.ns"), ("pkg" = "$request.path.name")))),
            ("delete" = (operation_id = "deletePackage", parameters(("ns" = "$request.path.ns"), ("name" = "$request.path.name"))))
        )),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 409, response = Conflict), (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Unprocessable)))]
pub(crate) async fn put(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, name)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let body = extract::body(&headers, body, crate::MAX_BODY_BYTES).await?;
    let fqn = extract::entity(&c, &ns, None, &name)?;
    check_package_name(&fqn.name)?;
    let overwrite = extract::query_bool("overwrite", QueryMap::parse(q.as_deref())?.get("overwrite"), false)?;
    let put: PackagePut = extract::json_body(&headers, &body)?;
    entities::check_params_size(put.parameters.as_ref(), put.annotations.as_ref(), st.0.config.parameters_max)?;
    entitle::check(&c, Privilege::Write, fqn.namespace(), None, || fqn.doc_id())?;
    // OpenWhisk's order: the right to bind, the existing document, then what is bound.
    let binding = put.resolved_binding(&c.namespace)?;
    let bound = match &binding {
        Some(b) => Some(may_bind(&st, &c, b).await?),
        None => None,
    };
    let existing = entities::existing(&st, &fqn.doc_id(), as_package).await?;
    entities::may_overwrite(existing.is_some(), overwrite)?;
    let package = match &existing {
        None => put.create(&fqn, binding.clone(), now_ms()),
        Some((old, _)) => put.update(old, binding.clone(), now_ms())?,
    };
    if let (Some(b), Some(found)) = (&binding, bound) {
        check_bound(&fqn, b, found)?;
    }
    let entity = Entity::Package(package);
    entities::write(&st, &entity, existing.as_ref().map(|(_, rev)| rev)).await?;
    tracing::info!(package = %fqn, "Package written.");
    Ok(Json(entity.to_json()))
}

/// Delete a package or binding
///
/// A binding always; a package only when empty, or with `force=true`, after deleting its
/// actions.
#[utoipa::path(delete, path = "/api/v1/namespaces/{ns}/packages/{name}", operation_id = "deletePackage", tag = "Packages",
    params(PackagePath, ForceQuery),
    responses((status = 200, description = "The deleted package.", body = wire::Package),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict)))]
pub(crate) async fn delete(
    State(st): State<AppState>,
    Caller(c): Caller,
    Path((ns, name)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let fqn = extract::entity(&c, &ns, None, &name)?;
    let force = extract::query_bool("force", QueryMap::parse(q.as_deref())?.get("force"), false)?;
    entitle::check(&c, Privilege::Write, fqn.namespace(), None, || fqn.doc_id())?;
    let (package, rev) = entities::existing(&st, &fqn.doc_id(), as_package).await?.ok_or(ApiError::NotFound)?;
    if package.binding.is_none() {
        let inside = EntityQuery::new(Collection::Actions, fqn.namespace()).in_package(&fqn.name);
        let count = st.0.services.entities.count(&inside).await?;
        if count > 0 && !force {
            return Err(PackageError::NotEmpty { count }.into());
        }
        for action in each(&st, inside).await? {
            let id = action.doc_id();
            if let Some(v) = st.0.services.entities.get(&id).await? {
                entities::remove(&st, &id, &v.rev).await?;
            }
        }
    }
    entities::remove(&st, &fqn.doc_id(), &rev).await?;
    tracing::info!(package = %fqn, force, "Package deleted.");
    Ok(Json(package_json(&package)))
}
