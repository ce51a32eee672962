//! `gust package get --summary`: a package, its actions and its feeds, each with its
//! description and parameters, as `wsk` summarizes them.
//!
//! An entity's parameters are the union of its bound parameters (`parameters`, shown with a
//! `*` prefix, or `**` when the `final` annotation is true) and those its `parameters`
//! annotation describes (`[{"name": ..., "description"?: ...}, ...]`), sorted.

use serde_json::Value;

use super::output::annotation;

/// What an entity without parameters shows.
const NO_PARAMETERS: &str = "none defined";

/// The summary of a package document (`GET .../packages/{name}`, with `actions` and `feeds`).
pub(crate) fn package(pkg: &Value) -> String {
    let ns = text(&pkg["namespace"]);
    let name = text(&pkg["name"]);
    let mut out = vec![entity("package", &format!("/{ns}/{name}"), pkg)];
    for (label, key) in [(" action", "actions"), (" feed  ", "feeds")] {
        for item in pkg[key].as_array().map(Vec::as_slice).unwrap_or_default() {
            out.push(entity(label, &format!("/{ns}/{name}/{}", text(&item["name"])), item));
        }
    }
    out.join("\n")
}

/// Two lines: `<label> <name>[: <description>]` and `   (parameters: <names>)`. Without a
/// description annotation, the description is made from the parameters' names.
fn entity(label: &str, full_name: &str, doc: &Value) -> String {
    let params = parameter_names(doc);
    let description = annotation(doc, "description").and_then(Value::as_str).unwrap_or_default();
    let first = if !description.is_empty() {
        format!("{label} {full_name}: {description}")
    } else if !params.is_empty() {
        format!("{label} {full_name}: {}", described_by(&params))
    } else {
        format!("{label} {full_name}")
    };
    let listed = if params.is_empty() { NO_PARAMETERS.to_owned() } else { params.join(", ") };
    format!("{first}\n   (parameters: {listed})")
}

/// The sorted union of the bound and the annotated parameter names, bound ones tagged.
fn parameter_names(doc: &Value) -> Vec<String> {
    let bound: Vec<&str> = doc["parameters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p["key"].as_str())
        .collect();
    let described = annotation(doc, "parameters")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p["name"].as_str());
    let mut names: Vec<&str> = bound.iter().copied().chain(described).collect();
    names.sort_unstable();
    names.dedup();
    let tag = if annotation(doc, "final") == Some(&Value::Bool(true)) { "**" } else { "*" };
    names.into_iter().map(|n| if bound.contains(&n) { format!("{tag}{n}") } else { n.to_owned() }).collect()
}

/// `Returns a result based on parameter a` / `... parameters a, b and c`, without the tags.
fn described_by(params: &[String]) -> String {
    let bare: Vec<&str> = params.iter().map(|p| p.trim_start_matches('*')).collect();
    match bare.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("Returns a result based on parameters {} and {last}", rest.join(", "))
        }
        _ => format!("Returns a result based on parameter {}", bare.join("")),
    }
}

/// A string field, or "" when it is not a string.
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `GET /namespaces/_/packages/utils` as OpenWhisk answers it for the catalog's utils
    /// package: its own parameters, its actions with their `parameters` annotations, a feed.
    fn utils() -> Value {
        json!({
            "namespace": "whisk.system", "name": "utils", "version": "0.0.1", "publish": true,
            "binding": {},
            "parameters": [{"key": "separator", "value": " "}],
            "annotations": [
                {"key": "description", "value": "Building blocks that format and assemble data"},
                {"key": "parameters", "value": [{"name": "separator", "description": "joins the lines"}]},
            ],
            "actions": [
                {"name": "split", "version": "0.0.1", "annotations": [
                    {"key": "description", "value": "Split a string into an array"},
                    {"key": "parameters", "value": [{"name": "payload"}, {"name": "separator"}]},
                    {"key": "exec", "value": "nodejs:20"}]},
                {"name": "sort", "version": "0.0.1", "annotations": [
                    {"key": "parameters", "value": [{"name": "lines"}]}, {"key": "exec", "value": "nodejs:20"}]},
                {"name": "date", "version": "0.0.1", "annotations": [{"key": "exec", "value": "nodejs:20"}]},
            ],
            "feeds": [{"name": "changes", "version": "0.0.1", "annotations": [
                {"key": "feed", "value": true},
                {"key": "parameters", "value": [{"name": "dbname"}, {"name": "since"}, {"name": "filter"}]}]}],
            "updated": 1_700_000_000_000u64,
        })
    }

    #[test]
    fn packages_are_summarized_with_their_actions_and_feeds() {
        assert_eq!(
            package(&utils()),
            [
                "package /whisk.system/utils: Building blocks that format and assemble data",
                "   (parameters: *separator)",
                " action /whisk.system/utils/split: Split a string into an array",
                "   (parameters: payload, separator)",
                " action /whisk.system/utils/sort: Returns a result based on parameter lines",
                "   (parameters: lines)",
                " action /whisk.system/utils/date",
                "   (parameters: none defined)",
                " feed   /whisk.system/utils/changes: Returns a result based on parameters dbname, filter and since",
                "   (parameters: dbname, filter, since)",
            ]
            .join("\n")
        );
    }

    #[test]
    fn bindings_show_their_own_name_and_final_parameters_two_stars() {
        let binding = json!({
            "namespace": "guest", "name": "my-utils", "binding": {"namespace": "whisk.system", "name": "utils"},
            "parameters": [{"key": "b", "value": 1}, {"key": "a", "value": 2}],
            "annotations": [{"key": "final", "value": true},
                            {"key": "binding", "value": {"namespace": "whisk.system", "name": "utils"}}],
            "actions": [], "feeds": [],
        });
        assert_eq!(
            package(&binding),
            "package /guest/my-utils: Returns a result based on parameters a and b\n   (parameters: **a, **b)"
        );
    }

    #[test]
    fn a_bare_package_has_no_parameters() {
        assert_eq!(
            package(&json!({"namespace": "guest", "name": "p"})),
            "package /guest/p\n   (parameters: none defined)"
        );
    }
}
