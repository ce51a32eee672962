//! `-p KEY VALUE` / `-P FILE` (and `-a` / `-A`): key-value flags as OpenWhisk parameters.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

/// `-p KEY VALUE`... and `-P FILE`: the parameters of an action or an invocation.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ParamArgs {
    /// A parameter; VALUE is parsed as JSON when it is valid JSON (`3`, `true`, `{"a":1}`,
    /// `"quoted"`), else taken as a string. Repeatable; overrides --param-file.
    #[arg(short = 'p', long = "param", num_args = 2, value_names = ["KEY", "VALUE"], allow_hyphen_values = true)]
    pub param: Vec<String>,
    /// A file holding a JSON object of parameters.
    #[arg(short = 'P', long = "param-file", value_name = "FILE")]
    pub param_file: Option<PathBuf>,
}

impl ParamArgs {
    /// The parameters as one object: the file's, then each `-p` (a later key wins).
    pub(crate) fn object(&self) -> anyhow::Result<Map<String, Value>> {
        merge(&self.param, self.param_file.as_deref())
    }

    /// True when no parameter flag was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.param.is_empty() && self.param_file.is_none()
    }
}

/// `-a KEY VALUE`... and `-A FILE`: the annotations of an action.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AnnotationArgs {
    /// An annotation; VALUE is parsed as JSON when it is valid JSON, else taken as a string.
    /// Repeatable; overrides --annotation-file.
    #[arg(short = 'a', long = "annotation", num_args = 2, value_names = ["KEY", "VALUE"], allow_hyphen_values = true)]
    pub annotation: Vec<String>,
    /// A file holding a JSON object of annotations.
    #[arg(short = 'A', long = "annotation-file", value_name = "FILE")]
    pub annotation_file: Option<PathBuf>,
}

impl AnnotationArgs {
    /// The annotations as one object: the file's, then each `-a` (a later key wins).
    pub(crate) fn object(&self) -> anyhow::Result<Map<String, Value>> {
        merge(&self.annotation, self.annotation_file.as_deref())
    }

    /// True when no annotation flag was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.annotation.is_empty() && self.annotation_file.is_none()
    }
}

/// `wsk`'s rule for a flag value: JSON when it parses as JSON, else the string itself.
pub(crate) fn parse_value(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

/// Pairs `[k1, v1, k2, v2, ...]` over the object in `file`.
fn merge(pairs: &[String], file: Option<&Path>) -> anyhow::Result<Map<String, Value>> {
    let mut out = match file {
        Some(path) => read_object(path)?,
        None => Map::new(),
    };
    for kv in pairs.chunks(2) {
        let [key, value] = kv else { bail!("a key needs a value") };
        out.insert(key.clone(), parse_value(value));
    }
    Ok(out)
}

/// A file holding a JSON object.
fn read_object(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => bail!("{} must hold a JSON object", path.display()),
        Err(e) => bail!("{} is not valid JSON: {e}", path.display()),
    }
}

/// An object as OpenWhisk's key-value array: `[{"key": k, "value": v}, ...]`.
pub(crate) fn key_values(m: &Map<String, Value>) -> Value {
    Value::Array(m.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_json_when_they_parse_and_strings_otherwise() {
        assert_eq!(parse_value("3"), json!(3));
        assert_eq!(parse_value("true"), json!(true));
        assert_eq!(parse_value(r#"{"a":[1]}"#), json!({"a": [1]}));
        assert_eq!(parse_value(r#""quoted""#), json!("quoted"));
        assert_eq!(parse_value("World"), json!("World"));
        assert_eq!(parse_value("hello world"), json!("hello world"));
        assert_eq!(parse_value(""), json!(""));
        assert_eq!(parse_value("{broken"), json!("{broken"));
    }

    #[test]
    fn flags_override_the_file_and_later_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.json");
        std::fs::write(&file, r#"{"a": 1, "b": "file"}"#).unwrap();
        let args = ParamArgs {
            param: ["b", "flag", "c", "[1,2]", "c", "last"].map(String::from).to_vec(),
            param_file: Some(file),
        };
        assert_eq!(Value::Object(args.object().unwrap()), json!({"a": 1, "b": "flag", "c": "last"}));
    }

    #[test]
    fn files_must_hold_a_json_object() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.json");
        std::fs::write(&file, "[1]").unwrap();
        let err = merge(&[], Some(&file)).unwrap_err().to_string();
        assert!(err.contains("must hold a JSON object"), "{err}");
        std::fs::write(&file, "{").unwrap();
        assert!(merge(&[], Some(&file)).unwrap_err().to_string().contains("not valid JSON"));
        assert!(merge(&[], Some(&dir.path().join("missing"))).unwrap_err().to_string().contains("cannot read"));
    }

    #[test]
    fn objects_become_key_value_arrays() {
        let m = merge(&["x".into(), "1".into()], None).unwrap();
        assert_eq!(key_values(&m), json!([{"key": "x", "value": 1}]));
        assert!(ParamArgs::default().is_empty() && AnnotationArgs::default().is_empty());
    }
}
