//! Truthiness, string conversion and string order of JSON values, as JavaScript has them.

use std::cmp::Ordering;

use serde_json::Value;

use super::number::number_to_string;

/// Whether JavaScript treats `value` as true in a condition: everything but `null`, `false`,
/// `0` and `""` (arrays and objects, even empty ones, are true).
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `String(value)`: numbers as JavaScript prints them, arrays as `join(",")` of their
/// elements, objects as `[object Object]`.
pub fn to_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_to_string(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.clone(),
        Value::Array(items) => join(items, ","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// `items.join(separator)`: each element as [`to_string`] gives it, except `null`, which
/// joins as the empty string.
pub fn join(items: &[Value], separator: &str) -> String {
    let mut joined = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            joined.push_str(separator);
        }
        if !item.is_null() {
            joined.push_str(&to_string(item));
        }
    }
    joined
}

/// The order of JavaScript's default sort: by UTF-16 code units, not by code points (so
/// `"\u{ff61}"` sorts after `"\u{1f600}"`, whose first unit is a surrogate).
pub fn compare_utf16(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn falsy_values_are_exactly_javascripts() {
        for falsy in [json!(null), json!(false), json!(0), json!(0.0), json!(-0.0), json!("")] {
            assert!(!truthy(&falsy), "{falsy}");
        }
        for truthy_value in [json!(true), json!(1), json!(-0.5), json!("0"), json!(" "), json!([]), json!({})] {
            assert!(truthy(&truthy_value), "{truthy_value}");
        }
    }

    #[test]
    fn strings_of_values() {
        assert_eq!(to_string(&json!(null)), "null");
        assert_eq!(to_string(&json!(true)), "true");
        assert_eq!(to_string(&json!(42)), "42");
        assert_eq!(to_string(&json!(1.5)), "1.5");
        assert_eq!(to_string(&json!("text")), "text");
        assert_eq!(to_string(&json!([1, [2, 3], null, "x"])), "1,2,3,,x");
        assert_eq!(to_string(&json!({ "a": 1 })), "[object Object]");
    }

    #[test]
    fn join_leaves_nulls_empty() {
        assert_eq!(join(&[json!("seven"), json!(8), json!(null), json!(false)], "\n"), "seven\n8\n\nfalse");
        assert_eq!(join(&[], "\n"), "");
    }

    #[test]
    fn order_is_by_utf16_code_units() {
        assert_eq!(compare_utf16("B", "a"), Ordering::Less);
        assert_eq!(compare_utf16("a", "ab"), Ordering::Less);
        assert_eq!(compare_utf16("10", "9"), Ordering::Less);
        // U+FF61 is one unit, 0xFF61; U+1F600 starts with the surrogate 0xD83D: it sorts first,
        // although its code point is larger.
        assert_eq!(compare_utf16("\u{1f600}", "\u{ff61}"), Ordering::Less);
        assert_eq!("\u{1f600}".cmp("\u{ff61}"), Ordering::Greater);
    }
}
