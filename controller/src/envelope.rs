//! The middleware around every request: the transaction id (`X-Request-ID`), CORS, `OPTIONS`
//! preflights, and OpenWhisk error bodies for the framework's own 404 and 405 answers.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gust_core::ids::TransactionId;

use crate::error::{ApiError, TRANSACTION_ID};

const ALLOW_METHODS: &str = "GET, DELETE, POST, PUT, HEAD";
const ALLOW_HEADERS: &str = "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent";

fn add_headers(headers: &mut HeaderMap, tid: &str) {
    if let Ok(v) = HeaderValue::from_str(tid) {
        headers.insert("x-request-id", v);
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
}

/// Wraps every request (installed by [`crate::app`]).
pub(crate) async fn envelope(mut req: Request, next: Next) -> Response {
    let tid = match req.headers().get("x-request-id").and_then(|v| v.to_str().ok()) {
        Some(v) => TransactionId::from_header(v),
        None => TransactionId::generate(),
    };
    if req.method() == Method::OPTIONS && req.uri().path().starts_with("/api/v1") {
        let mut resp = (StatusCode::OK, Body::empty()).into_response();
        add_headers(resp.headers_mut(), &tid.id);
        return resp;
    }
    let id = tid.id.clone();
    req.extensions_mut().insert(tid);
    let mut resp = TRANSACTION_ID.scope(id.clone(), next.run(req)).await;
    if resp.status().is_client_error() || resp.status().is_server_error() {
        resp = openwhisk_error(resp, &id).await;
    }
    add_headers(resp.headers_mut(), &id);
    resp
}

/// Gives the framework's own error answers (405, body-limit 413, path rejections) OpenWhisk's
/// error body. Answers that already are JSON (every [`ApiError`]) pass unchanged.
async fn openwhisk_error(resp: Response, tid: &str) -> Response {
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allow = resp.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or_default();
        // HEAD is not an API method of OpenWhisk's (axum allows it wherever GET is).
        let allowed: Vec<&str> = allow.split(',').map(str::trim).filter(|m| !m.is_empty() && *m != "HEAD").collect();
        let mut out = ApiError::MethodNotAllowed(allowed.join(", ")).to_response(tid);
        if let Ok(v) = HeaderValue::from_str(allow) {
            out.headers_mut().insert(header::ALLOW, v);
        }
        return out;
    }
    let status = resp.status();
    let text = match axum::body::to_bytes(resp.into_body(), 64 << 10).await {
        Ok(b) if !b.is_empty() => String::from_utf8_lossy(&b).into_owned(),
        _ => status.canonical_reason().unwrap_or("Error").to_owned(),
    };
    let mut out = (status, axum::Json(serde_json::json!({"error": text, "code": tid}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"OpenWhisk secure realm\""));
    }
    out
}
