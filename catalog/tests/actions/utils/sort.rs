use serde_json::{Value, json};

use crate::wasm::{error_of, run};

fn sort(lines: Value) -> Value {
    run("utils/sort", json!({ "lines": lines }))
}

#[test]
fn sort_sorts_strings() {
    assert_eq!(sort(json!(["seven", "eight", "nine"])), json!({ "lines": ["eight", "nine", "seven"], "length": 3 }));
    assert_eq!(sort(json!([4, 2, 3])), json!({ "lines": [2, 3, 4], "length": 3 }));
}

#[test]
fn sort_compares_everything_as_strings() {
    let lines = json!([10, 9, 1, "b", "B", "a", null, true]);
    let sorted = json!([1, 10, 9, "B", "a", "b", null, true]);
    assert_eq!(sort(lines), json!({ "lines": sorted, "length": 8 }));
}

#[test]
fn sort_orders_by_utf16_code_units_and_keeps_equal_elements_in_order() {
    // U+1F600 begins with the surrogate 0xD83D, below U+FF61.
    assert_eq!(sort(json!(["\u{ff61}", "\u{1f600}"])), json!({ "lines": ["\u{1f600}", "\u{ff61}"], "length": 2 }));
    let equal = json!([{ "k": 1 }, "[object Object]", { "k": 2 }, 2, "2"]);
    let sorted = json!([2, "2", { "k": 1 }, "[object Object]", { "k": 2 }]);
    assert_eq!(sort(equal), json!({ "lines": sorted, "length": 5 }));
}

#[test]
fn sort_without_lines_is_empty() {
    assert_eq!(run("utils/sort", json!({})), json!({ "lines": [], "length": 0 }));
}

#[test]
fn sort_of_lines_that_are_no_array_is_an_error() {
    assert_eq!(error_of(&sort(json!("cba"))), "the parameter `lines` must be an array, not a string");
    assert_eq!(error_of(&sort(json!(true))), "the parameter `lines` must be an array, not a boolean");
}
