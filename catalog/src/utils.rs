//! `/whisk.system/utils`: building blocks that format and assemble data, the actions of
//! OpenWhisk's package of the same name.

use serde_json::{Value, json};

use crate::annotations::key_values;
use crate::{CatalogAction, CatalogMissing, CatalogPackage, NAMESPACE};

/// The `utils` package and its nine actions.
pub(crate) fn package() -> Result<CatalogPackage, CatalogMissing> {
    Ok(CatalogPackage {
        namespace: NAMESPACE,
        name: "utils",
        annotations: key_values([("description", json!("Building blocks that format and assemble data"))]),
        parameters: Value::Array(Vec::new()),
        actions: vec![echo()?, cat()?, head()?, sort()?, split()?, smash()?, date()?, namespace()?, hosturl()?],
    })
}

/// The annotations of an action that documents parameters and sample data.
fn documented(description: &str, parameters: Value, sample_input: Value, sample_output: Value) -> Value {
    key_values([
        ("description", json!(description)),
        ("parameters", parameters),
        ("sampleInput", sample_input),
        ("sampleOutput", sample_output),
    ])
}

fn echo() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "echo",
        documented(
            "Returns the input",
            json!([{ "name": "payload", "required": false, "description": "Any JSON value" }]),
            json!({ "payload": "Five fuzzy felines" }),
            json!({ "payload": "Five fuzzy felines" }),
        ),
    )
}

fn cat() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "cat",
        documented(
            "Concatenates the lines of an array into a string, one per line",
            json!([{ "name": "lines", "required": true, "type": "array", "description": "An array of strings or numbers" }]),
            json!({ "lines": [4, 2, 3] }),
            json!({ "lines": [4, 2, 3], "payload": "4\n2\n3" }),
        ),
    )
}

fn head() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "head",
        documented(
            "Extracts the prefix of an array",
            json!([
                { "name": "lines", "required": true, "type": "array", "description": "An array of strings" },
                { "name": "num", "required": false, "type": "integer", "description": "The length of the prefix (default 1)" },
            ]),
            json!({ "lines": [4, 2, 3], "num": 2 }),
            json!({ "lines": [4, 2], "num": 2 }),
        ),
    )
}

fn sort() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "sort",
        documented(
            "Sorts an array (as strings, like JavaScript's default sort)",
            json!([{ "name": "lines", "required": true, "type": "array", "description": "An array of strings" }]),
            json!({ "lines": [4, 2, 3] }),
            json!({ "lines": [2, 3, 4], "length": 3 }),
        ),
    )
}

fn split() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "split",
        documented(
            "Splits a string into an array",
            json!([
                { "name": "payload", "required": true, "description": "A string" },
                {
                    "name": "separator",
                    "required": false,
                    "description": "The string to split at (default: line breaks, \\n or \\r\\n)"
                },
            ]),
            json!({ "payload": "one,two,three", "separator": "," }),
            json!({ "lines": ["one", "two", "three"], "payload": "one,two,three" }),
        ),
    )
}

fn smash() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "smash",
        documented(
            "Nests all parameters under the given property",
            json!([{
                "name": "$fieldName",
                "required": true,
                "type": "string",
                "description": "The name of the property to nest the parameters under"
            }]),
            json!({ "a": 1, "b": { "c": 2, "d": 3 }, "$fieldName": "p" }),
            json!({ "p": { "a": 1, "b": { "c": 2, "d": 3 } } }),
        ),
    )
}

fn date() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "date",
        key_values([
            ("description", json!("Current date and time")),
            ("sampleOutput", json!({ "date": "2016-03-22T00:59:55.961Z" })),
        ]),
    )
}

fn namespace() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "namespace",
        key_values([
            ("description", json!("Returns the namespace the action is invoked in")),
            ("sampleOutput", json!({ "namespace": "guest" })),
        ]),
    )
}

fn hosturl() -> Result<CatalogAction, CatalogMissing> {
    CatalogAction::wasm(
        "hosturl",
        documented(
            "Returns the URL to activate an action or trigger",
            json!([
                { "name": "web", "type": "boolean", "description": "True for web actions" },
                {
                    "name": "ext",
                    "type": "string",
                    "description": "Extension for web action, one of .html, .http, .json, .svg, .text"
                },
                { "name": "trigger", "type": "boolean", "description": "True to construct path for trigger instead of action." },
                {
                    "name": "path",
                    "type": "string",
                    "description": "The action name as just <action name> or <package name>/<action name>."
                },
            ]),
            json!({ "web": true, "path": "utils/echo" }),
            json!({ "url": "http://127.0.0.1:3233/api/v1/web/guest/utils/echo" }),
        ),
    )
}
