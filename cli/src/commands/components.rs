//! The components of a sequence (or conductor composition) activation, as `gust activation
//! get` lists them. Such a record's `logs` hold the components' activation ids, in order,
//! instead of log lines; each component's own record gives its action, status and duration.

use futures::stream::{self, StreamExt as _};
use serde_json::Value;

use super::output::{self, annotation};
use crate::client::Client;

/// How many component records are fetched at once.
const FETCHES_AT_ONCE: usize = 8;

/// The headers of the listing's table.
const HEADERS: [&str; 5] = ["#", "ACTIVATION ID", "ACTION", "STATUS", "DURATION"];

/// What kind of activation runs other actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Composite {
    /// A sequence: annotation `kind` is `sequence`.
    Sequence,
    /// A conductor composition: annotation `conductor` is true.
    Conductor,
}

impl Composite {
    /// What `record` is, if it is a sequence's or a conductor composition's activation.
    pub(crate) fn of(record: &Value) -> Option<Composite> {
        if annotation(record, "conductor") == Some(&Value::Bool(true)) {
            Some(Composite::Conductor)
        } else if annotation(record, "kind").and_then(Value::as_str) == Some("sequence") {
            Some(Composite::Sequence)
        } else {
            None
        }
    }

    /// The heading of the listing.
    fn heading(self) -> &'static str {
        match self {
            Composite::Sequence => "components",
            Composite::Conductor => "components (conductor composition)",
        }
    }
}

/// One component: its activation id and its record, or why the record could not be had.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Component {
    /// The activation id, as the composite's `logs` holds it.
    pub(crate) id: String,
    /// The component's activation record, or the reason there is none.
    pub(crate) record: Result<Value, String>,
}

/// The entries of `record`'s `logs`, in order (an entry that is not a string as its JSON).
pub(crate) fn component_ids(record: &Value) -> Vec<String> {
    record["logs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .collect()
}

/// True for OpenWhisk's activation ids: 32 hexadecimal characters.
pub(crate) fn is_activation_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The record of each id, in order, a few requests at a time. An id that is not an activation
/// id is not asked for; a failed request gives its reason (the server's message for a 404,
/// e.g. a record not stored yet).
pub(crate) async fn fetch(client: &Client, ids: Vec<String>) -> Vec<Component> {
    stream::iter(ids)
        .map(|id| async move {
            let record = if is_activation_id(&id) {
                client.get_activation(&id).await.map_err(|e| e.to_string())
            } else {
                Err("not an activation id (32 hexadecimal characters)".to_owned())
            };
            Component { id, record }
        })
        .buffered(FETCHES_AT_ONCE)
        .collect()
        .await
}

/// The listing: a heading, then a table with one line per component (its position from 1,
/// id, action path, status and duration); a component without a record shows why instead.
pub(crate) fn listing(kind: Composite, components: &[Component]) -> String {
    format!("{}\n{}", kind.heading(), output::table(&HEADERS, &rows(components)))
}

/// The table rows of [`listing`].
fn rows(components: &[Component]) -> Vec<Vec<String>> {
    components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let index = (i + 1).to_string();
            match &c.record {
                Ok(r) => vec![
                    index,
                    c.id.clone(),
                    action_path(r),
                    output::activation_status(r),
                    output::duration_text(r["duration"].as_u64()),
                ],
                Err(why) => vec![index, c.id.clone(), format!("unavailable: {why}")],
            }
        })
        .collect()
}

