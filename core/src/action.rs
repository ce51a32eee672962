//! Actions: the stored document, the PUT body, and the create / update rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};

use crate::exec::{Exec, ExecError, ExecPut, RuntimeManifest};
use crate::limits::{ActionLimits, LimitBounds, LimitError, LimitsPut};
use crate::names::FullyQualifiedName;
use crate::params::Params;

/// An entity version, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SemVer {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl SemVer {
    /// `0.0.1`, the version of every new entity.
    pub const INITIAL: SemVer = SemVer { major: 0, minor: 0, patch: 1 };

    /// The next patch version (every update bumps it).
    pub fn bump_patch(self) -> SemVer {
        SemVer { patch: self.patch + 1, ..self }
    }
}

impl Default for SemVer {
    fn default() -> Self {
        Self::INITIAL
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for SemVer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let num = |p: &str| p.parse::<u32>().map_err(|_| format!("bad semantic version '{s}'"));
        match parts.as_slice() {
            [a] => Ok(SemVer { major: num(a)?, minor: 0, patch: 0 }),
            [a, b] => Ok(SemVer { major: num(a)?, minor: num(b)?, patch: 0 }),
            [a, b, c] => Ok(SemVer { major: num(a)?, minor: num(b)?, patch: num(c)? }),
            _ => Err(format!("bad semantic version '{s}'")),
        }
    }
}

impl Serialize for SemVer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SemVer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A stored action, in OpenWhisk's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// `ns` or `ns/pkg`.
    pub namespace: String,
    /// Simple name.
    pub name: String,
    /// What it runs.
    pub exec: Exec,
    /// Default parameters.
    pub parameters: Params,
    /// Limits.
    pub limits: ActionLimits,
    /// Version, bumped on every update.
    pub version: SemVer,
    /// Shared with other namespaces.
    pub publish: bool,
    /// Annotations (`exec`, `provide-api-key`, `final`, `web-export`, ...).
    pub annotations: Params,
    /// Last write, epoch ms.
    pub updated: u64,
}

impl Action {
    /// Its fully qualified name.
    pub fn fqn(&self) -> FullyQualifiedName {
        FullyQualifiedName::new(self.namespace.clone(), self.name.clone())
    }

    /// The list-summary view: no code, no parameters.
    pub fn summary(&self) -> Value {
        json!({
            "namespace": self.namespace,
            "name": self.name,
            "version": self.version,
            "publish": self.publish,
            "annotations": self.annotations,
            "limits": self.limits,
            "exec": {"binary": self.exec.binary()},
            "updated": self.updated,
        })
    }

    /// The same action without its code, for caches that never need it.
    pub fn without_code(&self) -> Action {
        Action { exec: self.exec.without_code(), ..self.clone() }
    }

    /// Whether the action asked for `__OW_API_KEY` (annotation `provide-api-key` absent or truthy).
    pub fn provides_api_key(&self) -> bool {
        match self.annotations.get("provide-api-key") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(Value::Null) => false,
            Some(_) => true,
        }
    }
}

/// The body of `PUT .../actions/{name}`. Unknown fields (`name`, `namespace`, ...) are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionPut {
    /// New exec (required on create).
    pub exec: Option<ExecPut>,
    /// New parameters (replace the old ones).
    pub parameters: Option<Params>,
    /// Limits, merged field by field.
    pub limits: Option<LimitsPut>,
    /// Explicit version.
    pub version: Option<SemVer>,
    /// Share the action.
    pub publish: Option<bool>,
    /// Annotations, merged over the old ones.
    pub annotations: Option<Params>,
    /// Annotation keys to drop before merging.
    #[serde(rename = "delAnnotations")]
    pub del_annotations: Option<Vec<String>>,
}

/// Why a PUT body was refused (all 400s; the text follows "The request content was malformed:").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionPutError {
    /// Create without an exec.
    #[error("exec undefined")]
    ExecUndefined,
    /// A bad exec.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// Bad limits.
    #[error(transparent)]
    Limit(#[from] LimitError),
}

