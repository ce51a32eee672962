//! `/whisk.system/utils/cat`: joins the array `lines` with line breaks into `payload`.
//!
//! Returns `{lines, payload}`. A missing or falsy `lines` counts as `[]`; elements are written
//! as JavaScript's `join` writes them (`null` as the empty string, numbers as JavaScript prints
//! them). A `lines` that is not an array is an error (the original throws there).

use gust_catalog_actions::js;
use gust_catalog_actions::params::{self, Params};
use serde_json::{Value, json};

fn cat(params: Params) -> Result<Value, String> {
    let lines = params::or(&params, "lines", json!([]));
    let Value::Array(items) = &lines else {
        return Err(format!("the parameter `lines` must be an array, not {}", params::kind(&lines)));
    };
    let payload = js::join(items, "\n");
    Ok(json!({ "lines": lines, "payload": payload }))
}

gust_sdk::action!(cat);
