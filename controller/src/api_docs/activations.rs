//! The wire shapes of activations: records, summaries, results, logs, and what an invoke
//! answers.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{AnyOf, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};

use super::entities::KeyValue;

/// How an activation ended.
#[derive(Debug, Deserialize, ToSchema)]
pub enum ActivationStatus {
    /// The action returned a result.
    #[serde(rename = "success")]
    Success,
    /// The action returned `{"error": ...}`.
    #[serde(rename = "application error")]
    ApplicationError,
    /// The action crashed, timed out, ran out of memory or produced no valid result.
    #[serde(rename = "action developer error")]
    DeveloperError,
    /// The platform failed.
    #[serde(rename = "whisk internal error")]
    WhiskError,
}

/// The outcome of an activation (`response` of a record; `GET .../activations/{id}/result`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationResult {
    /// How it ended.
    pub status: ActivationStatus,
    /// True for `success`.
    pub success: bool,
    /// The result: an object (`{"error": ...}` on failure), or an array.
    #[schema(value_type = Value)]
    pub result: Value,
    /// The result's size in bytes, when known.
    #[serde(default)]
    pub size: u64,
}

/// An activation record (GET of an activation, `docs=true` lists, blocking invokes).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// The namespace of the caller.
    #[schema(example = "guest")]
    pub namespace: String,
    /// The action's name (without its package).
    #[schema(example = "hello")]
    pub name: String,
    /// The caller's subject.
    pub subject: String,
    /// Its id.
    #[serde(rename = "activationId")]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub activation_id: String,
    /// Start, epoch milliseconds.
    pub start: u64,
    /// End, epoch milliseconds (absent while it has none).
    #[serde(default)]
    pub end: u64,
    /// Run time, milliseconds (present with `end`).
    #[serde(default)]
    pub duration: u64,
    /// The outcome.
    pub response: ActivationResult,
    /// Log lines, `<ISO-8601 time> <stdout|stderr>: <line>`.
    pub logs: Vec<String>,
    /// The action's version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Always false.
    pub publish: bool,
    /// `path`, `kind`, `limits`, `waitTime`, `initTime`, `timeout`, `binding`, ...
    pub annotations: Vec<KeyValue>,
    /// The enclosing activation (sequences).
    #[serde(default)]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub cause: String,
}

/// An activation in a list (`docs=false`): a numeric `statusCode`, no response, no logs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationSummary {
    /// The namespace of the caller.
    pub namespace: String,
    /// The action's name.
    pub name: String,
    /// The action's version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Always false.
    pub publish: bool,
    /// Annotations.
    pub annotations: Vec<KeyValue>,
    /// Its id.
    #[serde(rename = "activationId")]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub activation_id: String,
    /// Start, epoch milliseconds.
    pub start: u64,
    /// End, epoch milliseconds.
    #[serde(default)]
    pub end: u64,
    /// Run time, milliseconds.
    #[serde(default)]
    pub duration: u64,
    /// The enclosing activation.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub cause: String,
    /// 0 success, 1 application error, 2 action developer error, 3 whisk internal error.
    #[serde(rename = "statusCode")]
    #[schema(minimum = 0, maximum = 3)]
    pub status_code: u8,
}

/// `GET .../activations/{id}/logs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationLogs {
    /// Log lines.
    pub logs: Vec<String>,
}

/// `count=true` of the activations list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationCount {
    /// How many activations match.
    pub activations: u64,
}

/// An activation in a list: a summary, or with `docs=true` the record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ActivationListItem {
    /// `docs=false`.
    Summary(ActivationSummary),
    /// `docs=true`.
    Record(Activation),
}

/// `GET .../activations`: summaries, full records with `docs=true`, or with `count=true`
/// `{"activations": n}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ActivationListing {
    /// The page, newest first.
    Page(Vec<ActivationListItem>),
    /// With `count=true`.
    Count(ActivationCount),
}

/// A non-blocking invoke, or a blocking one that outlived its wait: the id to look for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationIdBody {
    /// The activation's id (also in the `x-openwhisk-activation-id` header).
    #[serde(rename = "activationId")]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub activation_id: String,
}

/// What a finished blocking invoke answers: the activation record; with `result=true` only its
/// result; an array result always bare.
#[derive(Debug)]
pub struct InvokeOutcome;

impl utoipa::PartialSchema for InvokeOutcome {
    fn schema() -> RefOr<Schema> {
        outcome(false)
    }
}

impl ToSchema for InvokeOutcome {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((Activation::name().into(), <Activation as utoipa::PartialSchema>::schema()));
        <Activation as ToSchema>::schemas(schemas);
    }
}

/// What a failed blocking invoke answers with 500: the record of a platform failure (or its
/// result), or the error body of a request that failed before it ran.
#[derive(Debug)]
pub struct InvokeFailure;

impl utoipa::PartialSchema for InvokeFailure {
    fn schema() -> RefOr<Schema> {
        outcome(true)
    }
}

impl ToSchema for InvokeFailure {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        InvokeOutcome::schemas(schemas);
        schemas.push((
            super::errors::ErrorBody::name().into(),
            <super::errors::ErrorBody as utoipa::PartialSchema>::schema(),
        ));
    }
}

fn outcome(with_error: bool) -> RefOr<Schema> {
    let mut any = AnyOf::builder()
        .item(Ref::from_schema_name(Activation::name()))
        .item(ObjectBuilder::new().schema_type(Type::Object).description(Some("The result alone (`result=true`).")))
        .item(
            ArrayBuilder::new().items(RefOr::T(Schema::default())).description(Some("An array result, always bare.")),
        );
    if with_error {
        any = any.item(Ref::from_schema_name(super::errors::ErrorBody::name()));
    }
    any.into()
}

/// The parameters of an invoke: any JSON object; its keys override the action's parameters.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InvokePayload(pub std::collections::BTreeMap<String, Value>);
