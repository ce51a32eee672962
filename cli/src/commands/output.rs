//! What the commands print: lines, JSON, tables, and the readable forms of activation fields.

use std::fmt::Display;
use std::io::Write as _;

use serde_json::Value;

/// Prints one line on stdout (a closed pipe, as in `gust ... | head`, is not an error).
pub(crate) fn line(text: impl Display) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Prints `v` as indented JSON.
pub(crate) fn json(v: &Value) {
    line(pretty(v));
}

/// `v` as indented JSON.
pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// Columns padded to their widest cell, two spaces apart. The last cell of a row is not padded
/// and does not widen its column: in a row shorter than the headers it spans the rest.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        let padded = row.len().saturating_sub(1);
        for (w, cell) in widths.iter_mut().zip(&row[..padded]) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| if i + 1 == row.len() { c.clone() } else { format!("{c:<w$}", w = widths[i]) })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.pop();
    out
}

/// The words for an activation's numeric `statusCode`.
pub(crate) fn status_text(code: Option<u64>) -> &'static str {
    match code {
        Some(0) => "success",
        Some(1) => "application error",
        Some(2) => "developer error",
        Some(3) => "internal error",
        _ => "unknown",
    }
}

/// The status of an activation (a summary or a record): its `response.status` words, else
/// those of its numeric `statusCode`.
pub(crate) fn activation_status(activation: &Value) -> String {
    match activation["response"]["status"].as_str() {
        Some(s) => s.to_owned(),
        None => status_text(activation["statusCode"].as_u64()).to_owned(),
    }
}

/// A duration in milliseconds for a table: `12ms`, `1.50s`, or `-` when absent.
pub(crate) fn duration_text(ms: Option<u64>) -> String {
    match ms {
        None => "-".into(),
        Some(ms) if ms < 1000 => format!("{ms}ms"),
        Some(ms) => format!("{:.2}s", ms as f64 / 1000.0),
    }
}

/// The value of annotation `key` of an action or activation.
pub(crate) fn annotation<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    doc["annotations"].as_array()?.iter().find(|a| a["key"] == key).map(|a| &a["value"])
}

/// A log line without its timestamp and stream (`2024-...Z    stdout: hi` becomes `hi`).
pub(crate) fn strip_log_line(line: &str) -> &str {
    let Some((_, rest)) = line.split_once(char::is_whitespace) else { return line };
    let rest = rest.trim_start();
    for stream in ["stdout:", "stderr:"] {
        if let Some(text) = rest.strip_prefix(stream) {
            return text.strip_prefix(' ').unwrap_or(text);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            vec!["/guest/hello".to_owned(), "wasm:wasip1".to_owned(), "0.0.1".to_owned()],
            vec!["/guest/a".to_owned(), "nodejs:20".to_owned(), "0.0.12".to_owned()],
        ];
        let t = table(&["NAME", "KIND", "VERSION"], &rows);
        assert_eq!(
            t,
            "NAME          KIND         VERSION\n/guest/hello  wasm:wasip1  0.0.1\n/guest/a      nodejs:20    0.0.12"
        );
        assert_eq!(table(&["A", "B"], &[]), "A  B");
        assert_eq!(table(&["A", "B"], &[vec!["é".into(), String::new()]]), "A  B\né");
        let short =
            vec![vec!["1".to_owned(), "x".to_owned(), "y".to_owned()], vec!["2".to_owned(), "a long one".to_owned()]];
        assert_eq!(table(&["N", "C1", "C2"], &short), "N  C1  C2\n1  x   y\n2  a long one");
    }

    #[test]
    fn readable_activation_fields() {
        assert_eq!(status_text(Some(0)), "success");
        assert_eq!(status_text(Some(2)), "developer error");
        assert_eq!(status_text(None), "unknown");
        assert_eq!(duration_text(Some(7)), "7ms");
        assert_eq!(duration_text(Some(1500)), "1.50s");
        assert_eq!(duration_text(None), "-");
        assert_eq!(
            activation_status(&json!({"response": {"status": "application error"}, "statusCode": 0})),
            "application error"
        );
        assert_eq!(activation_status(&json!({"statusCode": 3})), "internal error");
        assert_eq!(activation_status(&json!({})), "unknown");
    }

    #[test]
    fn annotations_are_looked_up_by_key() {
        let doc = json!({"annotations": [{"key": "exec", "value": "wasm:wasip1"}]});
        assert_eq!(annotation(&doc, "exec"), Some(&json!("wasm:wasip1")));
        assert_eq!(annotation(&doc, "kind"), None);
        assert_eq!(annotation(&json!({}), "exec"), None);
    }

    #[test]
    fn log_lines_lose_their_prefix() {
        assert_eq!(strip_log_line("2017-04-27T21:14:13.767000Z    stderr: hi there"), "hi there");
        assert_eq!(strip_log_line("2017-04-27T21:14:13.767000Z    stdout: "), "");
        assert_eq!(strip_log_line("2017-04-27T21:14:13.767000Z    stdout:"), "");
        assert_eq!(strip_log_line("Logs were truncated because ..."), "Logs were truncated because ...");
        assert_eq!(strip_log_line("single"), "single");
    }
}
