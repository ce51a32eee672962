//! The plain data of a catalog package and its actions.

use std::fmt;

use serde_json::Value;

/// A package of the catalog, to be stored published (public) in its namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogPackage {
    /// The namespace it lives in: always [`NAMESPACE`](crate::NAMESPACE).
    pub namespace: &'static str,
    /// The package's name, e.g. `utils`.
    pub name: &'static str,
    /// Its annotations, OpenWhisk's `[{"key": …, "value": …}]` array (`description`, …).
    pub annotations: Value,
    /// Its bound parameters, in the same array shape (often empty).
    pub parameters: Value,
    /// Its actions.
    pub actions: Vec<CatalogAction>,
}

/// An action of a catalog package: a Wasm module of kind [`WASM_KIND`](crate::WASM_KIND).
#[derive(Clone, PartialEq)]
pub struct CatalogAction {
    /// The action's name within its package, e.g. `echo`.
    pub name: &'static str,
    /// Its exec kind: always [`WASM_KIND`](crate::WASM_KIND).
    pub kind: &'static str,
    /// The `wasm32-wasip1` module (a WASI command: parameters on stdin, result on stdout).
    pub module: &'static [u8],
    /// Its annotations (`description`, `parameters`, `sampleInput`, `sampleOutput`, …) in
    /// OpenWhisk's `[{"key": …, "value": …}]` shape.
    pub annotations: Value,
    /// Its bound parameters, in the same array shape (often empty).
    pub parameters: Value,
}

impl fmt::Debug for CatalogAction {
    /// Shows the module's size, not its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatalogAction")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("module", &format_args!("<{} bytes>", self.module.len()))
            .field("annotations", &self.annotations)
            .field("parameters", &self.parameters)
            .finish()
    }
}

impl CatalogAction {
    /// The action `name`, whose module is the actions crate's binary of the same name.
    pub(crate) fn wasm(name: &'static str, annotations: Value) -> Result<Self, crate::CatalogMissing> {
        Ok(Self {
            name,
            kind: crate::WASM_KIND,
            module: crate::modules::module(name)?,
            annotations,
            parameters: Value::Array(Vec::new()),
        })
    }
}
