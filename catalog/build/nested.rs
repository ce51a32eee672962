//! The nested `cargo build` of the actions crate for the Wasm target.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The target the actions are built for.
pub(crate) const TARGET: &str = "wasm32-wasip1";

/// The package whose binaries are the catalog's actions.
const ACTIONS_PACKAGE: &str = "gust-catalog-actions";

/// One compiled action: its binary's name and the path of its `.wasm` file.
pub(crate) struct Module {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
}

/// The nested build's own target directory, `<target dir>/catalog`.
///
/// It is never the outer build's directory itself, whose lock the outer cargo holds while this
/// script runs. The outer target directory is the nearest ancestor of `OUT_DIR` that cargo
/// marked with `CACHEDIR.TAG` (so debug, release, clippy and test builds share one nested
/// build); without one, `<workspace>/target`.
pub(crate) fn target_dir(out_dir: &Path, workspace: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map_or_else(|| workspace.join("target"), Path::to_path_buf)
        .join("catalog")
}

/// Runs `cargo build -p gust-catalog-actions --bins --target wasm32-wasip1 --profile
/// wasm-action` with the same cargo and rustc as the outer build, and returns the modules it
/// made.
pub(crate) fn build(cargo: &Path, workspace: &Path, target_dir: &Path) -> Result<Vec<Module>, String> {
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["build", "--locked", "--bins", "--profile", "wasm-action", "--message-format=json-render-diagnostics"])
        .args(["-p", ACTIONS_PACKAGE, "--target", TARGET])
        .arg("--target-dir")
        .arg(target_dir);
    for (name, _) in std::env::vars_os() {
        if leaks_into_nested_build(&name) {
            command.env_remove(&name);
        }
    }
    let output = command.output().map_err(|e| format!("cannot run {}: {e}", cargo.display()))?;
    if !output.status.success() {
        return Err(format!(
            "building the catalog's actions for {TARGET} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let modules = artifacts(&String::from_utf8_lossy(&output.stdout));
    if modules.is_empty() {
        return Err(format!("building the catalog's actions for {TARGET} made no module"));
    }
    Ok(modules)
}

/// Whether an environment variable of this build script must not reach the nested cargo:
/// flags and wrappers meant for the outer build (clippy's driver, coverage flags), its target
/// and target directory, and the variables cargo sets for this build script only.
fn leaks_into_nested_build(name: &OsStr) -> bool {
    const NAMES: [&str; 19] = [
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "OUT_DIR",
        "TARGET",
        "HOST",
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
        "NUM_JOBS",
    ];
    const PREFIXES: [&str; 6] = ["CARGO_FEATURE_", "CARGO_CFG_", "CARGO_PKG_", "CARGO_MANIFEST_", "DEP_", "CLIPPY_"];
    let Some(name) = name.to_str() else { return false };
    NAMES.contains(&name) || PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

/// The binaries of the actions package among cargo's JSON messages.
fn artifacts(messages: &str) -> Vec<Module> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["kind"].as_array().is_some_and(|kinds| kinds.iter().any(|k| k == "bin")))
        .filter(|message| message["package_id"].as_str().is_some_and(|id| id.contains(ACTIONS_PACKAGE)))
        .filter_map(|message| {
            let name = message["target"]["name"].as_str()?.to_owned();
            let path = PathBuf::from(message["executable"].as_str()?);
            Some(Module { name, path })
        })
        .collect()
}
