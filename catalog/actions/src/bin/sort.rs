//! `/whisk.system/utils/sort`: sorts the array `lines` as JavaScript's default sort does.
//!
//! Returns `{lines, length}`. Elements are compared as strings (`String(element)`, so `10`
//! sorts before `9` and `null` as `"null"`), by UTF-16 code units; equal ones keep their order.
//! A missing or falsy `lines` counts as `[]`; any other `lines` that is not an array is an
//! error (the original throws there).

use gust_catalog_actions::js;
use gust_catalog_actions::params::{self, Params};
use serde_json::{Value, json};

fn sort(params: Params) -> Result<Value, String> {
    let lines = params::or(&params, "lines", json!([]));
    let Value::Array(items) = lines else {
        return Err(format!("the parameter `lines` must be an array, not {}", params::kind(&lines)));
    };
    let mut keyed: Vec<(String, Value)> = items.into_iter().map(|item| (js::to_string(&item), item)).collect();
    keyed.sort_by(|(a, _), (b, _)| js::compare_utf16(a, b));
    let length = keyed.len();
    let sorted: Vec<Value> = keyed.into_iter().map(|(_, item)| item).collect();
    Ok(json!({ "lines": sorted, "length": length }))
}

gust_sdk::action!(sort);
