//! `crash`: logs `crash: about to panic` to stderr, then panics with `crash on purpose`
//! (a trap under the `wasm-action` profile, which aborts on panic). The host must report a
//! developer error with no result, keeping the log line.

use std::convert::Infallible;

use gust_sdk::serde::de::IgnoredAny;
use serde_json::Value;

fn crash(_params: IgnoredAny) -> Result<Value, Infallible> {
    gust_sdk::log!("crash: about to panic");
    panic!("crash on purpose");
}

gust_sdk::action!(crash);
