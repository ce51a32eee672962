//! The error body every failure answers, and the error responses operations share.

use serde::Deserialize;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{ToResponse, ToSchema};

/// What every error answers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// What went wrong, in OpenWhisk's words.
    #[schema(example = "The requested resource does not exist.")]
    pub error: String,
    /// The transaction id of the request (also the `X-Request-ID` header); not an HTTP code.
    #[schema(example = "c0ffee0123456789abcdef0123456789")]
    pub code: String,
}

/// An error response with [`ErrorBody`] and `description`.
pub(crate) fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build()
}

macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident => $description:expr;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), RefOr::T(error_response($description)))
                }
            }
        )*

        /// Every shared error response, for the document's components.
        pub(crate) fn all() -> Vec<(String, RefOr<Response>)> {
            vec![$({
                let (name, response) = <$name as ToResponse<'static>>::response();
                (name.to_owned(), response)
            }),*]
        }
    };
}

error_responses! {
    /// 400.
    BadRequest => "The request is invalid: a path segment that is not a valid name, a malformed query \
        parameter (`The query parameter '<p>' was malformed: ...`), a malformed body \
        (`The request content was malformed: ...`), or a value out of range.";
    /// 401.
    Unauthorized => "No credentials (`The resource requires authentication, which was not supplied with the \
        request`) or wrong ones (`The supplied authentication is invalid`); with \
        `WWW-Authenticate: Basic realm=\"OpenWhisk secure realm\"`.";
    /// 403.
    Forbidden => "Authenticated, but not entitled: `The supplied authentication is not authorized to access \
        '<resource>'.` Only a namespace's owner may write in it or list its actions, triggers, rules, \
        activations and limits; others may read shared packages and invoke their actions.";
    /// 404.
    NotFound => "`The requested resource does not exist.`";
    /// 409.
    Conflict => "`resource already exists` (a PUT without `overwrite=true`), `Resource by this name exists but \
        is not in this collection.`, or `Concurrent modification to resource detected.`";
    /// 413.
    TooLarge => "The body, its code, parameters or annotations are larger than allowed.";
    /// 415.
    UnsupportedMediaType => "A body that is not `application/json`.";
    /// 422.
    Unprocessable => "`Package binding '<name>' contains a circular reference.`";
    /// 429.
    Throttled => "A namespace throttle: `Too many requests in the last minute (count: <n>, allowed: <m>).` or \
        `Too many concurrent requests in flight (count: <n>, allowed: <m>).`";
    /// 503.
    Unavailable => "The system cannot take the request now (no invoker, the store not reachable).";
}
