//! Unauthenticated information: `/ping`, `/`, `/api/v1`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api_docs::info::{ApiInfo, DeploymentInfo};
use crate::state::AppState;

/// Ping
///
/// `pong`, while the controller serves.
#[utoipa::path(get, path = "/ping", operation_id = "ping", tag = "Info",
    responses((status = 200, description = "`pong`", body = String, content_type = "text/plain", example = "pong")))]
pub(crate) async fn ping() -> &'static str {
    "pong"
}

/// The API
///
/// Its version and where its description is.
#[utoipa::path(get, path = "/api/v1", operation_id = "getApiInfo", tag = "Info", responses((status = 200, description = "The API.", body = ApiInfo)))]
pub(crate) async fn api_v1() -> Json<Value> {
    Json(json!({
        "description": "OpenWhisk API",
        "api_version": "1.0.0",
        "api_version_path": "v1",
        "build": env!("CARGO_PKG_VERSION"),
        "buildno": concat!("gust-", env!("CARGO_PKG_VERSION")),
        "swagger_paths": {"ui": "/docs", "api-docs": "/api-docs"},
    }))
}

/// The deployment
///
/// Its limits and runtime kinds (tools discover kinds here).
#[utoipa::path(get, path = "/", operation_id = "getDeployment", tag = "Info", responses((status = 200, description = "The deployment.", body = DeploymentInfo)))]
pub(crate) async fn root(State(st): State<AppState>) -> Json<Value> {
    let cfg = &st.0.config;
    let b = &cfg.bounds;
    let mut runtimes = serde_json::Map::new();
    for k in cfg.manifest.kinds.iter().filter(|k| !k.deprecated) {
        let entry = runtimes.entry(k.family().to_owned()).or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(list) = entry {
            let image = match &k.sandbox {
                gust_core::exec::Sandbox::Wasm => Value::Null,
                gust_core::exec::Sandbox::Docker { image } => json!(image),
            };
            list.push(json!({"kind": k.kind, "image": image, "default": k.default, "deprecated": false,
                             "attached": true, "requireMain": false}));
        }
    }
    Json(json!({
        "description": "OpenWhisk",
        "support": {"github": "https://github.com/apache/openwhisk/issues", "slack": "http://slack.openwhisk.org"},
        "api_paths": ["/api/v1"],
        "limits": {
            "sequence_length": 50,
            "min_action_duration": b.min_timeout,
            "max_action_duration": b.max_timeout,
            "min_action_memory": u64::from(b.min_memory) << 20,
            "max_action_memory": u64::from(b.max_memory) << 20,
            "min_action_logs": u64::from(b.min_logs) << 20,
            "max_action_logs": u64::from(b.max_logs) << 20,
        },
        "runtimes": runtimes,
    }))
}
