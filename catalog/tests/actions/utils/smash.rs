use serde_json::json;

use crate::wasm::{error_of, run};

#[test]
fn smash_nests_the_parameters_under_field_name() {
    let params = json!({ "$fieldName": "x", "a": 1, "b": 2, "c": { "d": 3, "e": 4 } });
    assert_eq!(run("utils/smash", params), json!({ "x": { "a": 1, "b": 2, "c": { "d": 3, "e": 4 } } }));
    assert_eq!(run("utils/smash", json!({ "$fieldName": "x" })), json!({ "x": {} }));
    assert_eq!(run("utils/smash", json!({ "$fieldName": "", "a": 1 })), json!({ "": { "a": 1 } }));
}

#[test]
fn smash_needs_a_string_field_name() {
    let message = "Expected an argument '$fieldName' of type 'string'.";
    assert_eq!(error_of(&run("utils/smash", json!({}))), message);
    assert_eq!(error_of(&run("utils/smash", json!({ "$fieldName": 5, "a": 1 }))), message);
}
