//! The wire shapes of the information routes and of a namespace's limits.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

/// Where the description of the API is, relative to `/api/v1`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwaggerPaths {
    /// A page about the description.
    #[schema(example = "/docs")]
    pub ui: String,
    /// The OpenAPI description.
    #[serde(rename = "api-docs")]
    #[schema(example = "/api-docs")]
    pub api_docs: String,
}

/// `GET /api/v1`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiInfo {
    /// `OpenWhisk API`.
    pub description: String,
    /// `1.0.0`.
    pub api_version: String,
    /// `v1`.
    pub api_version_path: String,
    /// The build.
    pub build: String,
    /// The build's tag.
    pub buildno: String,
    /// Where the description of the API is.
    pub swagger_paths: SwaggerPaths,
}

/// Where to ask for help.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// Issues.
    pub github: String,
    /// Chat.
    pub slack: String,
}

/// The deployment's action limits (durations in milliseconds, sizes in bytes).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentLimits {
    /// The most actions a sequence may have.
    pub sequence_length: u64,
    /// Shortest timeout.
    pub min_action_duration: u64,
    /// Longest timeout.
    pub max_action_duration: u64,
    /// Smallest memory limit.
    pub min_action_memory: u64,
    /// Largest memory limit.
    pub max_action_memory: u64,
    /// Smallest log limit.
    pub min_action_logs: u64,
    /// Largest log limit.
    pub max_action_logs: u64,
}

/// One runtime kind.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuntimeInfo {
    /// The kind, e.g. `wasm:wasip1`.
    pub kind: String,
    /// Its Docker image; `null` for the WebAssembly kind.
    pub image: Option<String>,
    /// The family's default.
    pub default: bool,
    /// Always false (deprecated kinds are not listed).
    pub deprecated: bool,
    /// Always true.
    pub attached: bool,
    /// Always false.
    #[serde(rename = "requireMain")]
    pub require_main: bool,
}

/// `GET /`: the deployment's limits and runtime kinds (tools discover kinds here).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentInfo {
    /// `OpenWhisk`.
    pub description: String,
    /// Where to ask for help.
    pub support: Support,
    /// `["/api/v1"]`.
    pub api_paths: Vec<String>,
    /// The limits.
    pub limits: DeploymentLimits,
    /// The kinds by family (`wasm`, `nodejs`, ...).
    pub runtimes: BTreeMap<String, Vec<RuntimeInfo>>,
}

/// `GET .../namespaces/{ns}/limits`: the namespace's overrides where set, the system's values
/// otherwise (memory and logs in MB, timeouts in milliseconds).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceLimits {
    /// Invocations per minute.
    pub invocations_per_minute: u64,
    /// Activations in flight at once.
    pub concurrent_invocations: u64,
    /// Trigger fires per minute.
    pub fires_per_minute: u64,
    /// Smallest action memory, MB.
    pub min_action_memory: u64,
    /// Largest action memory, MB.
    pub max_action_memory: u64,
    /// Smallest action log limit, MB.
    pub min_action_logs: u64,
    /// Largest action log limit, MB.
    pub max_action_logs: u64,
    /// Shortest action timeout, ms.
    pub min_action_timeout: u64,
    /// Longest action timeout, ms.
    pub max_action_timeout: u64,
    /// Smallest intra-container concurrency.
    pub min_action_concurrency: u64,
    /// Largest intra-container concurrency.
    pub max_action_concurrency: u64,
    /// Largest parameters (and annotations) of an entity, e.g. `1048576 B`.
    #[schema(pattern = "^[0-9]+ (B|KB|MB|GB)$", example = "1048576 B")]
    pub max_parameter_size: String,
    /// Containers of one action at once.
    pub max_action_instances: u64,
}
