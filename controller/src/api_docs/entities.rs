//! The wire shapes of actions, packages, triggers and rules: full documents, list summaries,
//! PUT bodies and counts.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One entry of a `parameters` or `annotations` array.
#[derive(Debug, Deserialize, ToSchema)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// Any JSON value; `null` counts as "not defined".
    #[schema(value_type = Value)]
    pub value: Value,
    /// A parameter delivered only at container initialisation (as an environment variable).
    /// Present only when true.
    #[serde(default)]
    pub init: bool,
}

/// What an action runs, as stored and shown: the resolved `kind` and its code (base64 when
/// `binary`), or for `blackbox` a Docker `image` (with optional code).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Exec {
    /// The resolved kind, e.g. `wasm:wasip1`, `nodejs:18`, `blackbox`.
    #[schema(example = "wasm:wasip1")]
    pub kind: String,
    /// Source text, or base64 of a binary; absent with `?code=false`.
    #[serde(default)]
    pub code: String,
    /// The entry point, when not `main`.
    #[serde(default)]
    pub main: String,
    /// The image of a `blackbox` action.
    #[serde(default)]
    pub image: String,
    /// True when `code` is base64 (a Wasm module, a zip).
    pub binary: bool,
}

/// An action's limits.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionLimits {
    /// Run time limit, milliseconds.
    #[schema(example = 60000)]
    pub timeout: u64,
    /// Memory limit, MB.
    #[schema(example = 256)]
    pub memory: u32,
    /// Log size limit, MB.
    #[schema(example = 10)]
    pub logs: u32,
    /// Activations one container may run at once.
    #[schema(example = 1)]
    pub concurrency: u32,
}

/// An action (GET, PUT and DELETE answer it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Its path: the namespace, or `namespace/package` for an action inside a package.
    #[schema(example = "guest")]
    pub namespace: String,
    /// Its name.
    #[schema(example = "hello")]
    pub name: String,
    /// Its version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$", example = "0.0.1")]
    pub version: String,
    /// Shared with other namespaces.
    pub publish: bool,
    /// Annotations; the server keeps `exec` (the kind) and `provide-api-key` up to date.
    pub annotations: Vec<KeyValue>,
    /// Last write, epoch milliseconds.
    pub updated: u64,
    /// What it runs.
    pub exec: Exec,
    /// Default parameters (through a package or binding: the ones it runs with).
    pub parameters: Vec<KeyValue>,
    /// Its limits.
    pub limits: ActionLimits,
}

/// `exec` of an action summary: only whether the code is binary.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecSummary {
    /// True when the code is base64.
    pub binary: bool,
}

/// An action in a list: no code, no parameters (the kind is the `exec` annotation).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionSummary {
    /// Its path: the namespace, or `namespace/package`.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Shared with other namespaces.
    pub publish: bool,
    /// Annotations.
    pub annotations: Vec<KeyValue>,
    /// Its limits.
    pub limits: ActionLimits,
    /// Whether its code is binary.
    pub exec: ExecSummary,
    /// Last write, epoch milliseconds.
    pub updated: u64,
}

/// `exec` of a PUT body. `kind` is trimmed and lower-cased; `family:default` names the
/// family's default version. `binary` is ignored: the server decides it from `code`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ExecPut {
    /// The kind, e.g. `wasm:wasip1`, `wasm:default`, `nodejs:18`, `blackbox`.
    #[schema(example = "wasm:default")]
    pub kind: Option<String>,
    /// Source text, or base64 of a binary (a Wasm module for `wasm:wasip1`).
    pub code: Option<String>,
    /// The entry point, when not `main`.
    pub main: Option<String>,
    /// The image of a `blackbox` action.
    pub image: Option<String>,
    /// Ignored.
    pub binary: Option<bool>,
}

/// `limits` of a PUT body: each field optional, whole numbers within the deployment's bounds
/// (see `GET /api/v1/namespaces/{ns}/limits`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LimitsPut {
    /// Run time limit, milliseconds.
    pub timeout: Option<u64>,
    /// Memory limit, MB.
    pub memory: Option<u32>,
    /// Log size limit, MB.
    pub logs: Option<u32>,
    /// Activations one container may run at once.
    pub concurrency: Option<u32>,
}

/// The body of `PUT .../actions/...`. On create `exec` is required; on update
/// (`overwrite=true`) every field is optional, `limits` merge field by field and `annotations`
/// merge over the old ones. Other fields (`name`, `namespace`, ...) are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionPut {
    /// What it runs.
    pub exec: Option<ExecPut>,
    /// Default parameters (replace the old ones).
    pub parameters: Option<Vec<KeyValue>>,
    /// Limits.
    pub limits: Option<LimitsPut>,
    /// An explicit version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: Option<String>,
    /// Share the action.
    pub publish: Option<bool>,
    /// Annotations.
    pub annotations: Option<Vec<KeyValue>>,
    /// Annotation keys to remove before merging.
    #[serde(rename = "delAnnotations")]
    pub del_annotations: Option<Vec<String>>,
}

/// The package a binding binds.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingRef {
    /// The bound package's namespace.
    #[schema(example = "guest")]
    pub namespace: String,
    /// The bound package's name.
    #[schema(example = "utils")]
    pub name: String,
}

/// `binding` of a plain package: an empty object.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoBinding {}

/// `binding` of a package document: `{}` for a package, the bound package for a binding.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PackageBinding {
    /// A binding.
    Bound(BindingRef),
    /// A plain package.
    Unbound(NoBinding),
}

