//! `GET /api/v1/namespaces`: the caller's namespaces (exactly one).

use axum::Json;
use serde_json::{Value, json};

use crate::auth::Caller;

/// `GET /api/v1/namespaces`.
pub(crate) async fn list(Caller(c): Caller) -> Json<Value> {
    Json(json!([c.namespace]))
}
