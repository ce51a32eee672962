//! Path and query parameters, with OpenWhisk's types and bounds.

use utoipa::IntoParams;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// The spellings of a query boolean.
pub const BOOLEAN_SPELLINGS: [&str; 8] = ["true", "false", "yes", "no", "on", "off", "1", "0"];

/// A query boolean: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`, in any case.
pub fn query_bool() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(BOOLEAN_SPELLINGS))
        .description(Some("`true`/`false`, `yes`/`no`, `on`/`off` or `1`/`0` (any case)."))
        .build()
}

/// `{ns}`: a namespace, or `_` for the caller's.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NsPath {
    /// The namespace; `_` is the caller's.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "_")]
    pub ns: String,
}

/// `{ns}/.../{name}`: an entity at the top of a namespace.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EntityPath {
    /// The namespace; `_` is the caller's.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "_")]
    pub ns: String,
    /// The entity's name.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "hello")]
    pub name: String,
}

/// `{ns}/packages/{name}`: a package or binding.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PackagePath {
    /// The namespace; `_` is the caller's.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "_")]
    pub ns: String,
    /// The package's name.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "utils")]
    pub name: String,
}

/// `{ns}/actions/{pkg}/`: the actions of a package or binding.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PackageActionsPath {
    /// The namespace; `_` is the caller's.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "_")]
    pub ns: String,
    /// The package (or binding).
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "utils")]
    pub pkg: String,
}

/// `{ns}/actions/{pkg}/{name}`: an action inside a package (or reached through a binding).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PackagedActionPath {
    /// The namespace; `_` is the caller's.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "_")]
    pub ns: String,
    /// The package (or binding).
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "utils")]
    pub pkg: String,
    /// The action's name.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "hello")]
    pub name: String,
}

/// `{ns}/activations/{id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ActivationPath {
    /// The namespace; `_` is the caller's.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "_")]
    pub ns: String,
    /// The activation id: 32 lowercase hex characters.
    #[param(pattern = "^[0-9a-f]{32}$", example = "c7bb1339cb4f40e3a6ccead6c99f804e")]
    pub id: String,
}

/// `{ns}/limits/{what}`: there is nothing below the limits.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LimitsPartPath {
    /// The namespace; `_` is the caller's.
    #[param(pattern = "^[A-Za-z0-9_]([A-Za-z0-9_@ .&-]{0,254}[A-Za-z0-9_@.&-])?$", example = "_")]
    pub ns: String,
    /// Anything: always refused.
    pub what: String,
}

/// Paging and counting of a list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to skip (newest first).
    #[param(required = false, minimum = 0)]
    pub skip: u64,
    /// How many at most: 30 by default, `0` means 200.
    #[param(required = false, minimum = 0, maximum = 200)]
    pub limit: u64,
    /// Answer `{"<collection>": n}` instead of the list.
    #[param(schema_with = query_bool)]
    pub count: Option<String>,
}

/// The filters, paging and views of the activations list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivationsQuery {
    /// Only the activations of this action: `name` or `package/name`.
    pub name: Option<String>,
    /// Only those started at or after this time, epoch milliseconds.
    #[param(required = false, minimum = 0)]
    pub since: u64,
    /// Only those started at or before this time, epoch milliseconds.
    #[param(required = false, minimum = 0)]
    pub upto: u64,
    /// How many to skip (newest first).
    #[param(required = false, minimum = 0)]
    pub skip: u64,
    /// How many at most: 30 by default, `0` means 200.
    #[param(required = false, minimum = 0, maximum = 200)]
    pub limit: u64,
    /// Answer `{"activations": n}` (not with `docs`).
    #[param(schema_with = query_bool)]
    pub count: Option<String>,
    /// Full records instead of summaries (not with `count`).
    #[param(schema_with = query_bool)]
    pub docs: Option<String>,
}

/// `GET` of an action.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// Include the code (default true).
    #[param(schema_with = query_bool)]
    pub code: Option<String>,
}

/// `PUT` of an action or package.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverwriteQuery {
    /// Update an existing entity (default false: a PUT on an existing one is a 409).
    #[param(schema_with = query_bool)]
    pub overwrite: Option<String>,
}

/// `DELETE` of a package.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForceQuery {
    /// Delete the package's actions too (default false: a package with actions is a 409).
    #[param(schema_with = query_bool)]
    pub force: Option<String>,
}

/// An invoke.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvokeQuery {
    /// Wait for the outcome (default false: answer 202 with the id at once).
    #[param(schema_with = query_bool)]
    pub blocking: Option<String>,
    /// With `blocking`: answer only the result, not the whole record.
    #[param(schema_with = query_bool)]
    pub result: Option<String>,
    /// With `blocking`: how long to wait, milliseconds, from 1 up to the deployment's maximum
    /// (60000 by default); past it the answer is 202 with the id.
    #[param(required = false, minimum = 1)]
    pub timeout: u64,
}
