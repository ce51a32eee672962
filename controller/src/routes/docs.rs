//! `GET /api/v1/api-docs` (the OpenAPI description of this API) and `GET /api/v1/docs` (a
//! page that points to it: Gust serves no Swagger UI).

use axum::Extension;
use axum::body::Bytes;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

/// The description as served: its JSON, made once when the router is built.
#[derive(Debug, Clone)]
pub(crate) struct ApiDocument(pub(crate) Bytes);

/// The OpenAPI description
///
/// This document: every route, its parameters, bodies and answers.
#[utoipa::path(get, path = "/api/v1/api-docs", operation_id = "getApiDocs", tag = "Info",
    responses((status = 200, description = "An OpenAPI 3 document.", body = Object, content_type = "application/json")))]
pub(crate) async fn api_docs(Extension(doc): Extension<ApiDocument>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.0).into_response()
}

const DOCS_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Gust API documentation</title></head>
<body>
<h1>Gust API documentation</h1>
<p>Gust serves no Swagger UI. The API is described by an OpenAPI 3 document at
<a href="/api/v1/api-docs">/api/v1/api-docs</a>; load it into any OpenAPI viewer or client generator.</p>
<p>Everything under <code>/api/v1/namespaces</code> needs HTTP Basic credentials; the namespace <code>_</code> in a
path is the caller's.</p>
</body>
</html>
"#;

/// The documentation page
///
/// A short page that points to the OpenAPI description (OpenWhisk redirects to a Swagger UI
/// here; Gust has none).
#[utoipa::path(get, path = "/api/v1/docs", operation_id = "getDocsPage", tag = "Info",
    responses((status = 200, description = "An HTML page linking the description.", body = String, content_type = "text/html")))]
pub(crate) async fn docs() -> Html<&'static str> {
    Html(DOCS_PAGE)
}
