//! Actions: the stored document, the PUT body, and the create / update rules.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::entity::EntityMeta;

use crate::exec::{Exec, ExecError, ExecPut, RuntimeManifest};
use crate::limits::{ActionLimits, LimitBounds, LimitError, LimitsPut};
use crate::names::FullyQualifiedName;
use crate::params::Params;
pub use crate::semver::SemVer;

/// A stored action, in OpenWhisk's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Path (`ns` or `ns/pkg`), name, version, publish, annotations (`exec`,
    /// `provide-api-key`, `final`, `web-export`, ...), updated.
    #[serde(flatten)]
    pub meta: EntityMeta,
    /// What it runs.
    pub exec: Exec,
    /// Default parameters.
    pub parameters: Params,
    /// Limits.
    pub limits: ActionLimits,
}

impl Action {
    /// Its fully qualified name.
    pub fn fqn(&self) -> FullyQualifiedName {
        self.meta.fqn()
    }

    /// The list-summary view: no code, no parameters.
    pub fn summary(&self) -> Value {
        let mut m = self.meta.summary();
        m.insert("limits".into(), json!(self.limits));
        m.insert("exec".into(), json!({"binary": self.exec.binary()}));
        Value::Object(m)
    }

    /// The same action without its code, for caches that never need it.
    pub fn without_code(&self) -> Action {
        Action { exec: self.exec.without_code(), ..self.clone() }
    }

    /// Whether the action asked for `__OW_API_KEY` (annotation `provide-api-key` absent or truthy).
    pub fn provides_api_key(&self) -> bool {
        match self.meta.annotations.get("provide-api-key") {
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
            meta: EntityMeta::new(fqn, self.version, self.publish, annotations, now),
            exec,
            parameters: self.parameters.clone().unwrap_or_default(),
            limits,
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
        let mut base = old.meta.annotations.clone();
        for k in self.del_annotations.iter().flatten() {
            base.remove(k);
        }
        let mut annotations = match &self.annotations {
            Some(new) => base.merged_with(new),
            None => base,
        };
        annotations.set("exec", Value::String(exec.kind().to_owned()));
        Ok(Action {
            meta: old.meta.next(self.version, self.publish, annotations, now),
            exec,
            parameters: self.parameters.clone().unwrap_or_else(|| old.parameters.clone()),
            limits,
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
        assert_eq!(u.meta.version.to_string(), "0.0.2");
        assert_eq!(u.limits.memory, 128);
        assert_eq!(u.limits.timeout, 60000);
        assert_eq!(u.parameters, a.parameters);
        let ann = &u.meta.annotations;
        assert!(ann.get("a").is_none());
        assert_eq!(ann.get("b"), Some(&json!(2)));
        assert_eq!(ann.get("c"), Some(&json!(3)));
        assert_eq!(ann.get("exec"), Some(&json!("wasm:wasip1")));
    }

    #[test]
    fn create_without_exec_is_refused() {
        let fqn = FullyQualifiedName::new("guest", "x");
        let err =
            ActionPut::default().create(&fqn, &RuntimeManifest::default(), &LimitBounds::default(), 0).unwrap_err();
        assert_eq!(err.to_string(), "exec undefined");
    }
}
