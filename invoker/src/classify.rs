//! Turning what an action produced into an OpenWhisk outcome. Shared by every executor, so a
//! Wasm action and a container action that misbehave the same way get the same answer.

use gust_core::activation::{ActivationResponse, ActivationStatus};
use gust_core::time::{log_line, now_us};
use serde_json::Value;

/// The largest result OpenWhisk accepts (1 MiB); a larger one is an application error.
pub const MAX_RESULT_BYTES: usize = 1 << 20;

/// The messages of developer and application errors (OpenWhisk's wording where it has one).
pub mod messages {
    /// The action ran out of its memory limit.
    pub const OUT_OF_MEMORY: &str = "The action exhausted its memory and was aborted.";

    /// The action hit its time limit.
    pub fn timeout(ms: u64) -> String {
        format!("The action exceeded its time limits of {ms} milliseconds.")
    }

    /// The action trapped (a WebAssembly trap or a crash).
    pub fn trapped(what: &str) -> String {
        format!("The action did not produce a valid response and exited unexpectedly (trap: {what}).")
    }

    /// The action exited with a non-zero code and no result.
    pub fn exited(code: i32) -> String {
        format!("The action did not produce a valid response and exited unexpectedly (exit code {code}).")
    }

    /// The output was not JSON.
    pub fn not_json(raw: &str) -> String {
        format!("The action did not produce a valid JSON or JSON Array response: {raw}")
    }

    /// The line appended when logs were cut at the limit.
    pub fn logs_truncated(limit: u64) -> String {
        format!("Logs were truncated because the total bytes size exceeds the limit of {limit} bytes.")
    }

    /// The output was empty.
    pub const EMPTY: &str = "The action did not produce a valid JSON or JSON Array response: the output was empty.";

    /// The output was JSON but not an object or array.
    pub fn not_a_dictionary(raw: &str) -> String {
        format!("The action did not return a dictionary or array: {raw}")
    }

    /// The result was larger than allowed.
    pub fn too_large(size: usize, max: usize, prefix: &str) -> String {
        format!(
            "The action produced a response that exceeded the allowed length: {size} > {max} bytes. The truncated response was: {prefix}"
        )
    }
}

/// How much raw output an error message quotes.
const QUOTE_CHARS: usize = 1000;

fn quote(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim();
    match s.char_indices().nth(QUOTE_CHARS) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// Classifies an action's stdout (`out`, of `total` bytes written, at most `max` kept + 1).
///
/// A JSON object is a success, or an application error if it has a top-level `error`; a JSON
/// array is a success. When the whole output is not JSON but its last line is an object or
/// array, the earlier lines are kept as `stdout` log lines and the last line is the result
/// (so `print` debugging does not break an action). Anything else is a developer error that
/// says what was wrong.
pub fn classify_output(out: &[u8], total: usize, max: usize, logs: &mut Vec<String>) -> ActivationResponse {
    if total > max {
        return ActivationResponse::error(
            ActivationStatus::ApplicationError,
            messages::too_large(total, max, &quote(out)),
        );
    }
    let text = out;
    if text.iter().all(u8::is_ascii_whitespace) {
        return ActivationResponse::error(ActivationStatus::DeveloperError, messages::EMPTY);
    }
    let parsed = serde_json::from_slice::<Value>(text).ok().or_else(|| {
        // Fall back to the last non-empty line, the earlier ones becoming stdout logs.
        let s = String::from_utf8_lossy(text);
        let mut lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
        let last = lines.pop()?;
        let v: Value = serde_json::from_str(last).ok()?;
        if !(v.is_object() || v.is_array()) {
            return None;
        }
        let now = now_us();
        logs.extend(lines.into_iter().map(|l| log_line(now, "stdout", l)));
        Some(v)
    });
    match parsed {
        None => ActivationResponse::error(ActivationStatus::DeveloperError, messages::not_json(&quote(text))),
        // An application error keeps only its `error` field, as OpenWhisk keeps it.
        Some(Value::Object(mut m)) => match m.remove("error") {
            Some(e) => ActivationResponse {
                status: ActivationStatus::ApplicationError,
                result: Some(Value::Object(serde_json::Map::from_iter([("error".to_owned(), e)]))),
                size: Some(total as u64),
            },
            None => ActivationResponse::success(Value::Object(m), Some(total as u64)),
        },
        Some(v @ Value::Array(_)) => ActivationResponse::success(v, Some(total as u64)),
        Some(_) => {
            ActivationResponse::error(ActivationStatus::DeveloperError, messages::not_a_dictionary(&quote(text)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn classify(s: &str) -> (ActivationResponse, Vec<String>) {
        let mut logs = vec![];
        let r = classify_output(s.as_bytes(), s.len(), 1 << 20, &mut logs);
        (r, logs)
    }

    #[test]
    fn an_object_is_a_success() {
        let (r, _) = classify(r#"{"a":1}"#);
        assert_eq!(r.status, ActivationStatus::Success);
        assert_eq!(r.result, Some(json!({"a": 1})));
        assert_eq!(r.size, Some(7));
    }

    #[test]
    fn an_error_key_is_an_application_error() {
        let (r, _) = classify(r#"{"error":"no","extra":1}"#);
        assert_eq!(r.status, ActivationStatus::ApplicationError);
        assert_eq!(r.result, Some(json!({"error": "no"})), "only the error field is kept");
    }

    #[test]
    fn arrays_are_results_too() {
        assert_eq!(classify("[1,2]").0.status, ActivationStatus::Success);
    }

    #[test]
    fn non_json_and_scalars_are_developer_errors_that_say_which() {
        let (r, _) = classify("this is not JSON");
        assert_eq!(r.status, ActivationStatus::DeveloperError);
        assert_eq!(r.result, Some(json!({"error": messages::not_json("this is not JSON")})));
        let (r, _) = classify("42");
        assert_eq!(r.result, Some(json!({"error": "The action did not return a dictionary or array: 42"})));
        let (r, _) = classify("  \n");
        assert_eq!(r.result, Some(json!({"error": messages::EMPTY})));
    }

    #[test]
    fn leading_print_lines_become_stdout_logs() {
        let (r, logs) = classify("debugging\n{\"ok\":true}\n");
        assert_eq!(r.status, ActivationStatus::Success);
        assert_eq!(logs.len(), 1);
        assert!(logs[0].ends_with("stdout: debugging"));
    }

    #[test]
    fn oversized_results_are_application_errors() {
        let mut logs = vec![];
        let r = classify_output(b"{\"a\":\"xxxx", 2_000_000, 10, &mut logs);
        assert_eq!(r.status, ActivationStatus::ApplicationError);
        let msg = r.result.unwrap()["error"].as_str().unwrap().to_owned();
        assert!(
            msg.starts_with("The action produced a response that exceeded the allowed length: 2000000 > 10 bytes.")
        );
    }
}
