//! Packages and package bindings: the stored document, the PUT body, the create / update
//! rules and OpenWhisk's refusals.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};

use crate::entity::EntityMeta;
use crate::names::{self, FullyQualifiedName, NameError};
use crate::params::Params;
use crate::semver::SemVer;

/// The package name web URLs use for "no package"; no package may take it.
pub const DEFAULT_PACKAGE: &str = "default";

/// The package a binding refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Binding {
    /// The bound package's namespace.
    pub namespace: String,
    /// The bound package's name.
    pub name: String,
}

impl Binding {
    /// The bound package's fully qualified name.
    pub fn fqn(&self) -> FullyQualifiedName {
        FullyQualifiedName::new(self.namespace.clone(), self.name.clone())
    }

    /// The bound package's document id.
    pub fn doc_id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// `binding` as OpenWhisk writes it: `{}` for a package, `{"namespace", "name"}` for a binding.
fn write_binding<S: Serializer>(b: &Option<Binding>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => b.serialize(s),
        None => serde_json::Map::new().serialize(s),
    }
}

/// Reads `binding`: absent, `null`, `{}` (or `false`, as lists show it) mean "no binding".
fn read_binding<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Binding>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(None),
        Some(Value::Object(m)) if m.is_empty() => Ok(None),
        Some(v) => serde_json::from_value(v)
            .map(Some)
            .map_err(|_| serde::de::Error::custom("binding must be an object with a 'namespace' and a 'name'")),
    }
}

/// A stored package (or binding), in OpenWhisk's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// Namespace, name, version, publish, annotations, updated.
    #[serde(flatten)]
    pub meta: EntityMeta,
    /// The package this one binds, if it is a binding.
    #[serde(default, serialize_with = "write_binding", deserialize_with = "read_binding")]
    pub binding: Option<Binding>,
    /// Parameters every action of the package gets (under the action's own).
    pub parameters: Params,
}

impl Package {
    /// Its fully qualified name.
    pub fn fqn(&self) -> FullyQualifiedName {
        self.meta.fqn()
    }

    /// The path of the actions inside it: `ns/name`.
    pub fn actions_path(&self) -> String {
        self.meta.doc_id()
    }

    /// The list-summary view: `binding` is `false` or the bound package.
    pub fn summary(&self) -> Value {
        let mut m = self.meta.summary();
        m.insert("binding".into(), self.binding.as_ref().map_or(Value::Bool(false), |b| json!(b)));
        Value::Object(m)
    }
}

/// The body of `PUT .../packages/{name}`. Unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PackagePut {
    /// The package to bind (a binding); `{}` or absent for a plain package. Its namespace may
    /// be `_` (the caller's) until the route resolves it.
    #[serde(default, deserialize_with = "read_binding")]
    pub binding: Option<Binding>,
    /// New parameters (replace the old ones).
    pub parameters: Option<Params>,
    /// Explicit version.
    pub version: Option<SemVer>,
    /// Share the package with other namespaces.
    pub publish: Option<bool>,
    /// New annotations (replace the old ones).
    pub annotations: Option<Params>,
}

/// Why a package request was refused. The text is OpenWhisk's; [`PackageError::status`] the
/// HTTP status it answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// `default` is reserved.
    #[error("Package name 'default' is reserved.")]
    ReservedName,
    /// The bound package does not exist.
    #[error("Binding references a package that does not exist.")]
    BindingMissing,
    /// The bound package is itself a binding.
    #[error("Cannot bind to another package binding.")]
    BindingToBinding,
    /// The bound name is an entity of another collection.
    #[error("Cannot bind to a resource that is not a package.")]
    BindingNotPackage,
    /// An update would turn a package into a binding.
    #[error("Resource is a package and cannot be converted into a binding.")]
    PackageToBinding,
    /// A binding that refers to itself.
    #[error("Package binding '{0}' contains a circular reference.")]
    Circular(String),
    /// A package that still holds entities.
    #[error("Package not empty (contains {count} {}). Set force param or delete package contents.", if *.count == 1 { "entity" } else { "entities" })]
    NotEmpty {
        /// How many.
        count: u64,
    },
    /// Creating, updating or deleting an action through a binding.
    #[error("Operation not permitted on package binding.")]
    OperationOnBinding,
    /// A binding whose namespace or name breaks the naming rules.
    #[error("{0}")]
    BadBindingName(NameError),
}

impl PackageError {
    /// The HTTP status OpenWhisk answers.
    pub fn status(&self) -> u16 {
        match self {
            PackageError::BindingNotPackage | PackageError::PackageToBinding | PackageError::NotEmpty { .. } => 409,
            PackageError::Circular(_) => 422,
            _ => 400,
        }
    }
}

/// Checks a package name for the reserved `default`.
pub fn check_package_name(name: &str) -> Result<(), PackageError> {
    if name == DEFAULT_PACKAGE { Err(PackageError::ReservedName) } else { Ok(()) }
}

impl PackagePut {
    /// The bound package, with `_` replaced by `caller_ns` and both names checked.
    pub fn resolved_binding(&self, caller_ns: &str) -> Result<Option<Binding>, PackageError> {
        let Some(b) = &self.binding else { return Ok(None) };
        let namespace = if b.namespace == "_" { caller_ns.to_owned() } else { b.namespace.clone() };
        names::validate_namespace(&namespace).map_err(PackageError::BadBindingName)?;
        names::validate_entity_name(&b.name).map_err(PackageError::BadBindingName)?;
        Ok(Some(Binding { namespace, name: b.name.clone() }))
    }

