//! `/whisk.system/utils/split`: splits `payload` into the array `lines` at each `separator`.
//!
//! Returns `{lines, payload}` with `payload` as given. `payload` is required and read as a
//! string (`String(payload)`: numbers, booleans and arrays too). A missing or falsy
//! `separator` splits at line breaks (`\n` or `\r\n`, the original's `/\r?\n/`); any other
//! separator is taken as a string (`String(separator)`), never as a regular expression.

use gust_catalog_actions::js;
use gust_catalog_actions::params::{self, Params};
use serde_json::{Value, json};

fn split(params: Params) -> Result<Value, String> {
    let payload = params::get(&params, "payload");
    if payload.is_null() {
        return Err("the parameter `payload` is required: the string to split".to_owned());
    }
    let text = js::to_string(payload);
    let separator = params::get(&params, "separator");
    let lines: Vec<&str> = if js::truthy(separator) {
        text.split(js::to_string(separator).as_str()).collect()
    } else {
        split_lines(&text)
    };
    Ok(json!({ "lines": lines, "payload": payload }))
}

/// Splits at every `\n`, taking one `\r` just before it along (`/\r?\n/`).
fn split_lines(text: &str) -> Vec<&str> {
    let mut pieces: Vec<&str> = text.split('\n').collect();
    let last = pieces.len() - 1;
    for piece in &mut pieces[..last] {
        *piece = piece.strip_suffix('\r').unwrap_or(piece);
    }
    pieces
}

gust_sdk::action!(split);
