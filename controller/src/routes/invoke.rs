//! `POST .../actions/{rest}`: invoke an action, blocking or not.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gust_core::activation::{Activation, ActivationStatus};
use gust_core::exec::WASM_KIND;
use gust_core::ids::{ActivationId, TransactionId};
use gust_core::messages::{ActivationMessage, BusMessage};
use serde_json::{Map, Value, json};
use tracing::Instrument;

use super::QueryMap;
use super::actions;
use crate::auth::Caller;
use crate::balancer::{self, Capacity};
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::state::AppState;

const RESERVED: &str = "Request defines parameters that are not allowed (e.g., reserved properties).";

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
    let fqn = actions::action_name(&caller, &ns, &rest)?;
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
    let size = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(body.len())
        .max(body.len());
    if size > cfg.payload_max {
        return Err(ApiError::TooLarge(format!("Request larger than allowed: {size} > {} bytes.", cfg.payload_max)));
    }
    let payload = extract::optional_object(&headers, &body)?;

    let cached = actions::resolve(&st, &fqn).await?;
    let action = &cached.action;
    if action.annotations.is_true("final")
        && let Some(p) = &payload
        && p.keys().any(|k| action.parameters.get(k).is_some_and(|v| !v.is_null()))
    {
        return Err(ApiError::BadRequest(RESERVED.into()));
    }
    let mut args: Map<String, Value> = action.parameters.to_object();
    let init_args = action.parameters.init_keys();
    for k in &init_args {
        if let Some(v) = action.parameters.get(k) {
            args.insert(k.clone(), v.clone());
        }
    }
    if let Some(p) = payload {
        args.extend(p);
    }

    let capacity = if action.exec.kind() == WASM_KIND {
        Capacity::WasmSlot
    } else {
        Capacity::Memory(u64::from(action.limits.memory))
    };
    let invokers = st.0.services.registry.healthy();
    let placement =
        st.0.balancer
            .schedule(&invokers, &caller.namespace, &fqn.doc_id(), capacity)
            .ok_or_else(|| ApiError::Unavailable("No invokers available".into()))?;
    let hold = balancer::completion_timeout(Duration::from_millis(action.limits.timeout));

    let activation_id = ActivationId::generate();
    let msg = ActivationMessage {
        transid: tid,
        action: fqn,
        version: action.version,
        revision: cached.rev.0.clone(),
        user: caller.clone(),
        activation_id,
        root_controller: cfg.id.clone(),
        blocking,
        content: Some(Value::Object(args)),
        init_args,
        cause: None,
    };
    let invoker = placement.invoker;
    let span = tracing::info_span!("invoke", %activation_id, action = %msg.action, %invoker, blocking);
    st.0.balancer.track(activation_id, invoker, capacity, hold);
    let answer = dispatch(&st, msg, &invoker.topic(), wait, result_only).instrument(span).await;
    if answer.is_err() {
        // Never published: nothing will complete it.
        st.0.balancer.release(activation_id);
    }
    answer
}

/// Publishes the activation and, for a blocking call, waits for its record.
async fn dispatch(
    st: &AppState,
    msg: ActivationMessage,
    topic: &str,
    wait: u64,
    result_only: bool,
) -> ApiResult<Response> {
    let activation_id = msg.activation_id;
    let namespace = msg.user.namespace.clone();
    let completions = &st.0.completions;
    let waiter = msg.blocking.then(|| completions.register(activation_id));
    st.0.services
        .bus
        .publish(topic, BusMessage::Activation(Box::new(msg)))
        .await
        .map_err(|e| ApiError::Unavailable(format!("The activation could not be queued: {e}")))?;
    tracing::debug!("Activation published.");

    let Some(mut waiter) = waiter else {
        return Ok(accepted(activation_id));
    };
    // The result normally comes on the completion topic; should that ack be lost (a
    // controller restart between, a bus hiccup), the store is polled as a fallback.
    let deadline = Instant::now() + Duration::from_millis(wait);
    let mut poll = Duration::from_secs(1);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Some(record) = waiter.wait(poll.min(left)).await {
            return Ok(finished(&record, result_only));
        }
        if let Ok(Some(r)) = st.0.services.activations.get(&namespace, activation_id).await {
            return Ok(finished(&r, result_only));
        }
        if Instant::now() >= deadline {
            return Ok(accepted(activation_id));
        }
        poll = (poll * 2).min(Duration::from_secs(8));
    }
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
