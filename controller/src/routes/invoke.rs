//! `POST .../actions/{name}` and `.../actions/{pkg}/{name}`: invoke an action, blocking or not. The route only parses the
//! request into an [`Invocation`] and turns the core's [`Outcome`] into OpenWhisk's answer.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gust_core::activation::{Activation, ActivationStatus};
use gust_core::ids::{ActivationId, TransactionId};
use gust_core::names::FullyQualifiedName;
use serde_json::{Value, json};

use super::QueryMap;
use super::actions;
use crate::api_docs::activations::{ActivationIdBody, InvokeFailure, InvokeOutcome};
use crate::api_docs::errors::{
    BadRequest, Conflict, Forbidden, NotFound, Throttled, TooLarge, Unavailable, UnsupportedMediaType,
};
use crate::api_docs::params::{EntityPath, InvokeQuery, PackagedActionPath};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::invocation::{Invocation, Outcome};
use crate::state::AppState;

/// Invoke an action
///
/// Non-blocking (the default): 202 with the activation id at once. Blocking: the outcome when
/// it finishes within `timeout` (200 success, 502 application or developer error, 500 platform
/// error), else 202 with the id. The body's keys override the action's parameters.
#[utoipa::path(post, path = "/api/v1/namespaces/{ns}/actions/{name}", operation_id = "invokeAction", tag = "Actions", params(EntityPath, InvokeQuery),
    request_body(content = ref("#/components/schemas/InvokePayload"), content_type = "application/json",
        description = "The invoke's parameters: a JSON object, or no body."),
    responses(
        (status = 200, description = "Blocking, finished with success.", body = InvokeOutcome, headers(("x-openwhisk-activation-id" = String, description = "The activation id."))),
        (status = 202, description = "Non-blocking, or blocking past its wait.", body = ActivationIdBody, headers(("x-openwhisk-activation-id" = String, description = "The activation id.")),
            links(
            ("record" = (operation_id = "getActivation", parameters(("ns" = "$request.path.ns"), ("id" = "$response.body#/activationId")))),
            ("result" = (operation_id = "getActivationResult", parameters(("ns" = "$request.path.ns"), ("id" = "$response.body#/activationId")))),
            ("logs" = (operation_id = "getActivationLogs", parameters(("ns" = "$request.path.ns"), ("id" = "$response.body#/activationId"))))
        )),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict),
        (status = 413, response = TooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 429, response = Throttled),
        (status = 500, description = "Blocking, finished with a platform error (the record), or an internal error.", body = InvokeFailure),
        (status = 502, description = "Blocking, finished with an application or developer error.", body = InvokeOutcome, headers(("x-openwhisk-activation-id" = String, description = "The activation id."))),
        (status = 503, response = Unavailable)))]
pub(crate) async fn invoke(
    st: State<AppState>,
    caller: Caller,
    tid: axum::Extension<TransactionId>,
    Path((ns, name)): Path<(String, String)>,
    q: RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let action = actions::action_name(&caller.0, &ns, None, &name)?;
    invoke_action(st, caller, tid, action, q, headers, body).await
}

/// Invoke an action of a package
///
/// As for an action at the top of the namespace; through a binding, with the binding's
/// parameters.
#[utoipa::path(post, path = "/api/v1/namespaces/{ns}/actions/{pkg}/{name}", operation_id = "invokePackageAction", tag = "Actions",
    params(PackagedActionPath, InvokeQuery),
    request_body(content = ref("#/components/schemas/InvokePayload"), content_type = "application/json",
        description = "The invoke's parameters: a JSON object, or no body."),
    responses(
        (status = 200, description = "Blocking, finished with success.", body = InvokeOutcome, headers(("x-openwhisk-activation-id" = String, description = "The activation id."))),
        (status = 202, description = "Non-blocking, or blocking past its wait.", body = ActivationIdBody, headers(("x-openwhisk-activation-id" = String, description = "The activation id.")),
            links(
            ("record" = (operation_id = "getActivation", parameters(("ns" = "$request.path.ns"), ("id" = "$response.body#/activationId")))),
            ("result" = (operation_id = "getActivationResult", parameters(("ns" = "$request.path.ns"), ("id" = "$response.body#/activationId")))),
            ("logs" = (operation_id = "getActivationLogs", parameters(("ns" = "$request.path.ns"), ("id" = "$response.body#/activationId"))))
        )),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict),
        (status = 413, response = TooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 429, response = Throttled),
        (status = 500, description = "Blocking, finished with a platform error (the record), or an internal error.", body = InvokeFailure),
        (status = 502, description = "Blocking, finished with an application or developer error.", body = InvokeOutcome, headers(("x-openwhisk-activation-id" = String, description = "The activation id."))),
        (status = 503, response = Unavailable)))]
pub(crate) async fn invoke_in_package(
    st: State<AppState>,
    caller: Caller,
    tid: axum::Extension<TransactionId>,
    Path((ns, pkg, name)): Path<(String, String, String)>,
    q: RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let action = actions::action_name(&caller.0, &ns, Some(&pkg), &name)?;
    invoke_action(st, caller, tid, action, q, headers, body).await
}

/// Parses the rest of an invoke of `action` into an [`Invocation`] and answers its outcome.
async fn invoke_action(
    State(st): State<AppState>,
    Caller(caller): Caller,
    axum::Extension(tid): axum::Extension<TransactionId>,
    action: FullyQualifiedName,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
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
    let body = extract::body(&headers, body, cfg.payload_max).await?;
    let args = extract::optional_object(&headers, &body)?.map(Value::Object);
    let invocation =
        Invocation { caller, action, args, blocking, wait: Duration::from_millis(wait), step: None, transid: tid };
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
