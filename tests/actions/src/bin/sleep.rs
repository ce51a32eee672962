//! `sleep`: an SDK action with parameters `{ms: u64}` that sleeps that long, then returns
//! `{"slept": ms}`. The host must report success when `ms` is within the timeout, a timeout
//! otherwise; missing `ms` is an application error (`invalid parameters: …`).

use std::convert::Infallible;
use std::time::Duration;

use gust_sdk::serde::Deserialize;
use serde_json::{Value, json};

/// The parameters: how long to sleep, in milliseconds.
#[derive(Deserialize)]
#[serde(crate = "gust_sdk::serde")]
struct Params {
    ms: u64,
}

fn sleep(params: Params) -> Result<Value, Infallible> {
    std::thread::sleep(Duration::from_millis(params.ms));
    Ok(json!({ "slept": params.ms }))
}

gust_sdk::action!(sleep);
