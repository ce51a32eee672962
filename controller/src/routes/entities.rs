//! What the entity routes share: lists with OpenWhisk's paging and counts, reading the entity
//! a write replaces, writing and deleting with OpenWhisk's 409s, and the size checks.

use axum::Json;
use gust_core::entity::{Entity, Revision};
use gust_core::params::Params;
use gust_core::store::{EntityQuery, StoreError};
use serde_json::{Value, json};

use super::QueryMap;
use crate::error::{ApiError, ApiResult, conflict};
use crate::extract;
use crate::state::AppState;

/// `GET` of a collection: `skip`, `limit` (30; 0 means 200) and `count` applied to `query`,
/// summaries newest first.
pub(crate) async fn list(st: &AppState, query: EntityQuery, raw: Option<&str>) -> ApiResult<Json<Value>> {
    let q = QueryMap::parse(raw)?;
    let collection = query.collection.as_str();
    let (skip, limit) = extract::paging(collection, q.get("skip"), q.get("limit"))?;
    let store = &st.0.services.entities;
    if extract::query_bool("count", q.get("count"), false)? {
        let n = store.count(&query).await?;
        return Ok(Json(json!({ collection: n.saturating_sub(skip as u64) })));
    }
    let docs = store.list(&query.page(skip, limit)).await?;
    Ok(Json(Value::Array(docs.iter().map(Entity::summary).collect())))
}

/// The current revision of `doc_id` as the collection's type (`pick`), if there is one; 409
/// when the name belongs to another collection.
pub(crate) async fn existing<T>(
    st: &AppState,
    doc_id: &str,
    pick: impl FnOnce(Entity) -> Option<T>,
) -> ApiResult<Option<(T, Revision)>> {
    match st.0.services.entities.get(doc_id).await? {
        None => Ok(None),
        Some(v) => pick(v.doc).map(|t| Some((t, v.rev))).ok_or(ApiError::Conflict(conflict::OTHER_COLLECTION)),
    }
}

/// A PUT on an existing entity needs `overwrite=true` (else 409).
pub(crate) fn may_overwrite(exists: bool, overwrite: bool) -> ApiResult<()> {
    if exists && !overwrite { Err(ApiError::Conflict(conflict::EXISTS)) } else { Ok(()) }
}

/// Writes `entity` (creating it when `rev` is `None`), with OpenWhisk's 409s for a lost race,
/// and forgets the resolutions it may change.
pub(crate) async fn write(st: &AppState, entity: &Entity, rev: Option<&Revision>) -> ApiResult<()> {
    let written = st.0.services.entities.put(entity, rev).await;
    st.0.resolved.clear();
    match written {
        Ok(_) => Ok(()),
        Err(StoreError::Conflict) => {
            Err(ApiError::Conflict(if rev.is_none() { conflict::EXISTS } else { conflict::CONCURRENT }))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes `doc_id` at `rev`, and forgets the resolutions it may change.
pub(crate) async fn remove(st: &AppState, doc_id: &str, rev: &Revision) -> ApiResult<()> {
    let deleted = st.0.services.entities.delete(doc_id, rev).await;
    st.0.resolved.clear();
    Ok(deleted?)
}

/// OpenWhisk's 413s for oversized parameters and annotations (key bytes plus compact JSON).
pub(crate) fn check_params_size(
    parameters: Option<&Params>,
    annotations: Option<&Params>,
    max: usize,
) -> ApiResult<()> {
    for (field, p) in [("parameters", parameters), ("annotations", annotations)] {
        let size = p.map_or(0, Params::size_bytes);
        if size > max {
            return Err(ApiError::TooLarge(format!("{field} larger than allowed: {size} > {max} bytes.")));
        }
    }
    Ok(())
}
