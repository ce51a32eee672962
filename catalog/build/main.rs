//! Builds the catalog's actions (the `gust-catalog-actions` crate) for `wasm32-wasip1` with the
//! workspace's `wasm-action` profile and writes `$OUT_DIR/modules.rs`, which embeds each
//! module. When the Rust target `wasm32-wasip1` is not installed the build goes on without the
//! modules: it warns and says why in `modules.rs`, so the library reports it at run time.

mod codegen;
mod nested;
mod toolchain;

use std::env;
use std::path::PathBuf;

fn main() -> Result<(), String> {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?);
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("cargo did not set CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir.parent().ok_or("the catalog crate is not inside the workspace")?.to_path_buf();

    // What the modules are made of: the actions, the SDK, the workspace's profile and lock.
    for input in
        ["catalog/actions/Cargo.toml", "catalog/actions/src", "sdk/Cargo.toml", "sdk/src", "Cargo.toml", "Cargo.lock"]
    {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }

    let rustc = env::var_os("RUSTC").map_or_else(|| PathBuf::from("rustc"), PathBuf::from);
    let sysroot = toolchain::sysroot(&rustc)?;
    // Adding or removing a target changes what is under the sysroot's rustlib (rustup also
    // rewrites its `components` list there), so the build reruns then.
    println!("cargo:rerun-if-changed={}", toolchain::watch_path(&sysroot).display());

    if !toolchain::has_target(&sysroot, nested::TARGET) {
        let reason = format!(
            "the Rust target {target} is not installed in the toolchain at {sysroot}, so the catalog's actions could not be \
             compiled; run `rustup target add {target}` and build again",
            target = nested::TARGET,
            sysroot = sysroot.display(),
        );
        println!("cargo:warning=gust-catalog: {reason}");
        return codegen::write_missing(&out_dir, &reason);
    }

    let cargo = env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let target_dir = nested::target_dir(&out_dir, &workspace);
    let modules = nested::build(&cargo, &workspace, &target_dir)?;
    codegen::write_modules(&out_dir, &modules)
}
