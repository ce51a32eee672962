use serde_json::json;

use crate::wasm::{API_HOST, NAMESPACE, error_of, run, run_with_env};

#[test]
fn namespace_is_the_activations_namespace() {
    assert_eq!(run("utils/namespace", json!({ "ignored": 1 })), json!({ "namespace": NAMESPACE }));
    let env = [("__OW_NAMESPACE", "whisk.system")];
    assert_eq!(run_with_env("utils/namespace", json!({}), &env), json!({ "namespace": "whisk.system" }));
}

#[test]
fn namespace_without_ow_namespace_is_an_error() {
    let result = run_with_env("utils/namespace", json!({}), &[("__OW_API_HOST", API_HOST)]);
    assert!(error_of(&result).starts_with("__OW_NAMESPACE is not set"), "{result}");
}
