//! `fail`: an SDK action that always returns `Err("boom: <reason>")`, `<reason>` being the
//! `reason` parameter or `no reason`. The host must report an application error whose result
//! is `{"error": "boom: …"}`.

use gust_sdk::serde::Deserialize;
use serde_json::Value;

/// The parameters: an optional reason to put in the error.
#[derive(Deserialize)]
#[serde(crate = "gust_sdk::serde")]
struct Params {
    reason: Option<String>,
}

fn fail(params: Params) -> Result<Value, String> {
    Err(format!("boom: {}", params.reason.as_deref().unwrap_or("no reason")))
}

gust_sdk::action!(fail);
