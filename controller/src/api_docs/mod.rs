//! The OpenAPI 3 description of the REST API, served at `GET /api/v1/api-docs`.
//!
//! It is generated from the same declarations as the router: every handler carries its
//! `#[utoipa::path]` (path, parameters, body, responses) and [`crate::app`] registers the
//! handlers with `utoipa_axum`'s `routes!`, which adds each one to the router and to the
//! document at once. This module holds what the declarations refer to: the wire shapes
//! ([`entities`], [`activations`], [`info`], [`errors`]) and the parameters ([`params`]), and
//! completes the document with what follows from the routes themselves ([`complete`]).
//!
//! The shapes describe the JSON the routes write (much of it built in `gust-core`, which does
//! not depend on utoipa); the unit tests deserialise real outputs into them and schemathesis
//! (`scripts/schemathesis`) checks every answer against the served document.

pub mod activations;
pub mod entities;
pub mod errors;
pub mod info;
pub mod params;
#[cfg(test)]
mod tests;

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, SecurityRequirement};
use utoipa::{PartialSchema, ToSchema};

/// Where the description is served.
pub const API_DOCS_PATH: &str = "/api/v1/api-docs";

/// The prefix of every route that needs credentials.
const AUTHENTICATED: &str = "/api/v1/namespaces";

/// The name of the HTTP Basic security scheme.
const BASIC: &str = "basic";

/// The tags, in the order readers meet them.
const TAGS: [(&str, &str); 7] = [
    ("Info", "Unauthenticated information about the deployment and the API."),
    ("Namespaces", "The caller's namespaces and their limits."),
    ("Actions", "Create, read, update, delete and invoke actions (also inside packages)."),
    ("Packages", "Packages and package bindings."),
    ("Triggers", "Triggers (listing; creating and firing come with the events capability)."),
    ("Rules", "Rules (listing; creating and enabling come with the events capability)."),
    ("Activations", "The records of invocations: results and logs."),
];

/// The document before the routes add their paths: info, the security scheme, tags, and the
/// shared error responses and error body.
pub(crate) fn skeleton() -> OpenApi {
    let mut components = ComponentsBuilder::new()
        .security_scheme(BASIC, SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)))
        .schema(errors::ErrorBody::name(), errors::ErrorBody::schema())
        // Referred to by name: an invoke's body is optional, and the reference keeps it so.
        .schema(activations::InvokePayload::name(), activations::InvokePayload::schema());
    for (name, response) in errors::all() {
        components = components.response(name, response);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Gust: the OpenWhisk REST API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Apache OpenWhisk's REST API as Gust serves it. Everything under \
                     `/api/v1/namespaces` needs HTTP Basic credentials (`uuid:key`); in a path, \
                     the namespace `_` is the caller's. Every error answers \
                     `{\"error\": \"<message>\", \"code\": \"<transaction id>\"}`.",
                ))
                .build(),
        )
        .components(Some(components.build()))
        .tags(Some(TAGS.iter().map(|(name, about)| TagBuilder::new().name(*name).description(Some(*about)).build())))
        .build()
}

/// Completes the document the routes produced with what follows from the router itself:
/// every operation under `/api/v1/namespaces` needs Basic credentials (the handlers take the
/// authenticated caller) and so may answer 401, and every operation answers any other error
/// with the error body (the envelope gives the framework's own refusals, such as a 413 for a
/// body over the limit, that body too).
pub(crate) fn complete(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let secured = path.starts_with(AUTHENTICATED);
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head];
        for op in ops.into_iter().flatten() {
            complete_operation(op, secured);
        }
    }
}

fn complete_operation(op: &mut Operation, secured: bool) {
    let responses = &mut op.responses.responses;
    if secured {
        op.security = Some(vec![SecurityRequirement::new(BASIC, Vec::<String>::new())]);
        responses.entry("401".into()).or_insert_with(|| Ref::from_response_name("Unauthorized").into());
    }
    responses.entry("default".into()).or_insert_with(|| {
        RefOr::T(errors::error_response(
            "Any other error: a method the path does not serve (405), a body over the 50 MiB limit \
             (413), an internal error (500), the store not reachable (503).",
        ))
    });
}
