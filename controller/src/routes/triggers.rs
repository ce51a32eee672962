//! `GET .../triggers` and `GET .../rules`: the namespace's triggers and rules. (Creating,
//! firing and enabling them come with the events capability.)

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use gust_core::entity::Collection;
use gust_core::store::EntityQuery;
use serde_json::Value;

use super::entities;
use crate::api_docs::entities::{RuleListing, TriggerListing};
use crate::api_docs::errors::{BadRequest, Forbidden};
use crate::api_docs::params::{ListQuery, NsPath};
use crate::auth::Caller;
use crate::entitle::{self, Privilege};
use crate::error::ApiResult;
use crate::extract;
use crate::state::AppState;

async fn list(st: &AppState, c: &Caller, ns: &str, collection: Collection, q: Option<&str>) -> ApiResult<Json<Value>> {
    let ns = extract::namespace(&c.0, ns)?;
    entitle::check(&c.0, Privilege::Read, &ns, None, || ns.clone())?;
    entities::list(st, EntityQuery::new(collection, &ns), q).await
}

/// List triggers
///
/// Summaries, newest first. Only the namespace's owner may list them.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/triggers", operation_id = "listTriggers", tag = "Triggers", params(NsPath, ListQuery),
    responses((status = 200, description = "The triggers, or their count.", body = TriggerListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn list_triggers(
    State(st): State<AppState>,
    c: Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    list(&st, &c, &ns, Collection::Triggers, q.as_deref()).await
}

/// List triggers (with a trailing slash)
///
/// The same as without the slash.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/triggers/", operation_id = "listTriggersSlash", tag = "Triggers", params(NsPath, ListQuery),
    responses((status = 200, description = "The triggers, or their count.", body = TriggerListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn list_triggers_slash(
    st: State<AppState>,
    c: Caller,
    ns: Path<String>,
    q: RawQuery,
) -> ApiResult<Json<Value>> {
    list_triggers(st, c, ns, q).await
}

/// List rules
///
/// Rules without their status, newest first. Only the namespace's owner may list them.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/rules", operation_id = "listRules", tag = "Rules", params(NsPath, ListQuery),
    responses((status = 200, description = "The rules, or their count.", body = RuleListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn list_rules(
    State(st): State<AppState>,
    c: Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    list(&st, &c, &ns, Collection::Rules, q.as_deref()).await
}

/// List rules (with a trailing slash)
///
/// The same as without the slash.
#[utoipa::path(get, path = "/api/v1/namespaces/{ns}/rules/", operation_id = "listRulesSlash", tag = "Rules", params(NsPath, ListQuery),
    responses((status = 200, description = "The rules, or their count.", body = RuleListing),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden)))]
pub(crate) async fn list_rules_slash(
    st: State<AppState>,
    c: Caller,
    ns: Path<String>,
    q: RawQuery,
) -> ApiResult<Json<Value>> {
    list_rules(st, c, ns, q).await
}
