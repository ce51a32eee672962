//! Key/value arrays: the wire form of both parameters and annotations.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One entry of a parameter or annotation array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// The key.
    pub key: String,
    /// Any JSON value; `null` counts as "not defined".
    pub value: Value,
    /// Delivered only at container initialisation, as an environment variable.
    #[serde(default, skip_serializing_if = "is_false")]
    pub init: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An ordered list of unique keys (duplicate keys collapse, the last one wins).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Params(Vec<Param>);

impl Params {
    /// An empty list.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.0.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|p| p.key == key).map(|p| &p.value)
    }

    /// True when `key` is present with the JSON value `true`.
    pub fn is_true(&self, key: &str) -> bool {
        self.get(key) == Some(&Value::Bool(true))
    }

    /// True when `key` is present with a value that is not falsy (JavaScript's sense: not
    /// `false`, `null`, `0` or `""`), as OpenWhisk reads the `conductor` annotation.
    pub fn is_truthy(&self, key: &str) -> bool {
        match self.get(key) {
            None | Some(Value::Null | Value::Bool(false)) => false,
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        }
    }

    /// Sets `key` to `value`, replacing an earlier entry in place.
    pub fn set(&mut self, key: &str, value: Value) {
        match self.0.iter_mut().find(|p| p.key == key) {
            Some(p) => p.value = value,
            None => self.0.push(Param { key: key.to_owned(), value, init: false }),
        }
    }

    /// Builder form of [`Params::set`].
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.set(key, value);
        self
    }

    /// Removes `key` if present.
    pub fn remove(&mut self, key: &str) {
        self.0.retain(|p| p.key != key);
    }

    /// `self ++ other`: keys of `other` override, nothing is removed.
    pub fn merged_with(&self, other: &Params) -> Params {
        let mut out = self.clone();
        for p in other.iter() {
            match out.0.iter_mut().find(|q| q.key == p.key) {
                Some(q) => *q = p.clone(),
                None => out.0.push(p.clone()),
            }
        }
        out
    }

    /// Every entry as a JSON object: the arguments an activation carries (`init` ones too; the
    /// invoker moves those, named by [`Params::init_keys`], to the environment).
    pub fn to_object(&self) -> Map<String, Value> {
        self.0.iter().map(|p| (p.key.clone(), p.value.clone())).collect()
    }

    /// Keys of the parameters flagged `init: true`.
    pub fn init_keys(&self) -> Vec<String> {
        self.0.iter().filter(|p| p.init).map(|p| p.key.clone()).collect()
    }

    /// The size OpenWhisk charges against the 1 MiB limit: key bytes plus compact-JSON value bytes.
    pub fn size_bytes(&self) -> usize {
        self.0.iter().map(|p| p.key.len() + p.value.to_string().len()).sum()
    }
}

impl FromIterator<Param> for Params {
    fn from_iter<I: IntoIterator<Item = Param>>(iter: I) -> Self {
        let mut out = Params::new();
        for p in iter {
            match out.0.iter_mut().find(|q| q.key == p.key) {
                Some(q) => *q = p,
                None => out.0.push(p),
            }
        }
        out
    }
}

impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let Value::Array(items) = v else {
            return Err(de::Error::custom("parameters malformed!"));
        };
        items
            .into_iter()
            .map(|item| serde_json::from_value::<Param>(item).map_err(|_| de::Error::custom("parameters malformed!")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn duplicate_keys_collapse_to_the_last() {
        let p: Params = serde_json::from_value(json!([
            {"key": "a", "value": 1}, {"key": "b", "value": 2}, {"key": "a", "value": 3}
        ]))
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.get("a"), Some(&json!(3)));
    }

    #[test]
    fn a_non_array_is_malformed() {
        let err = serde_json::from_value::<Params>(json!({"a": 1})).unwrap_err();
        assert!(err.to_string().contains("parameters malformed!"));
    }

    #[test]
    fn merge_overrides_and_keeps() {
        let a = Params::new().with("x", json!(1)).with("y", json!(2));
        let b = Params::new().with("y", json!(3)).with("z", json!(4));
        let m = a.merged_with(&b);
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!([
                {"key": "x", "value": 1}, {"key": "y", "value": 3}, {"key": "z", "value": 4}
            ])
        );
    }

    #[test]
    fn the_object_holds_every_entry_and_init_ones_are_named() {
        let p: Params = serde_json::from_value(json!([
            {"key": "a", "value": 1}, {"key": "secret", "value": "s", "init": true}
        ]))
        .unwrap();
        assert_eq!(Value::Object(p.to_object()), json!({"a": 1, "secret": "s"}));
        assert_eq!(p.init_keys(), ["secret"]);
    }

    #[test]
    fn size_counts_keys_and_compact_values() {
        let p = Params::new().with("ab", json!("xyz"));
        assert_eq!(p.size_bytes(), 2 + 5);
    }
}
