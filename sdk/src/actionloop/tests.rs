//! Line handling and the activation loop, over in-memory channels.

use std::convert::Infallible;

use serde_json::json;

use super::*;

fn echo(params: Value) -> Result<Value, Infallible> {
    Ok(params)
}

/// Serves `input`, returning the result lines and every `export` call.
fn serve_all(input: &str) -> (Vec<Value>, Vec<(String, Option<String>)>) {
    let mut results = Vec::new();
    let mut exports = Vec::new();
    let export = |name: &str, value: Option<&str>| {
        exports.push((name.to_owned(), value.map(str::to_owned)));
    };
    let served = serve(echo, input.as_bytes(), &mut results, export);
    assert!(served.is_ok(), "{served:?}");
    let text = String::from_utf8(results).unwrap_or_default();
    assert!(text.is_empty() || text.ends_with('\n'), "{text:?}");
    let lines = text.lines().map(|l| serde_json::from_str(l).unwrap_or(Value::Null)).collect();
    (lines, exports)
}

#[test]
fn a_line_splits_into_parameters_and_variables() {
    let line = br#"{"value":{"x":1},"activation_id":"a1","deadline":"99","api_key":"k","n":5}"#;
    let activation = parse_line(line);
    let expected = Activation {
        params: json!({ "x": 1 }),
        env: vec![
            ("__OW_ACTIVATION_ID".to_owned(), "a1".to_owned()),
            ("__OW_API_KEY".to_owned(), "k".to_owned()),
            ("__OW_DEADLINE".to_owned(), "99".to_owned()),
            ("__OW_N".to_owned(), "5".to_owned()),
        ],
    };
    assert_eq!(activation, Ok(expected));
}

#[test]
fn a_missing_value_means_no_parameters() {
    assert_eq!(parse_line(br#"{"namespace":"guest"}"#).map(|a| a.params), Ok(json!({})));
}

#[test]
fn unusable_variables_are_left_out() {
    let line = br#"{"value":{},"a=b":"x","nul":"\u0000","":"e","gone":null,"ok":"y"}"#;
    let env = parse_line(line).map(|a| a.env);
    assert_eq!(env, Ok(vec![("__OW_OK".to_owned(), "y".to_owned())]));
}

#[test]
fn bad_lines_are_reported() {
    assert_eq!(parse_line(b"[1]"), Err("invalid activation: not a JSON object".to_owned()));
    let err = parse_line(b"{oops").err().unwrap_or_default();
    assert!(err.starts_with("invalid activation: "), "{err}");
}

#[test]
fn each_line_gets_one_result_line() {
    let input = "{\"value\":{\"a\":1}}\n\n{\"value\":{\"b\":\"x\\ny\"}}\nnot json\n{\"value\":{}}";
    let (results, _) = serve_all(input);
    assert_eq!(results.len(), 4);
    assert_eq!(results[0], json!({ "a": 1 }));
    assert_eq!(results[1], json!({ "b": "x\ny" }));
    assert!(results[2]["error"].as_str().is_some_and(|e| e.starts_with("invalid activation")));
    assert_eq!(results[3], json!({}));
}

#[test]
fn parameter_errors_do_not_stop_the_loop() {
    let mut results = Vec::new();
    let typed = |n: u32| Ok::<_, Infallible>(json!({ "n": n }));
    let served = serve(typed, "{\"value\":\"x\"}\n{\"value\":3}\n".as_bytes(), &mut results, |_, _| {});
    assert!(served.is_ok());
    let text = String::from_utf8(results).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("{\"error\":\"invalid parameters: "), "{}", lines[0]);
    assert_eq!(lines[1], "{\"n\":3}");
}

#[test]
fn variables_are_exported_and_stale_ones_removed() {
    let input = "{\"value\":{},\"activation_id\":\"a1\",\"api_key\":\"k\"}\n\
                 {\"value\":{},\"activation_id\":\"a2\"}\n";
    let (_, exports) = serve_all(input);
    let set = |n: &str, v: &str| (n.to_owned(), Some(v.to_owned()));
    let expected = vec![
        set("__OW_ACTIVATION_ID", "a1"),
        set("__OW_API_KEY", "k"),
        ("__OW_API_KEY".to_owned(), None),
        set("__OW_ACTIVATION_ID", "a2"),
    ];
    assert_eq!(exports, expected);
}

#[test]
fn the_acknowledgement_is_one_line_when_wanted() -> io::Result<()> {
    let mut out = Vec::new();
    acknowledge(&mut out, false)?;
    assert!(out.is_empty());
    acknowledge(&mut out, true)?;
    assert_eq!(out, b"{\"ok\":true}\n");
    Ok(())
}