    /// A new package (or binding to `binding`, already resolved and checked) named `fqn`.
    pub fn create(&self, fqn: &FullyQualifiedName, binding: Option<Binding>, now: u64) -> Package {
        let annotations = binding_annotation(self.annotations.clone().unwrap_or_default(), binding.as_ref());
        Package {
            meta: EntityMeta::new(fqn, self.version, self.publish, annotations, now),
            binding,
            parameters: self.parameters.clone().unwrap_or_default(),
        }
    }

    /// Applies this body to `old` (`overwrite=true`): parameters and annotations are replaced
    /// when given; only a binding may change what it binds.
    pub fn update(&self, old: &Package, binding: Option<Binding>, now: u64) -> Result<Package, PackageError> {
        if old.binding.is_none() && binding.is_some() {
            return Err(PackageError::PackageToBinding);
        }
        let binding = binding.or_else(|| old.binding.clone());
        let annotations = self.annotations.clone().unwrap_or_else(|| old.meta.annotations.clone());
        let annotations = binding_annotation(annotations, binding.as_ref());
        Ok(Package {
            meta: old.meta.next(self.version, self.publish, annotations, now),
            binding,
            parameters: self.parameters.clone().unwrap_or_else(|| old.parameters.clone()),
        })
    }
}

/// A binding carries the server's `binding` annotation (any client value is replaced).
fn binding_annotation(mut annotations: Params, binding: Option<&Binding>) -> Params {
    if let Some(b) = binding {
        annotations.set("binding", json!({"namespace": b.namespace, "name": b.name}));
    }
    annotations
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn put(v: Value) -> PackagePut {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_plain_package_writes_an_empty_binding() {
        let p = put(json!({"publish": true, "parameters": [{"key": "a", "value": 1}]})).create(
            &FullyQualifiedName::new("guest", "utils"),
            None,
            9,
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["binding"], json!({}));
        assert_eq!(v["version"], "0.0.1");
        assert_eq!(v["publish"], true);
        assert_eq!(p.summary()["binding"], json!(false));
        assert_eq!(serde_json::from_value::<Package>(v).unwrap(), p);
    }

    #[test]
    fn bindings_resolve_underscore_and_carry_the_server_annotation() {
        let body = put(json!({"binding": {"namespace": "_", "name": "utils"},
            "annotations": [{"key": "binding", "value": "forged"}, {"key": "x", "value": 1}]}));
        let b = body.resolved_binding("guest").unwrap().unwrap();
        assert_eq!(b, Binding { namespace: "guest".into(), name: "utils".into() });
        let p = body.create(&FullyQualifiedName::new("guest", "mine"), Some(b), 1);
        assert_eq!(p.meta.annotations.get("binding"), Some(&json!({"namespace": "guest", "name": "utils"})));
        assert_eq!(p.meta.annotations.get("x"), Some(&json!(1)));
        assert_eq!(p.summary()["binding"], json!({"namespace": "guest", "name": "utils"}));
        assert!(put(json!({"binding": {}})).resolved_binding("guest").unwrap().is_none());
        let bad = put(json!({"binding": {"namespace": "a b ", "name": "x"}})).resolved_binding("guest");
        assert_eq!(bad.unwrap_err().to_string(), "The namespace contains illegal characters.");
        assert!(serde_json::from_value::<PackagePut>(json!({"binding": "utils"})).is_err());
    }

    #[test]
    fn a_package_cannot_become_a_binding_but_a_binding_can_move() {
        let fqn = FullyQualifiedName::new("guest", "p");
        let plain = PackagePut::default().create(&fqn, None, 1);
        let to = Binding { namespace: "whisk.system".into(), name: "utils".into() };
        let err = PackagePut::default().update(&plain, Some(to.clone()), 2).unwrap_err();
        assert_eq!(err.to_string(), "Resource is a package and cannot be converted into a binding.");
        assert_eq!(err.status(), 409);
        let bound = PackagePut::default().create(&fqn, Some(to), 1);
        let elsewhere = Binding { namespace: "guest".into(), name: "other".into() };
        let moved = PackagePut::default().update(&bound, Some(elsewhere.clone()), 2).unwrap();
        assert_eq!(moved.binding, Some(elsewhere));
        assert_eq!(moved.meta.version.to_string(), "0.0.2");
        assert_eq!(moved.meta.annotations.get("binding"), Some(&json!({"namespace": "guest", "name": "other"})));
        let kept = PackagePut::default().update(&moved, None, 3).unwrap();
        assert_eq!(kept.binding, moved.binding);
    }

    #[test]
    fn refusals_have_openwhisk_messages() {
        assert_eq!(check_package_name("default").unwrap_err().to_string(), "Package name 'default' is reserved.");
        assert!(check_package_name("defaults").is_ok());
        assert_eq!(
            PackageError::NotEmpty { count: 1 }.to_string(),
            "Package not empty (contains 1 entity). Set force param or delete package contents."
        );
        assert_eq!(
            PackageError::NotEmpty { count: 3 }.to_string(),
            "Package not empty (contains 3 entities). Set force param or delete package contents."
        );
        assert_eq!(PackageError::Circular("me".into()).status(), 422);
    }
}
