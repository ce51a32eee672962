//! Precompiled modules on disk, keyed by content digest and engine compatibility, so a module
//! is compiled once (at create) and never on the request path.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use super::WasmError;

/// The `.cwasm` files of one engine configuration.
pub(crate) struct ModuleCache {
    dir: PathBuf,
    engine_tag: String,
}

/// Hex SHA-256 of a module's bytes.
pub(crate) fn digest(wasm: &[u8]) -> String {
    Sha256::digest(wasm).iter().map(|b| format!("{b:02x}")).collect()
}

impl ModuleCache {
    /// A cache in `dir` for modules compiled by `engine`.
    pub(crate) fn new(dir: &Path, engine: &Engine) -> Result<Self, WasmError> {
        // Compiled modules are user code: the directory is the owner's only (0700, files 0600).
        gust_core::private_files::create_dir_all(dir)
            .map_err(|e| WasmError::Cache(format!("cannot create {}: {e}", dir.display())))?;
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        Ok(Self { dir: dir.to_owned(), engine_tag: format!("{:016x}", h.finish()) })
    }

    fn path(&self, digest: &str) -> PathBuf {
        self.dir.join(format!("{digest}-{}.cwasm", self.engine_tag))
    }

    /// The `.cwasm` of `wasm`, compiling and writing it first if it is not cached yet.
    /// Compilation errors are the module's fault and come back as [`WasmError::Invalid`].
    pub(crate) fn ensure(&self, engine: &Engine, wasm: &[u8]) -> Result<PathBuf, WasmError> {
        let path = self.path(&digest(wasm));
        if path.exists() {
            return Ok(path);
        }
        let compiled = engine.precompile_module(wasm).map_err(|e| WasmError::Invalid(format!("{e:#}")))?;
        // Write under a unique name, then rename: readers never see a partial file.
        let tmp = path.with_extension(format!("tmp{}", gust_core::ids::random_alphanumeric(8)));
        gust_core::private_files::write(&tmp, &compiled)
            .map_err(|e| WasmError::Cache(format!("cannot write {}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &path).map_err(|e| WasmError::Cache(format!("cannot rename {}: {e}", tmp.display())))?;
        Ok(path)
    }

    /// Loads a `.cwasm` written by [`ModuleCache::ensure`].
    pub(crate) fn load(&self, engine: &Engine, path: &Path) -> Result<Module, WasmError> {
        // SAFETY: `deserialize_file` maps native code from the file and trusts it. Every file it
        // can see here was produced by `precompile_module` of an engine with the same
        // compatibility hash (it is part of the name), in a directory only this invoker writes,
        // and was renamed into place whole; wasmtime still checks the header and compatibility.
        #[allow(unsafe_code)]
        let module = unsafe { Module::deserialize_file(engine, path) };
        module.map_err(|e| WasmError::Cache(format!("cannot load {}: {e:#}", path.display())))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn the_cache_directory_and_modules_are_owner_only() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data/wasm-cache");
        let engine = Engine::default();
        let cache = ModuleCache::new(&dir, &engine).expect("cache");
        let wasm = wat::parse_str("(module)").expect("wat");
        let path = cache.ensure(&engine, &wasm).expect("compile");
        assert_eq!((mode(&tmp.path().join("data")), mode(&dir), mode(&path)), (0o700, 0o700, 0o600));
        cache.load(&engine, &path).expect("loads back");
    }
}
