//! Lists as `wsk` prints them: the collection's name, then one line per entity with its
//! `/namespace/name` padded to 70 columns and its visibility, followed by the kind of an
//! action, the status of a rule, or `binding` for a package binding.

use std::cmp::Ordering;

use serde_json::Value;

use super::output::annotation;

/// The width `wsk` pads entity names to.
const NAME_WIDTH: usize = 70;
/// The width `wsk` pads a rule's visibility to.
const RULE_VISIBILITY_WIDTH: usize = 20;

/// A collection of a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collection {
    /// Packages and package bindings.
    Packages,
    /// Actions (those in packages too).
    Actions,
    /// Triggers.
    Triggers,
    /// Rules (each with the `status` its GET answered).
    Rules,
}

impl Collection {
    /// The section header: the collection's name.
    pub(crate) fn header(self) -> &'static str {
        match self {
            Collection::Packages => "packages",
            Collection::Actions => "actions",
            Collection::Triggers => "triggers",
            Collection::Rules => "rules",
        }
    }
}

/// The header and one line per item of `items` (a JSON array; anything else has no items),
/// sorted by name when `sort_by_name` (`wsk`'s order: namespace and name, case-insensitively,
/// actions outside packages first), else in the server's order.
pub(crate) fn section(collection: Collection, items: &Value, sort_by_name: bool) -> String {
    let mut items: Vec<&Value> = items.as_array().map(|a| a.iter().collect()).unwrap_or_default();
    if sort_by_name {
        items.sort_by(|a, b| compare(collection, a, b));
    }
    std::iter::once(collection.header().to_owned())
        .chain(items.iter().map(|item| row(collection, item)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One entity's line.
fn row(collection: Collection, item: &Value) -> String {
    let name = format!("/{}/{}", text(&item["namespace"]), text(&item["name"]));
    let visibility = if item["publish"] == Value::Bool(true) { "shared" } else { "private" };
    let line = match collection {
        Collection::Packages | Collection::Triggers => format!("{name:<NAME_WIDTH$} {visibility}"),
        Collection::Actions => {
            let kind = annotation(item, "exec").and_then(Value::as_str).unwrap_or_default();
            format!("{name:<NAME_WIDTH$} {visibility} {kind}")
        }
        Collection::Rules => {
            format!("{name:<NAME_WIDTH$} {visibility:<RULE_VISIBILITY_WIDTH$} {}", text(&item["status"]))
        }
    };
    let line = line.trim_end().to_owned();
    if collection == Collection::Packages && is_binding(item) { format!("{line} binding") } else { line }
}

/// True for a package binding: its `binding` is `{"namespace", "name"}` (a list item of a
/// package has `false`, a package document `{}`).
pub(crate) fn is_binding(package: &Value) -> bool {
    package["binding"].as_object().is_some_and(|b| !b.is_empty())
}

/// `wsk`'s sort order for a collection.
fn compare(collection: Collection, a: &Value, b: &Value) -> Ordering {
    let key = |v: &Value| format!("{}{}", text(&v["namespace"]), text(&v["name"])).to_lowercase();
    if collection == Collection::Actions {
        // Actions outside packages (their namespace has no '/') come first, by name.
        let packaged = |v: &Value| text(&v["namespace"]).contains('/');
        return match (packaged(a), packaged(b)) {
            (false, false) => text(&a["name"]).cmp(text(&b["name"])),
            (pa, pb) => pa.cmp(&pb).then_with(|| key(a).cmp(&key(b))),
        };
    }
    key(a).cmp(&key(b))
}

/// A string field, or "" when it is not a string.
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `GET /namespaces/_/packages` as OpenWhisk answers it: summaries, a binding among them.
    fn packages() -> Value {
        json!([
            {"namespace": "guest", "name": "utils-bound", "version": "0.0.1", "publish": false,
             "annotations": [{"key": "binding", "value": {"namespace": "whisk.system", "name": "utils"}}],
             "binding": {"namespace": "whisk.system", "name": "utils"}, "updated": 1_700_000_000_500u64},
            {"namespace": "guest", "name": "Tools", "version": "0.0.2", "publish": true,
             "annotations": [{"key": "description", "value": "tools"}], "binding": false,
             "updated": 1_700_000_000_000u64},
        ])
    }

    fn padded(name: &str, rest: &str) -> String {
        format!("{name}{} {rest}", " ".repeat(70 - name.len()))
    }

    #[test]
    fn packages_show_visibility_and_bindings() {
        let expected =
            ["packages".to_owned(), padded("/guest/utils-bound", "private binding"), padded("/guest/Tools", "shared")];
        assert_eq!(section(Collection::Packages, &packages(), false), expected.join("\n"));
        let sorted = section(Collection::Packages, &packages(), true);
        assert_eq!(sorted.lines().nth(1), Some(expected[2].as_str()), "{sorted}");
    }

    #[test]
    fn actions_show_their_kind_and_packaged_ones_sort_last() {
        let actions = json!([
            {"namespace": "guest/utils", "name": "echo", "version": "0.0.1", "publish": false,
             "annotations": [{"key": "exec", "value": "nodejs:20"}], "limits": {}, "exec": {"binary": false}},
            {"namespace": "guest", "name": "hello", "version": "0.0.1", "publish": false,
             "annotations": [{"key": "exec", "value": "wasm:wasip1"}, {"key": "provide-api-key", "value": false}]},
            {"namespace": "guest", "name": "bare", "publish": false, "annotations": []},
        ]);
        let shown = section(Collection::Actions, &actions, true);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines,
            [
                "actions",
                padded("/guest/bare", "private").as_str(),
                padded("/guest/hello", "private wasm:wasip1").as_str(),
                padded("/guest/utils/echo", "private nodejs:20").as_str(),
            ]
        );
    }

    #[test]
    fn rules_show_their_status_and_triggers_their_visibility() {
        let rules = json!([{"namespace": "guest", "name": "t2a", "status": "active", "publish": false,
                             "trigger": {"path": "guest", "name": "t"}, "action": {"path": "guest", "name": "a"}}]);
        let shown = section(Collection::Rules, &rules, false);
        assert_eq!(shown, format!("rules\n{}", padded("/guest/t2a", &format!("{:<20} active", "private"))));
        let triggers = json!([{"namespace": "guest", "name": "events", "publish": false, "annotations": []}]);
        assert_eq!(
            section(Collection::Triggers, &triggers, false),
            format!("triggers\n{}", padded("/guest/events", "private"))
        );
    }

    #[test]
    fn empty_or_odd_lists_are_only_a_header() {
        assert_eq!(section(Collection::Triggers, &json!([]), false), "triggers");
        assert_eq!(section(Collection::Rules, &json!({"rules": 0}), true), "rules");
    }

    #[test]
    fn bindings_are_told_apart_from_packages() {
        assert!(is_binding(&json!({"binding": {"namespace": "whisk.system", "name": "utils"}})));
        assert!(!is_binding(&json!({"binding": {}})));
        assert!(!is_binding(&json!({"binding": false})));
        assert!(!is_binding(&json!({})));
    }
}
