//! OpenWhisk's key-value arrays, as annotations and parameters are stored.

use serde_json::{Map, Value};

/// `[{"key": k, "value": v}, …]` from pairs, in their order.
pub(crate) fn key_values<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    pairs
        .into_iter()
        .map(|(key, value)| {
            let mut pair = Map::new();
            pair.insert("key".to_owned(), Value::String(key.to_owned()));
            pair.insert("value".to_owned(), value);
            Value::Object(pair)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn pairs_become_key_value_objects_in_order() {
        let array = key_values([("description", json!("d")), ("sampleInput", json!({ "a": 1 }))]);
        assert_eq!(
            array,
            json!([{ "key": "description", "value": "d" }, { "key": "sampleInput", "value": { "a": 1 } }])
        );
    }
}
