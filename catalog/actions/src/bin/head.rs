//! `/whisk.system/utils/head`: keeps the first `num` (default 1) elements of the array `lines`.
//!
//! Returns `{lines, num}`. A missing or falsy `lines` counts as `[]`, a missing or falsy `num`
//! as 1; `num` is read as JavaScript's `slice` reads it (`"2"` is 2, a fraction is cut, a
//! negative `num` drops that many elements from the end) and returned as given. Like the
//! original, a string `lines` gives its first `num` characters (UTF-16 code units, never
//! splitting a character); any other `lines` is an error.

use gust_catalog_actions::js;
use gust_catalog_actions::params::{self, Params};
use serde_json::{Value, json};

fn head(params: Params) -> Result<Value, String> {
    let lines = params::or(&params, "lines", json!([]));
    let num = params::or(&params, "num", json!(1));
    let end = js::to_integer(js::to_number(&num));
    let head = match lines {
        Value::Array(mut items) => {
            items.truncate(slice_end(end, items.len()));
            Value::Array(items)
        }
        Value::String(text) => Value::String(utf16_prefix(&text, slice_end(end, text.encode_utf16().count()))),
        other => return Err(format!("the parameter `lines` must be an array, not {}", params::kind(&other))),
    };
    Ok(json!({ "lines": head, "num": num }))
}

/// Where `slice(0, end)` stops in a sequence of `len` items: a negative `end` counts back
/// from the end.
fn slice_end(end: f64, len: usize) -> usize {
    let len_f = len as f64;
    let end = if end < 0.0 { (len_f + end).max(0.0) } else { end.min(len_f) };
    // In 0..=len after clamping, so the conversion is exact.
    end as usize
}

/// The longest prefix of `text` that has at most `units` UTF-16 code units.
fn utf16_prefix(text: &str, units: usize) -> String {
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= units
        })
        .collect()
}

gust_sdk::action!(head);
