//! `/whisk.system/utils/namespace`: returns `{namespace}`, the namespace the activation runs
//! in (`__OW_NAMESPACE`). Ignores its parameters.

use gust_catalog_actions::params::Params;
use gust_sdk::Context;
use serde_json::{Value, json};

fn namespace(_params: Params) -> Result<Value, String> {
    let namespace = Context::current().namespace;
    if namespace.is_empty() {
        return Err("__OW_NAMESPACE is not set: the platform did not say which namespace this runs in".to_owned());
    }
    Ok(json!({ "namespace": namespace }))
}

gust_sdk::action!(namespace);
