//! `/whisk.system/utils/hosturl`: returns `{url}`, the URL that invokes an action or fires a
//! trigger on this platform, built from `__OW_API_HOST` and `__OW_NAMESPACE`.
//!
//! | parameters                                | `url`                                          |
//! |-------------------------------------------|------------------------------------------------|
//! | none                                      | `<host>/api/v1/namespaces/<ns>/actions`        |
//! | `path: "pkg/act"`                         | `<host>/api/v1/namespaces/<ns>/actions/pkg/act`|
//! | `trigger: true, path: "t"`                | `<host>/api/v1/namespaces/<ns>/triggers/t`     |
//! | `web: true`                               | `<host>/api/v1/web/<ns>`                       |
//! | `web: true, path: "act", ext: ".json"`    | `<host>/api/v1/web/<ns>/default/act.json`      |
//! | `web: true, path: "pkg/act"`              | `<host>/api/v1/web/<ns>/pkg/act`               |
//!
//! `web` and `trigger` count only when they are `true`; `ext` must be one of `.html`, `.http`,
//! `.json`, `.svg`, `.text`; web triggers and triggers in packages are errors, with the
//! original's messages. `__OW_API_HOST` or `__OW_NAMESPACE` missing is an error too.

use gust_catalog_actions::js;
use gust_catalog_actions::params::{self, Params};
use gust_sdk::Context;
use serde_json::{Value, json};

/// The extensions a web action's URL may end with.
const WEB_EXTENSIONS: [&str; 5] = [".html", ".http", ".json", ".svg", ".text"];

fn hosturl(args: Params) -> Result<Value, String> {
    let ctx = Context::current();
    let Some(host) = ctx.api_host else {
        return Err("__OW_API_HOST is not set: the platform did not pass its API host to this action".to_owned());
    };
    if ctx.namespace.is_empty() {
        return Err("__OW_NAMESPACE is not set: the platform did not say which namespace this runs in".to_owned());
    }
    let ns = ctx.namespace;
    let web = params::get(&args, "web") == &Value::Bool(true);
    let trigger = params::get(&args, "trigger");
    let ext = params::get(&args, "ext");
    let path = params::get(&args, "path");

    let base = if web {
        format!("{host}/api/v1/web/{ns}")
    } else {
        let collection = if trigger == &Value::Bool(true) { "triggers" } else { "actions" };
        format!("{host}/api/v1/namespaces/{ns}/{collection}")
    };
    if web && js::truthy(trigger) {
        return Err("triggers are not allowed for web actions.".to_owned());
    } else if web && js::truthy(ext) {
        if !ext.as_str().is_some_and(|e| WEB_EXTENSIONS.contains(&e)) {
            return Err(
                r#"extension for web action must be one of [".html", ".http", ".json", ".svg", ".text"]."#.to_owned()
            );
        }
    } else if js::truthy(trigger) && has_slash(path)? {
        return Err("triggers are not allowed in packages.".to_owned());
    }
    if !js::truthy(path) {
        return Ok(json!({ "url": base }));
    }
    // An action outside any package is in the `default` package of a web URL.
    let package = if web && !has_slash(path)? { "default/" } else { "" };
    let ext = if web && js::truthy(ext) { js::to_string(ext) } else { String::new() };
    Ok(json!({ "url": format!("{base}/{package}{}{ext}", js::to_string(path)) }))
}

/// `path.indexOf('/') !== -1`: whether a string path names a package, or an array path holds
/// the element `"/"`; other values have no `indexOf`, so the original throws.
fn has_slash(path: &Value) -> Result<bool, String> {
    match path {
        Value::String(s) => Ok(s.contains('/')),
        Value::Array(items) => Ok(items.iter().any(|item| item == "/")),
        other => Err(format!("the parameter `path` must be a string, not {}", params::kind(other))),
    }
}

gust_sdk::action!(hosturl);
