use serde_json::json;

use crate::wasm::{error_of, run};

#[test]
fn cat_joins_lines_with_line_breaks() {
    let lines = json!(["seven", "eight", "nine"]);
    assert_eq!(run("utils/cat", json!({ "lines": lines })), json!({ "lines": lines, "payload": "seven\neight\nnine" }));
}

#[test]
fn cat_writes_elements_as_javascript_joins_them() {
    let lines = json!([4, 2.5, null, true, [1, 2], { "a": 1 }, 1e21]);
    let payload = "4\n2.5\n\ntrue\n1,2\n[object Object]\n1e+21";
    assert_eq!(run("utils/cat", json!({ "lines": lines })), json!({ "lines": lines, "payload": payload }));
}

#[test]
fn cat_without_lines_is_empty() {
    let empty = json!({ "lines": [], "payload": "" });
    assert_eq!(run("utils/cat", json!({})), empty);
    assert_eq!(run("utils/cat", json!({ "lines": null })), empty);
    assert_eq!(run("utils/cat", json!({ "lines": "" })), empty);
    assert_eq!(run("utils/cat", json!({ "lines": 0 })), empty);
}

#[test]
fn cat_of_lines_that_are_no_array_is_an_error() {
    let result = run("utils/cat", json!({ "lines": "seven" }));
    assert_eq!(error_of(&result), "the parameter `lines` must be an array, not a string");
    let result = run("utils/cat", json!({ "lines": { "0": "a" } }));
    assert_eq!(error_of(&result), "the parameter `lines` must be an array, not an object");
}
