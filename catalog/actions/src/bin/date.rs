//! `/whisk.system/utils/date`: returns the current date and time as `{date}`, an ISO 8601
//! string in UTC with milliseconds (`2016-03-22T00:59:55.961Z`), as JavaScript writes a `Date`
//! in JSON. Ignores its parameters.

use std::convert::Infallible;

use gust_catalog_actions::params::Params;
use gust_catalog_actions::time;
use serde_json::{Value, json};

fn date(_params: Params) -> Result<Value, Infallible> {
    Ok(json!({ "date": time::iso_8601(time::now_ms()) }))
}

gust_sdk::action!(date);
