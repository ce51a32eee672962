//! Reading an action's parameters the way JavaScript reads an object's properties.

use serde_json::{Map, Value};

/// The parameters of an activation: a JSON object.
pub type Params = Map<String, Value>;

/// `params.name` as JavaScript sees it: an absent property reads as `null` (JavaScript's
/// `undefined`, which no JSON value can be and which behaves like `null` in every place the
/// catalog's actions look at it).
pub fn get<'a>(params: &'a Params, name: &str) -> &'a Value {
    params.get(name).unwrap_or(&Value::Null)
}

/// `params.name || fallback`: the parameter when it is truthy, `fallback` otherwise.
pub fn or(params: &Params, name: &str, fallback: Value) -> Value {
    let value = get(params, name);
    if crate::js::truthy(value) { value.clone() } else { fallback }
}

/// What kind of JSON value `value` is, for error messages: "a string", "an object", ...
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn absent_parameters_read_as_null() {
        let params = Params::new();
        assert_eq!(get(&params, "lines"), &Value::Null);
    }

    #[test]
    fn falsy_parameters_fall_back() {
        let Value::Object(params) = json!({ "zero": 0, "empty": "", "no": false, "one": 1, "list": [] }) else {
            unreachable!("a literal object")
        };
        assert_eq!(or(&params, "zero", json!(7)), json!(7));
        assert_eq!(or(&params, "empty", json!(7)), json!(7));
        assert_eq!(or(&params, "no", json!(7)), json!(7));
        assert_eq!(or(&params, "absent", json!(7)), json!(7));
        assert_eq!(or(&params, "one", json!(7)), json!(1));
        assert_eq!(or(&params, "list", json!(7)), json!([]));
    }
}
