//! Numbers as JavaScript converts them: `String(number)` and `Number(value)`.

use serde_json::Value;

use super::value::join;

/// `String(x)` for a number: the shortest digits that read back as `x`, written in plain
/// notation from 1e-6 up to (not including) 1e21 and in exponent notation (`1e+21`, `1.5e-7`)
/// outside that range, as ECMAScript's `Number::toString` specifies.
pub fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x < 0.0 {
        return format!("-{}", number_to_string(-x));
    }
    // Rust's `{:e}` prints the shortest round-trip digits: "1.2345e2" is 123.45.
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    // ECMAScript's names: x = 0.digits × 10^n, k digits.
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let n = exponent + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{sign}{}", e.unsigned_abs())
    }
}

/// `Number(value)`: `null` is 0, booleans 0 and 1, strings as [`string_to_number`] reads
/// them, arrays as their `join(",")` string, objects `NaN`.
pub fn to_number(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => string_to_number(s),
        Value::Array(items) => string_to_number(&join(items, ",")),
        Value::Object(_) => f64::NAN,
    }
}

/// `Number(text)`: surrounding white space is ignored, the empty string is 0, and the text
/// must be a decimal literal (`-1.5e3`, `.5`, `5.`), `Infinity` with an optional sign, or an
/// unsigned `0x`, `0o` or `0b` integer; anything else is `NaN`.
pub fn string_to_number(text: &str) -> f64 {
    let text = text.trim_matches(is_js_space);
    if text.is_empty() {
        return 0.0;
    }
    let radix = match text.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        return integer_in_radix(&text[2..], radix);
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned == "Infinity" {
        return if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    if is_decimal_literal(unsigned) { text.parse().unwrap_or(f64::NAN) } else { f64::NAN }
}

/// ECMAScript's `ToIntegerOrInfinity`: `NaN` is 0, everything else loses its fraction.
pub fn to_integer(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.trunc() }
}

/// ECMAScript's white space and line terminators, which `Number(text)` trims.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// An unsigned decimal literal: digits with an optional fraction, or a fraction alone, then an
/// optional exponent.
fn is_decimal_literal(text: &str) -> bool {
    let (number, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

/// The value of unsigned `digits` in `radix`, `NaN` when there are none or one is not a digit.
fn integer_in_radix(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut value = 0.0;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => value = value * f64::from(radix) + f64::from(d),
            None => return f64::NAN,
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_print_as_in_javascript() {
        let cases: [(f64, &str); 18] = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-7.0, "-7"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (100.0, "100"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (0.000001, "0.000001"),
            (0.0000012, "0.0000012"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (9007199254740993.0, "9007199254740992"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ];
        for (x, expected) in cases {
            assert_eq!(number_to_string(x), expected, "{x:e}");
        }
        assert_eq!(number_to_string(f64::NAN), "NaN");
        assert_eq!(number_to_string(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn strings_read_as_numbers_as_in_javascript() {
        let cases: [(&str, f64); 16] = [
            ("", 0.0),
            ("  \n", 0.0),
            ("2", 2.0),
            (" 2 ", 2.0),
            ("-2.5", -2.5),
            ("+.5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E-1", 0.1),
            ("0x1F", 31.0),
            ("0o17", 15.0),
            ("0b101", 5.0),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("\u{feff}3\u{3000}", 3.0),
            ("007", 7.0),
        ];
        for (text, expected) in cases {
            assert_eq!(string_to_number(text), expected, "{text:?}");
        }
        for nan in ["abc", "1a", ".", "e5", "1e", "-0x10", "0x", "inf", "NaN", "infinity", "1_000", "\u{85}1"] {
            assert!(string_to_number(nan).is_nan(), "{nan:?}");
        }
    }

    #[test]
    fn values_read_as_numbers_as_in_javascript() {
        assert_eq!(to_number(&json!(null)), 0.0);
        assert_eq!(to_number(&json!(true)), 1.0);
        assert_eq!(to_number(&json!(3)), 3.0);
        assert_eq!(to_number(&json!("4")), 4.0);
        assert_eq!(to_number(&json!([])), 0.0);
        assert_eq!(to_number(&json!([2])), 2.0);
        assert!(to_number(&json!([1, 2])).is_nan());
        assert!(to_number(&json!({})).is_nan());
    }

    #[test]
    fn integers_drop_fractions_and_nan() {
        assert_eq!(to_integer(2.9), 2.0);
        assert_eq!(to_integer(-2.9), -2.0);
        assert_eq!(to_integer(f64::NAN), 0.0);
        assert_eq!(to_integer(f64::INFINITY), f64::INFINITY);
    }
}
