//! The one HTTP error type: every failure answers OpenWhisk's status and body,
//! `{"error": "<message>", "code": "<transaction id>"}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gust_core::package::PackageError;
use gust_core::store::StoreError;
use serde_json::json;

use crate::entitle::Forbidden;
use crate::invocation::InvokeError;
use crate::resolve::ResolveError;
use crate::throttle::Throttled;

tokio::task_local! {
    /// The transaction id of the request being served (set by the envelope middleware), so
    /// that errors raised anywhere below can carry it as their `code`.
    pub(crate) static TRANSACTION_ID: String;
}

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: no credentials.
    #[error("The resource requires authentication, which was not supplied with the request")]
    Unauthenticated,
    /// 401: wrong or malformed credentials.
    #[error("The supplied authentication is invalid")]
    InvalidAuth,
    /// 403: authenticated, but not entitled to the resource.
    #[error("The supplied authentication is not authorized to access '{0}'.")]
    Forbidden(String),
    /// 404: the entity does not exist.
    #[error("The requested resource does not exist.")]
    NotFound,
    /// 404: no such route.
    #[error("The requested resource could not be found.")]
    RouteNotFound,
    /// 405: a known route, another method.
    #[error("HTTP method not allowed, supported methods: {0}")]
    MethodNotAllowed(String),
    /// 409 with OpenWhisk's message for the case.
    #[error("{0}")]
    Conflict(&'static str),
    /// 400 with a complete message.
    #[error("{0}")]
    BadRequest(String),
    /// 400: a body that does not parse or fit the schema.
    #[error("The request content was malformed:\n{0}")]
    Malformed(String),
    /// 400: a query parameter that does not parse.
    #[error("The query parameter '{param}' was malformed:\n{detail}")]
    BadQuery {
        /// The parameter.
        param: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// 413 with a complete message.
    #[error("{0}")]
    TooLarge(String),
    /// 413 for a body refused before it was read whole: the answer closes the connection, so
    /// that the client does not send its next request after bytes the server never read.
    #[error("{0}")]
    BodyTooLarge(String),
    /// 429: a namespace throttle.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// 400, 409 or 422: a package request OpenWhisk refuses.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// 415: a body that is not JSON.
    #[error("The request's Content-Type is not supported. Expected:\napplication/json")]
    UnsupportedMediaType,
    /// 503: the system cannot take work now.
    #[error("{0}")]
    Unavailable(String),
    /// 500: something broke; the detail is logged, not shown.
    #[error("There was an internal server error.")]
    Internal(String),
}

/// OpenWhisk's 409 messages.
pub mod conflict {
    /// Create without overwrite on an existing document.
    pub const EXISTS: &str = "resource already exists";
    /// The name belongs to another collection.
    pub const OTHER_COLLECTION: &str = "Resource by this name exists but is not in this collection.";
    /// The document changed between read and write.
    pub const CONCURRENT: &str = "Concurrent modification to resource detected.";
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated | ApiError::InvalidAuth => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) | ApiError::Malformed(_) | ApiError::BadQuery { .. } => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) | ApiError::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Package(e) => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response, with `tid` as the body's `code`.
    pub fn to_response(&self, tid: &str) -> Response {
        if let ApiError::Internal(detail) = self {
            tracing::error!(error = %detail, "Internal error.");
        }
        let mut resp = (self.status(), Json(json!({"error": self.to_string(), "code": tid}))).into_response();
        if let ApiError::BodyTooLarge(_) = self {
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self.status() == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"OpenWhisk secure realm\""));
        }
        resp
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let tid = TRANSACTION_ID.try_with(Clone::clone).unwrap_or_default();
        self.to_response(&tid)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => ApiError::Conflict(conflict::CONCURRENT),
            StoreError::Unavailable(m) => {
                ApiError::Unavailable(format!("The store is not reachable right now; try again shortly. ({m})"))
            }
            StoreError::Corrupt { id, reason } => ApiError::Internal(format!("corrupt document {id}: {reason}")),
            StoreError::Backend(m) => ApiError::Internal(m),
        }
    }
}

impl From<Forbidden> for ApiError {
    fn from(e: Forbidden) -> Self {
        ApiError::Forbidden(e.0)
    }
}

impl From<ResolveError> for ApiError {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Forbidden(f) => f.into(),
            ResolveError::NotFound => ApiError::NotFound,
            ResolveError::NotAnAction => ApiError::Conflict(conflict::OTHER_COLLECTION),
            ResolveError::Store(s) => s.into(),
        }
    }
}

impl From<InvokeError> for ApiError {
    fn from(e: InvokeError) -> Self {
        match e {
            InvokeError::Throttled(t) => ApiError::Throttled(t),
            InvokeError::Forbidden(r) => ApiError::Forbidden(r),
            InvokeError::NotFound => ApiError::NotFound,
            InvokeError::NotAnAction => ApiError::Conflict(conflict::OTHER_COLLECTION),
            e @ (InvokeError::ReservedParameters | InvokeError::Deprecated(_)) => ApiError::BadRequest(e.to_string()),
            InvokeError::Unavailable(m) => ApiError::Unavailable(m),
            e @ InvokeError::ShuttingDown => ApiError::Unavailable(e.to_string()),
            InvokeError::Store(s) => s.into(),
        }
    }
}

/// Handler results.
pub type ApiResult<T> = Result<T, ApiError>;
