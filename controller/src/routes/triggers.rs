//! `GET .../triggers` and `GET .../rules`: the namespace's triggers and rules. (Creating,
//! firing and enabling them come with the events capability.)

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use gust_core::entity::Collection;
use gust_core::store::EntityQuery;
use serde_json::Value;

use super::entities;
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

/// `GET .../triggers`.
pub(crate) async fn list_triggers(
    State(st): State<AppState>,
    c: Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    list(&st, &c, &ns, Collection::Triggers, q.as_deref()).await
}

/// `GET .../rules`.
pub(crate) async fn list_rules(
    State(st): State<AppState>,
    c: Caller,
    Path(ns): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    list(&st, &c, &ns, Collection::Rules, q.as_deref()).await
}
