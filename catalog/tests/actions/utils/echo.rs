use serde_json::json;

use crate::wasm::run;

#[test]
fn echo_returns_its_parameters() {
    let params = json!({ "payload": "Five fuzzy felines", "n": 1.5, "nested": { "a": [1, null, true] } });
    assert_eq!(run("utils/echo", params.clone()), params);
}

#[test]
fn echo_of_nothing_is_an_empty_object() {
    assert_eq!(run("utils/echo", json!({})), json!({}));
}