impl ActionPut {
    /// Builds a new action named `fqn` from this body.
    pub fn create(
        &self,
        fqn: &FullyQualifiedName,
        manifest: &RuntimeManifest,
        bounds: &LimitBounds,
        now: u64,
    ) -> Result<Action, ActionPutError> {
        let exec = self.exec.as_ref().ok_or(ActionPutError::ExecUndefined)?.resolve(manifest)?;
        let limits = match &self.limits {
            Some(l) => l.apply(ActionLimits::defaults(bounds), bounds)?,
            None => ActionLimits::defaults(bounds),
        };
        let mut annotations = self.annotations.clone().unwrap_or_default();
        if annotations.get("provide-api-key").is_none() {
            annotations.set("provide-api-key", Value::Bool(false));
        }
        annotations.set("exec", Value::String(exec.kind().to_owned()));
        Ok(Action {
            namespace: fqn.path.clone(),
            name: fqn.name.clone(),
            exec,
            parameters: self.parameters.clone().unwrap_or_default(),
            limits,
            version: self.version.unwrap_or(SemVer::INITIAL),
            publish: self.publish.unwrap_or(false),
            annotations,
            updated: now,
        })
    }

    /// Applies this body to `old` as an update (`overwrite=true`).
    pub fn update(
        &self,
        old: &Action,
        manifest: &RuntimeManifest,
        bounds: &LimitBounds,
        now: u64,
    ) -> Result<Action, ActionPutError> {
        let exec = match &self.exec {
            Some(e) => e.resolve(manifest)?,
            None => old.exec.clone(),
        };
        let limits = match &self.limits {
            Some(l) => l.apply(old.limits, bounds)?,
            None => old.limits,
        };
        let mut base = old.annotations.clone();
        for k in self.del_annotations.iter().flatten() {
            base.remove(k);
        }
        let mut annotations = match &self.annotations {
            Some(new) => base.merged_with(new),
            None => base,
        };
        annotations.set("exec", Value::String(exec.kind().to_owned()));
        Ok(Action {
            namespace: old.namespace.clone(),
            name: old.name.clone(),
            exec,
            parameters: self.parameters.clone().unwrap_or_else(|| old.parameters.clone()),
            limits,
            version: self.version.unwrap_or_else(|| old.version.bump_patch()),
            publish: self.publish.unwrap_or(old.publish),
            annotations,
            updated: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> ActionPut {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn create_sets_version_and_system_annotations() {
        let fqn = FullyQualifiedName::new("guest", "hello");
        let a = body(json!({"exec": {"kind": "wasm:default", "code": "AGFzbQEAAAA="}, "name": "ignored"}))
            .create(&fqn, &RuntimeManifest::default(), &LimitBounds::default(), 7)
            .unwrap();
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["version"], "0.0.1");
        assert_eq!(v["publish"], false);
        assert_eq!(v["limits"], json!({"timeout": 60000, "memory": 256, "logs": 10, "concurrency": 1}));
        assert_eq!(
            v["annotations"],
            json!([{"key": "provide-api-key", "value": false}, {"key": "exec", "value": "wasm:wasip1"}])
        );
        assert_eq!(v["updated"], 7);
        let back: Action = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn update_bumps_the_patch_and_merges() {
        let fqn = FullyQualifiedName::new("guest", "hello");
        let m = RuntimeManifest::default();
        let b = LimitBounds::default();
        let a = body(
            json!({"exec": {"kind": "wasm:wasip1", "code": "AGFzbQEAAAA="}, "parameters": [{"key": "x", "value": 1}],
            "annotations": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]}),
        )
        .create(&fqn, &m, &b, 1)
        .unwrap();
        let u = body(
            json!({"limits": {"memory": 128}, "annotations": [{"key": "c", "value": 3}], "delAnnotations": ["a"]}),
        )
        .update(&a, &m, &b, 2)
        .unwrap();
        assert_eq!(u.version.to_string(), "0.0.2");
        assert_eq!(u.limits.memory, 128);
        assert_eq!(u.limits.timeout, 60000);
        assert_eq!(u.parameters, a.parameters);
        assert!(u.annotations.get("a").is_none());
        assert_eq!(u.annotations.get("b"), Some(&json!(2)));
        assert_eq!(u.annotations.get("c"), Some(&json!(3)));
        assert_eq!(u.annotations.get("exec"), Some(&json!("wasm:wasip1")));
    }

    #[test]
    fn create_without_exec_is_refused() {
        let fqn = FullyQualifiedName::new("guest", "x");
        let err =
            ActionPut::default().create(&fqn, &RuntimeManifest::default(), &LimitBounds::default(), 0).unwrap_err();
        assert_eq!(err.to_string(), "exec undefined");
    }

    #[test]
    fn semver_parses_and_bumps() {
        let v: SemVer = "1.2.3".parse().unwrap();
        assert_eq!(v.bump_patch().to_string(), "1.2.4");
        assert!("x.y".parse::<SemVer>().is_err());
    }
}
