use serde_json::json;

use crate::wasm::{error_of, run};

#[test]
fn split_splits_at_the_separator() {
    let params = json!({ "payload": "seven,eight,nine", "separator": "," });
    assert_eq!(
        run("utils/split", params),
        json!({ "lines": ["seven", "eight", "nine"], "payload": "seven,eight,nine" })
    );
    let params = json!({ "payload": "a, b, ", "separator": ", " });
    assert_eq!(run("utils/split", params), json!({ "lines": ["a", "b", ""], "payload": "a, b, " }));
}

#[test]
fn split_splits_at_line_breaks_by_default() {
    let payload = "a\nb\r\nc\rd\n";
    let expected = json!({ "lines": ["a", "b", "c\rd", ""], "payload": payload });
    assert_eq!(run("utils/split", json!({ "payload": payload })), expected);
    assert_eq!(run("utils/split", json!({ "payload": payload, "separator": "" })), expected);
    assert_eq!(run("utils/split", json!({ "payload": "" })), json!({ "lines": [""], "payload": "" }));
}

#[test]
fn split_reads_payload_and_separator_as_strings() {
    let params = json!({ "payload": 12321, "separator": 2 });
    assert_eq!(run("utils/split", params), json!({ "lines": ["1", "3", "1"], "payload": 12321 }));
    let params = json!({ "payload": ["a", "b"], "separator": "," });
    assert_eq!(run("utils/split", params), json!({ "lines": ["a", "b"], "payload": ["a", "b"] }));
    assert_eq!(run("utils/split", json!({ "payload": false })), json!({ "lines": ["false"], "payload": false }));
}

#[test]
fn split_without_payload_is_an_error() {
    let message = "the parameter `payload` is required: the string to split";
    assert_eq!(error_of(&run("utils/split", json!({}))), message);
    assert_eq!(error_of(&run("utils/split", json!({ "payload": null, "separator": "," }))), message);
}
