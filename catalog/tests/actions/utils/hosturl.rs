use serde_json::{Value, json};

use crate::wasm::{API_HOST, NAMESPACE, error_of, run, run_with_env};

fn url(args: Value) -> String {
    let result = run("utils/hosturl", args);
    assert_eq!(result.as_object().map(|o| o.len()), Some(1), "{result}");
    result["url"].as_str().unwrap_or_else(|| panic!("no url: {result}")).to_owned()
}

#[test]
fn hosturl_builds_openwhisks_urls() {
    let base = format!("{API_HOST}/api/v1");
    let ns = NAMESPACE;
    let cases = [
        (json!({}), format!("{base}/namespaces/{ns}/actions")),
        (json!({ "path": "echo" }), format!("{base}/namespaces/{ns}/actions/echo")),
        (json!({ "path": "utils/echo" }), format!("{base}/namespaces/{ns}/actions/utils/echo")),
        (json!({ "trigger": true, "path": "echo" }), format!("{base}/namespaces/{ns}/triggers/echo")),
        (json!({ "web": true }), format!("{base}/web/{ns}")),
        (json!({ "web": true, "path": "echo", "ext": ".text" }), format!("{base}/web/{ns}/default/echo.text")),
        (json!({ "web": true, "path": "utils/echo" }), format!("{base}/web/{ns}/utils/echo")),
    ];
    for (args, expected) in cases {
        assert_eq!(url(args.clone()), expected, "{args}");
    }
}

#[test]
fn hosturl_counts_web_and_trigger_only_when_true() {
    let base = format!("{API_HOST}/api/v1/namespaces/{NAMESPACE}");
    assert_eq!(url(json!({ "web": "true", "path": "echo", "ext": ".json" })), format!("{base}/actions/echo"));
    // A truthy trigger that is not `true` still forbids packages, but names an action.
    assert_eq!(url(json!({ "trigger": "yes", "path": "t" })), format!("{base}/actions/t"));
    let result = run("utils/hosturl", json!({ "trigger": "yes", "path": "p/t" }));
    assert_eq!(error_of(&result), "triggers are not allowed in packages.");
}

#[test]
fn hosturl_refuses_what_openwhisk_refuses() {
    let cases = [
        (json!({ "web": true, "trigger": true }), "triggers are not allowed for web actions."),
        (
            json!({ "web": true, "path": "echo", "ext": ".xml" }),
            r#"extension for web action must be one of [".html", ".http", ".json", ".svg", ".text"]."#,
        ),
        (json!({ "trigger": true, "path": "utils/t" }), "triggers are not allowed in packages."),
        (json!({ "trigger": true }), "the parameter `path` must be a string, not null"),
        (json!({ "web": true, "path": 5 }), "the parameter `path` must be a string, not a number"),
    ];
    for (args, message) in cases {
        assert_eq!(error_of(&run("utils/hosturl", args.clone())), message, "{args}");
    }
}

#[test]
fn hosturl_needs_the_api_host_and_namespace() {
    let result = run_with_env("utils/hosturl", json!({}), &[("__OW_NAMESPACE", NAMESPACE)]);
    assert!(error_of(&result).starts_with("__OW_API_HOST is not set"), "{result}");
    let result = run_with_env("utils/hosturl", json!({}), &[("__OW_API_HOST", API_HOST)]);
    assert!(error_of(&result).starts_with("__OW_NAMESPACE is not set"), "{result}");
    let env = [("__OW_NAMESPACE", "whisk.system"), ("__OW_API_HOST", "https://example.org:443")];
    let result = run_with_env("utils/hosturl", json!({ "path": "utils/echo" }), &env);
    assert_eq!(result, json!({ "url": "https://example.org:443/api/v1/namespaces/whisk.system/actions/utils/echo" }));
}
