//! The Wasm modules the build script compiled, embedded (see build/main.rs).

use crate::CatalogMissing;

// `static BUILT: Result<&[(&str, &[u8])], &str>`: (binary name, module) pairs sorted by name,
// or why the build has none.
include!(concat!(env!("OUT_DIR"), "/modules.rs"));

/// Every embedded module with the name of the binary it was built from, sorted by name.
pub(crate) fn all() -> Result<&'static [(&'static str, &'static [u8])], CatalogMissing> {
    BUILT.map_err(CatalogMissing::NotBuilt)
}

/// The module built from the actions crate's binary `name`.
pub(crate) fn module(name: &'static str) -> Result<&'static [u8], CatalogMissing> {
    all()?.iter().find(|(built, _)| *built == name).map(|(_, module)| *module).ok_or(CatalogMissing::NoModule(name))
}
