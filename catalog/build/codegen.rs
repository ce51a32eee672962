//! `$OUT_DIR/modules.rs`: the table of embedded modules, or why there is none.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::nested::Module;

/// Copies each module into `$OUT_DIR/modules/` and writes a `BUILT` table that includes them.
pub(crate) fn write_modules(out_dir: &Path, modules: &[Module]) -> Result<(), String> {
    let dir = out_dir.join("modules");
    // Start empty, so a module whose action was removed is not embedded any more.
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut modules: Vec<&Module> = modules.iter().collect();
    modules.sort_by(|a, b| a.name.cmp(&b.name));
    let mut table = String::new();
    for module in modules {
        let file = format!("{}.wasm", module.name);
        fs::copy(&module.path, dir.join(&file))
            .map_err(|e| format!("cannot copy {} into {}: {e}", module.path.display(), dir.display()))?;
        writeln!(table, "    ({:?}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/modules/{file}\"))),", module.name)
            .map_err(|e| e.to_string())?;
    }
    write(out_dir, &format!("static BUILT: Result<&[(&str, &[u8])], &str> = Ok(&[\n{table}]);\n"))
}

/// Writes a `BUILT` that says why the modules are missing.
pub(crate) fn write_missing(out_dir: &Path, reason: &str) -> Result<(), String> {
    write(out_dir, &format!("static BUILT: Result<&[(&str, &[u8])], &str> = Err({reason:?});\n"))
}

fn write(out_dir: &Path, body: &str) -> Result<(), String> {
    let path = out_dir.join("modules.rs");
    let text = format!("// Written by gust-catalog's build script (build/codegen.rs).\n{body}");
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
