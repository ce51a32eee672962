use std::time::{SystemTime, UNIX_EPOCH};

use gust_catalog_actions::time::iso_8601;
use serde_json::json;

use crate::wasm::run;

fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("the clock is after 1970");
    i64::try_from(since.as_millis()).expect("milliseconds fit")
}

#[test]
fn date_is_now_in_iso_8601() {
    let before = iso_8601(now_ms());
    let result = run("utils/date", json!({}));
    let after = iso_8601(now_ms());
    let date = result["date"].as_str().unwrap_or_else(|| panic!("no date: {result}"));
    assert_eq!(result.as_object().map(|o| o.len()), Some(1), "{result}");
    // `YYYY-MM-DDTHH:mm:ss.sssZ` strings of one width sort as their instants do.
    assert_eq!(date.len(), "2016-03-22T00:59:55.961Z".len(), "{date}");
    assert!(before.as_str() <= date && date <= after.as_str(), "{before} <= {date} <= {after}");
}