/// The `path` annotation of a record (`ns/[pkg/]name`), else `namespace/name`, else `-`.
fn action_path(record: &Value) -> String {
    if let Some(path) = annotation(record, "path").and_then(Value::as_str) {
        return path.to_owned();
    }
    match (record["namespace"].as_str(), record["name"].as_str()) {
        (Some(ns), Some(name)) => format!("{ns}/{name}"),
        (None, Some(name)) => name.to_owned(),
        _ => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SEQ: &str = "5b1c7a0e9f2d4c3b8a6e1f0d2c4b6a81";
    const A: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    const B: &str = "f9e8d7c6b5a4938271605f4e3d2c1b0a";
    const C: &str = "00000000000000000000000000000abc";

    /// A sequence's record as the REST API answers it: `kind: sequence`, ids in `logs`.
    fn sequence_record() -> Value {
        json!({
            "namespace": "guest", "name": "s", "activationId": SEQ, "duration": 40,
            "response": {"status": "success", "statusCode": 0, "success": true, "result": {}},
            "annotations": [{"key": "topmost", "value": true}, {"key": "path", "value": "guest/s"},
                            {"key": "kind", "value": "sequence"}, {"key": "limits", "value": {}}],
            "logs": [A, B, C],
        })
    }

    /// A component's record: `cause` is the sequence.
    fn component(id: &str, path: &str, status: &str, duration: u64) -> Value {
        json!({
            "namespace": "guest", "name": path.rsplit('/').next().unwrap(), "activationId": id,
            "cause": SEQ, "duration": duration, "response": {"status": status, "result": {}},
            "annotations": [{"key": "path", "value": path}, {"key": "kind", "value": "wasm:wasip1"}],
        })
    }

    #[test]
    fn sequences_and_compositions_are_told_from_other_records() {
        assert_eq!(Composite::of(&sequence_record()), Some(Composite::Sequence));
        let conductor = json!({"annotations": [{"key": "kind", "value": "sequence"},
                                               {"key": "conductor", "value": true}]});
        assert_eq!(Composite::of(&conductor), Some(Composite::Conductor));
        let plain = component(A, "guest/a", "success", 1);
        assert_eq!(Composite::of(&plain), None);
        assert_eq!(Composite::of(&json!({"annotations": [{"key": "conductor", "value": false}]})), None);
        assert_eq!(Composite::of(&json!({})), None);
    }

    #[test]
    fn ids_come_from_the_logs_in_order() {
        assert_eq!(component_ids(&sequence_record()), [A, B, C]);
        assert_eq!(component_ids(&json!({"logs": [A, 7]})), [A, "7"]);
        assert!(component_ids(&json!({})).is_empty());
    }

    #[test]
    fn activation_ids_are_32_hex_characters() {
        assert!(is_activation_id(A) && is_activation_id(&A.to_uppercase()));
        assert!(!is_activation_id("0123") && !is_activation_id(&format!("{}g", &A[..31])));
        assert!(!is_activation_id("../../namespaces/_/actions/xyz0"));
    }

    #[tokio::test]
    async fn failed_fetches_give_their_reason_in_order() {
        // Port 9 (discard) on loopback: nothing listens, so every request fails.
        let client = Client::new(&crate::props::Settings::new("http://127.0.0.1:9", "u:k")).unwrap();
        let fetched = fetch(&client, vec![A.into(), "../x".into(), B.into()]).await;
        let ids: Vec<&str> = fetched.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [A, "../x", B]);
        for c in [&fetched[0], &fetched[2]] {
            let why = c.record.as_ref().unwrap_err();
            assert!(why.starts_with("cannot reach http://127.0.0.1:9"), "{why}");
        }
        assert!(fetched[1].record.as_ref().unwrap_err().starts_with("not an activation id"));
    }

    #[test]
    fn each_component_is_one_line_in_order() {
        let components = [
            Component { id: A.into(), record: Ok(component(A, "guest/a", "success", 3)) },
            Component { id: B.into(), record: Ok(component(B, "guest/tools/b", "application error", 1500)) },
        ];
        let expected = [
            "components",
            "#  ACTIVATION ID                     ACTION         STATUS             DURATION",
            "1  0a1b2c3d4e5f60718293a4b5c6d7e8f9  guest/a        success            3ms",
            "2  f9e8d7c6b5a4938271605f4e3d2c1b0a  guest/tools/b  application error  1.50s",
        ];
        assert_eq!(listing(Composite::Sequence, &components), expected.join("\n"));
    }

    #[test]
    fn components_without_a_record_show_why() {
        let components = [
            Component { id: A.into(), record: Ok(component(A, "guest/a", "success", 3)) },
            Component { id: B.into(), record: Err("The requested resource does not exist. (code x1)".into()) },
            Component { id: "7".into(), record: Err("not an activation id".into()) },
        ];
        let listed = listing(Composite::Conductor, &components);
        let lines: Vec<&str> = listed.lines().collect();
        assert_eq!(lines[0], "components (conductor composition)");
        assert_eq!(lines[2], "1  0a1b2c3d4e5f60718293a4b5c6d7e8f9  guest/a  success  3ms");
        assert_eq!(
            lines[3],
            "2  f9e8d7c6b5a4938271605f4e3d2c1b0a  unavailable: The requested resource does not exist. (code x1)"
        );
        assert_eq!(lines[4], "3  7                                 unavailable: not an activation id");
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn records_without_a_path_or_status_words_still_show() {
        let bare = json!({"namespace": "guest", "name": "a", "statusCode": 2});
        let listed = rows(&[Component { id: A.into(), record: Ok(bare) }]);
        assert_eq!(listed[0][2..], ["guest/a", "developer error", "-"].map(String::from));
        let listed = rows(&[Component { id: A.into(), record: Ok(json!({})) }]);
        assert_eq!(listed[0][2..], ["-", "unknown", "-"].map(String::from));
        assert_eq!(listing(Composite::Sequence, &[]), format!("components\n{}", HEADERS.join("  ")));
    }
}