/// A package or binding (PUT and DELETE answer it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Its namespace.
    #[schema(example = "guest")]
    pub namespace: String,
    /// Its name.
    #[schema(example = "utils")]
    pub name: String,
    /// `{}`, or for a binding the bound package.
    pub binding: PackageBinding,
    /// Parameters every action of the package gets (under the action's own).
    pub parameters: Vec<KeyValue>,
    /// Its version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Shared with other namespaces.
    pub publish: bool,
    /// Annotations; a binding carries the server's `binding` annotation.
    pub annotations: Vec<KeyValue>,
    /// Last write, epoch milliseconds.
    pub updated: u64,
}

/// An action as `GET` of a package lists it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageItem {
    /// The action's name.
    pub name: String,
    /// Its version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Its annotations.
    pub annotations: Vec<KeyValue>,
}

/// `GET .../packages/{name}`: the package with its actions and feeds. For a binding: the
/// binding, with the bound package's parameters under its own, and the bound package's actions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageWithContents {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `{}`, or for a binding the bound package.
    pub binding: PackageBinding,
    /// Its parameters (for a binding: merged over the bound package's).
    pub parameters: Vec<KeyValue>,
    /// Its version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Shared with other namespaces.
    pub publish: bool,
    /// Annotations.
    pub annotations: Vec<KeyValue>,
    /// Last write, epoch milliseconds.
    pub updated: u64,
    /// The actions of the package.
    pub actions: Vec<PackageItem>,
    /// Those of its actions that are feeds (annotation `feed`).
    pub feeds: Vec<PackageItem>,
}

/// `binding` of a package summary: the literal `false` for a plain package.
#[derive(Debug)]
pub struct NotBound;

impl<'de> Deserialize<'de> for NotBound {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match bool::deserialize(d)? {
            false => Ok(NotBound),
            true => Err(serde::de::Error::custom("expected false")),
        }
    }
}

impl utoipa::PartialSchema for NotBound {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::Boolean)
            .enum_values(Some([false]))
            .description(Some("A plain package (not a binding)."))
            .into()
    }
}

impl ToSchema for NotBound {}

/// `binding` of a package summary: `false`, or the bound package.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SummaryBinding {
    /// A binding.
    Bound(BindingRef),
    /// A plain package.
    Unbound(NotBound),
}

/// A package in a list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageSummary {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Shared with other namespaces.
    pub publish: bool,
    /// Annotations.
    pub annotations: Vec<KeyValue>,
    /// Last write, epoch milliseconds.
    pub updated: u64,
    /// `false`, or for a binding the bound package.
    pub binding: SummaryBinding,
}

/// The body of `PUT .../packages/{name}`. With `binding` (whose namespace may be `_`), a
/// binding; `{}` or none, a plain package. Other fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PackagePut {
    /// The package to bind.
    pub binding: Option<PackagePutBinding>,
    /// Parameters (replace the old ones).
    pub parameters: Option<Vec<KeyValue>>,
    /// An explicit version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: Option<String>,
    /// Share the package with other namespaces.
    pub publish: Option<bool>,
    /// Annotations (replace the old ones).
    pub annotations: Option<Vec<KeyValue>>,
}

/// `binding` of a package PUT body: the package to bind, or `{}` for none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PackagePutBinding {
    /// The package to bind (`namespace` may be `_`).
    Bound(BindingRef),
    /// No binding.
    Unbound(NoBinding),
}

/// A trigger in a list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerSummary {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Shared with other namespaces.
    pub publish: bool,
    /// Annotations.
    pub annotations: Vec<KeyValue>,
    /// Last write, epoch milliseconds.
    pub updated: u64,
}

/// A trigger or action a rule names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityRef {
    /// Its path: the namespace, or `namespace/package`.
    pub path: String,
    /// Its name.
    pub name: String,
}

/// A rule in a list (without its status: clients read each rule for that).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSummary {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its version.
    #[schema(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$")]
    pub version: String,
    /// Shared with other namespaces.
    pub publish: bool,
    /// Annotations.
    pub annotations: Vec<KeyValue>,
    /// Last write, epoch milliseconds.
    pub updated: u64,
    /// The trigger.
    pub trigger: EntityRef,
    /// The action.
    pub action: EntityRef,
}

macro_rules! listing {
    ($(#[$doc:meta])* $name:ident, $item:ty, $count:ident, $field:ident) => {
        #[doc = concat!("`count=true` of a list: `{\"", stringify!($field), "\": n}` (`skip` applied).")]
        #[derive(Debug, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $count {
            /// How many there are.
            pub $field: u64,
        }

        $(#[$doc])*
        #[derive(Debug, Deserialize, ToSchema)]
        #[serde(untagged)]
        pub enum $name {
            /// The page of summaries, newest first.
            Page(Vec<$item>),
            /// With `count=true`.
            Count($count),
        }
    };
}

listing!(
    /// `GET` of actions: summaries, or with `count=true` `{"actions": n}`.
    ActionListing,
    ActionSummary,
    ActionCount,
    actions
);
listing!(
    /// `GET` of packages: summaries, or with `count=true` `{"packages": n}`.
    PackageListing,
    PackageSummary,
    PackageCount,
    packages
);
listing!(
    /// `GET` of triggers: summaries, or with `count=true` `{"triggers": n}`.
    TriggerListing,
    TriggerSummary,
    TriggerCount,
    triggers
);
listing!(
    /// `GET` of rules: rules, or with `count=true` `{"rules": n}`.
    RuleListing,
    RuleSummary,
    RuleCount,
    rules
);
