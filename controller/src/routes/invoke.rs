//! `POST .../actions/{rest}`: invoke an action, blocking or not. The route only parses the
//! request into an [`Invocation`] and turns the core's [`Outcome`] into OpenWhisk's answer.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gust_core::activation::{Activation, ActivationStatus};
use gust_core::ids::{ActivationId, TransactionId};
use serde_json::{Value, json};

use super::QueryMap;
use super::actions;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::invocation::{Invocation, Outcome};
use crate::state::AppState;

/// `POST .../actions/{rest}?blocking=&result=&timeout=`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn invoke(
    State(st): State<AppState>,
    Caller(caller): Caller,
    axum::Extension(tid): axum::Extension<TransactionId>,
    Path((ns, rest)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let action = actions::action_name(&caller, &ns, &rest)?;
    let q = QueryMap::parse(q.as_deref())?;
    let blocking = extract::query_bool("blocking", q.get("blocking"), false)?;
    let result_only = extract::query_bool("result", q.get("result"), false)?;
    let cfg = &st.0.config;
    let max_wait = cfg.max_blocking_wait.as_millis() as u64;
    let wait = match q.get("timeout") {
        None => max_wait,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(ms) if (1..=max_wait).contains(&ms) => ms,
            _ => return Err(ApiError::BadRequest(format!("Timeout must be number of milliseconds up to {max_wait}."))),
        },
    };
    extract::payload_size(&headers, &body, cfg.payload_max)?;
    let args = extract::optional_object(&headers, &body)?;
    let invocation =
        Invocation { caller, action, args, blocking, wait: Duration::from_millis(wait), cause: None, transid: tid };
    Ok(match st.invoke(invocation).await? {
        Outcome::Accepted(id) => accepted(id),
        Outcome::Finished(record) => finished(&record, result_only),
    })
}

fn with_id(mut resp: Response, id: ActivationId) -> Response {
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        resp.headers_mut().insert("x-openwhisk-activation-id", v);
    }
    resp
}

/// 202 with the id: non-blocking, or blocking past its wait.
fn accepted(id: ActivationId) -> Response {
    with_id((StatusCode::ACCEPTED, Json(json!({"activationId": id}))).into_response(), id)
}

/// A finished blocking invoke: 200 / 502 / 500 by outcome; the record, or only the result.
fn finished(record: &Activation, result_only: bool) -> Response {
    let status = match record.response.status {
        ActivationStatus::Success => StatusCode::OK,
        ActivationStatus::ApplicationError | ActivationStatus::DeveloperError => StatusCode::BAD_GATEWAY,
        ActivationStatus::WhiskError => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let result = record.response.result.as_ref();
    let body = match result {
        Some(Value::Array(a)) => Json(Value::Array(a.clone())),
        Some(r) if result_only => Json(r.clone()),
        None if result_only => Json(json!({})),
        _ => Json(record.user_view()),
    };
    with_id((status, body).into_response(), record.activation_id)
}
