//! `/whisk.system/utils/smash`: nests all the other parameters under the one named by
//! `$fieldName`.
//!
//! `{"$fieldName": "p", "a": 1}` gives `{"p": {"a": 1}}`. `$fieldName` must be a string.

use gust_catalog_actions::params::Params;
use serde_json::{Map, Value};

fn smash(mut params: Params) -> Result<Params, String> {
    let Some(Value::String(field)) = params.remove("$fieldName") else {
        return Err("Expected an argument '$fieldName' of type 'string'.".to_owned());
    };
    let mut nested = Map::new();
    nested.insert(field, Value::Object(params));
    Ok(nested)
}

gust_sdk::action!(smash);
