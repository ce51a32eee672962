//! The `whisk.system` catalog: the public packages every Gust deployment ships, as OpenWhisk
//! deployments ship `/whisk.system/utils`.
//!
//! [`packages`] describes each package and its actions as plain data, ready to be stored as
//! published packages in the `whisk.system` namespace. Every action is a WebAssembly module of
//! kind [`WASM_KIND`] that the build script compiled from the `gust-catalog-actions` crate
//! (written with gust-sdk) and embedded in this library.
//!
//! ```
//! match gust_catalog::packages() {
//!     Ok(packages) => {
//!         let utils = packages.iter().find(|p| p.name == "utils").expect("utils is in the catalog");
//!         assert!(utils.actions.iter().any(|a| a.name == "echo"));
//!     }
//!     // A build without the wasm32-wasip1 target has no modules, and says so.
//!     Err(missing) => eprintln!("{missing}"),
//! }
//! ```

#![warn(missing_docs)]

mod annotations;
mod modules;
mod package;
mod utils;

#[cfg(test)]
mod tests;

pub use package::{CatalogAction, CatalogPackage};

/// The namespace every catalog package lives in.
pub const NAMESPACE: &str = "whisk.system";

/// The exec kind of every catalog action.
pub const WASM_KIND: &str = "wasm:wasip1";

/// Why the catalog cannot be installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogMissing {
    /// The build could not compile the actions to WebAssembly (the reason says what to do,
    /// e.g. that the `wasm32-wasip1` target is not installed).
    #[error("the whisk.system catalog is not in this build: {0}")]
    NotBuilt(&'static str),
    /// A package names an action whose module the build did not make (a bug of this crate).
    #[error("the whisk.system catalog has no Wasm module for the action `{0}`")]
    NoModule(&'static str),
}

/// Every package of the catalog, with its actions; an error when this build has no action
/// modules.
pub fn packages() -> Result<Vec<CatalogPackage>, CatalogMissing> {
    Ok(vec![utils::package()?])
}
