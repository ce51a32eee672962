use serde_json::{Value, json};

use crate::wasm::{error_of, run};

fn head(lines: Value, num: Value) -> Value {
    run("utils/head", json!({ "lines": lines, "num": num }))
}

#[test]
fn head_keeps_the_first_num_lines() {
    let lines = json!(["seven", "eight", "nine"]);
    assert_eq!(head(lines.clone(), json!(2)), json!({ "lines": ["seven", "eight"], "num": 2 }));
    assert_eq!(head(lines, json!(10)), json!({ "lines": ["seven", "eight", "nine"], "num": 10 }));
}

#[test]
fn head_keeps_one_line_by_default() {
    let lines = json!(["seven", "eight", "nine"]);
    assert_eq!(run("utils/head", json!({ "lines": lines })), json!({ "lines": ["seven"], "num": 1 }));
    assert_eq!(head(lines.clone(), json!(0)), json!({ "lines": ["seven"], "num": 1 }));
    assert_eq!(head(lines, json!(null)), json!({ "lines": ["seven"], "num": 1 }));
}

#[test]
fn head_reads_num_as_javascripts_slice_does() {
    let lines = json!([1, 2, 3, 4]);
    assert_eq!(head(lines.clone(), json!("2")), json!({ "lines": [1, 2], "num": "2" }));
    assert_eq!(head(lines.clone(), json!(2.9)), json!({ "lines": [1, 2], "num": 2.9 }));
    assert_eq!(head(lines.clone(), json!(-1)), json!({ "lines": [1, 2, 3], "num": -1 }));
    assert_eq!(head(lines.clone(), json!(-10)), json!({ "lines": [], "num": -10 }));
    assert_eq!(head(lines, json!("many")), json!({ "lines": [], "num": "many" }));
}

#[test]
fn head_without_lines_is_empty() {
    assert_eq!(run("utils/head", json!({})), json!({ "lines": [], "num": 1 }));
}

#[test]
fn head_of_a_string_is_its_prefix() {
    assert_eq!(head(json!("seven"), json!(3)), json!({ "lines": "sev", "num": 3 }));
    // U+1F600 is two UTF-16 code units: one unit of it is not taken.
    assert_eq!(head(json!("\u{1f600}a"), json!(1)), json!({ "lines": "", "num": 1 }));
    assert_eq!(head(json!("\u{1f600}a"), json!(2)), json!({ "lines": "\u{1f600}", "num": 2 }));
}

#[test]
fn head_of_lines_that_are_no_array_is_an_error() {
    assert_eq!(error_of(&head(json!(5), json!(1))), "the parameter `lines` must be an array, not a number");
    assert_eq!(error_of(&head(json!({ "a": 1 }), json!(1))), "the parameter `lines` must be an array, not an object");
}
