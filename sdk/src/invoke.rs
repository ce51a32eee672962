//! One activation as a pure function: parameter JSON in, result object out.
//!
//! Everything the SDK decides about an activation's outcome lives here, so it can be tested
//! without stdin, stdout or environment variables.

use std::fmt::Display;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Runs the action `f` on `params` and returns the result object the host expects.
///
/// * `params` that do not deserialize into `P` give `{"error": "invalid parameters: …"}`;
/// * `Err(e)` gives `{"error": e.to_string()}`;
/// * `Ok(r)` gives `r` serialized, which must be a JSON object (a struct, a map, a
///   `serde_json::Value::Object`); anything else gives an `{"error": …}` result, because the
///   platform only accepts objects.
///
/// This is what [`run`](crate::run) does for each activation once it has the parameters. It is
/// public so that an action's own unit tests can call it:
///
/// ```
/// use serde_json::json;
///
/// fn double(n: serde_json::Map<String, serde_json::Value>) -> Result<serde_json::Value, String> {
///     let x = n.get("x").and_then(|v| v.as_i64()).ok_or("x is required")?;
///     Ok(json!({ "doubled": x * 2 }))
/// }
///
/// assert_eq!(gust_sdk::invoke(double, json!({ "x": 21 })), json!({ "doubled": 42 }));
/// assert_eq!(gust_sdk::invoke(double, json!({})), json!({ "error": "x is required" }));
/// ```
pub fn invoke<P, R, E>(f: impl FnOnce(P) -> Result<R, E>, params: Value) -> Value
where
    P: DeserializeOwned,
    R: Serialize,
    E: Display,
{
    let params = match serde_json::from_value::<P>(params) {
        Ok(params) => params,
        Err(e) => return error_result(format!("invalid parameters: {e}")),
    };
    match f(params) {
        Ok(result) => result_object(&result),
        Err(e) => error_result(e.to_string()),
    }
}

/// Parses the raw parameter bytes of an activation; blank input means `{}`.
pub(crate) fn parse_params(input: &[u8]) -> Result<Value, String> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(input).map_err(|e| format!("invalid parameters: {e}"))
}

/// `{"error": message}`: the shape of an application error.
pub(crate) fn error_result(message: impl Into<String>) -> Value {
    let mut object = Map::new();
    object.insert("error".to_owned(), Value::String(message.into()));
    Value::Object(object)
}

/// Serializes an action's `Ok` value, insisting on a JSON object.
fn result_object<R: Serialize>(result: &R) -> Value {
    match serde_json::to_value(result) {
        Ok(object @ Value::Object(_)) => object,
        Ok(other) => error_result(format!("the action returned {}, not a JSON object", kind(&other))),
        Err(e) => error_result(format!("cannot serialize the action's result: {e}")),
    }
}

/// A JSON value's kind, for error messages.
fn kind(value: &Value) -> &'static str {
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
    use std::collections::BTreeMap;
    use std::convert::Infallible;

    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Named {
        name: String,
    }

    fn greet(p: Named) -> Result<Value, Infallible> {
        Ok(json!({ "greeting": format!("Hello, {}!", p.name) }))
    }

    #[test]
    fn ok_values_are_serialized() {
        assert_eq!(invoke(greet, json!({ "name": "Ann" })), json!({ "greeting": "Hello, Ann!" }));
    }

    #[test]
    fn parameters_of_the_wrong_shape_are_an_application_error() {
        let result = invoke(greet, json!({ "name": 7 }));
        let message = result["error"].as_str().unwrap_or_default();
        assert!(message.starts_with("invalid parameters: invalid type: integer `7`"), "{message}");
        let missing = invoke(greet, json!({}));
        assert_eq!(missing, json!({ "error": "invalid parameters: missing field `name`" }));
    }

    #[test]
    fn errors_become_the_error_key() {
        let fail = |_: Value| -> Result<Value, String> { Err("boom".to_owned()) };
        assert_eq!(invoke(fail, json!({})), json!({ "error": "boom" }));
    }

    #[test]
    fn results_that_are_not_objects_are_refused() {
        let scalar = |_: Value| Ok::<_, Infallible>(42);
        let expected = json!({ "error": "the action returned a number, not a JSON object" });
        assert_eq!(invoke(scalar, json!({})), expected);
        let unit = |_: Value| Ok::<_, Infallible>(());
        let expected = json!({ "error": "the action returned null, not a JSON object" });
        assert_eq!(invoke(unit, json!({})), expected);
    }

    #[test]
    fn unserializable_results_are_an_error() {
        let bad = |_: Value| {
            let mut map = BTreeMap::new();
            map.insert(vec![1u8], 1);
            Ok::<_, Infallible>(map)
        };
        let result = invoke(bad, json!({}));
        let message = result["error"].as_str().unwrap_or_default();
        assert!(message.starts_with("cannot serialize the action's result: "), "{message}");
    }

    #[test]
    fn blank_input_means_an_empty_object() {
        assert_eq!(parse_params(b""), Ok(json!({})));
        assert_eq!(parse_params(b" \n\t"), Ok(json!({})));
        assert_eq!(parse_params(br#"{"a":1}"#), Ok(json!({ "a": 1 })));
    }

    #[test]
    fn malformed_input_is_reported() {
        let message = parse_params(b"{nope").err().unwrap_or_default();
        assert!(message.starts_with("invalid parameters: key must be a string"), "{message}");
    }
}
