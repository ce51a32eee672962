//! Whether the compiler building this crate can also build for the Wasm target.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The sysroot of `rustc` (`rustc --print sysroot`).
pub(crate) fn sysroot(rustc: &Path) -> Result<PathBuf, String> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run {} --print sysroot: {e}", rustc.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} --print sysroot failed ({}): {}",
            rustc.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

/// Whether the sysroot holds the standard library for `target`, as `rustup target add`
/// installs it: `lib/rustlib/<target>/lib/libstd-*.rlib`.
pub(crate) fn has_target(sysroot: &Path, target: &str) -> bool {
    let lib = sysroot.join("lib/rustlib").join(target).join("lib");
    std::fs::read_dir(lib).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libstd-") && name.ends_with(".rlib")
        })
    })
}

/// The file whose change tells that the sysroot's targets changed: rustup's `components` list
/// when there is one, else the `rustlib` directory itself.
pub(crate) fn watch_path(sysroot: &Path) -> PathBuf {
    let rustlib = sysroot.join("lib/rustlib");
    let components = rustlib.join("components");
    if components.is_file() { components } else { rustlib }
}
