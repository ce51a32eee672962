//! The catalog's shape: every module is embedded, valid and used once; names are unique; the
//! annotations have OpenWhisk's shape.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{NAMESPACE, WASM_KIND, modules, packages};

/// The magic number and version 1 that start every binary Wasm module.
const WASM_HEADER: &[u8] = b"\0asm\x01\0\0\0";

/// The names of the actions crate's binaries, from its `src/bin/*.rs` files.
fn action_binaries() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/actions/src/bin");
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| path.file_stem().expect("a file name").to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_build_embedded_a_module_for_every_action_binary() {
    let built = modules::all().unwrap_or_else(|missing| panic!("{missing}"));
    let names: BTreeSet<String> = built.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(names.len(), built.len(), "module names repeat: {names:?}");
    assert_eq!(names, action_binaries());
}

#[test]
fn every_module_is_a_wasm_module() {
    for (name, module) in modules::all().unwrap_or_else(|missing| panic!("{missing}")) {
        assert!(module.starts_with(WASM_HEADER), "{name} does not start with the Wasm header");
        assert!(module.len() > 1024, "{name} is only {} bytes", module.len());
    }
}

#[test]
fn every_module_is_one_action_and_every_action_has_one() {
    let packages = packages().unwrap_or_else(|missing| panic!("{missing}"));
    let built = modules::all().unwrap_or_else(|missing| panic!("{missing}"));
    let mut used = BTreeSet::new();
    for package in &packages {
        for action in &package.actions {
            let (name, _) = built
                .iter()
                .find(|(_, module)| std::ptr::eq(*module, action.module))
                .unwrap_or_else(|| panic!("{}/{} has a module that was not built", package.name, action.name));
            assert!(used.insert(*name), "the module {name} is used twice");
        }
    }
    let unused: Vec<_> = built.iter().map(|(name, _)| *name).filter(|name| !used.contains(name)).collect();
    assert!(unused.is_empty(), "modules no action uses: {unused:?}");
}

#[test]
fn names_are_unique_and_everything_lives_in_whisk_system() {
    let packages = packages().unwrap_or_else(|missing| panic!("{missing}"));
    let mut package_names = BTreeSet::new();
    for package in &packages {
        assert_eq!(package.namespace, NAMESPACE);
        assert!(package_names.insert(package.name), "two packages are named {}", package.name);
        assert!(!package.actions.is_empty(), "{} has no action", package.name);
        let mut action_names = BTreeSet::new();
        for action in &package.actions {
            assert!(action_names.insert(action.name), "{} has two actions named {}", package.name, action.name);
            assert_eq!(action.kind, WASM_KIND);
        }
    }
}

#[test]
fn utils_has_openwhisks_nine_actions() {
    let packages = packages().unwrap_or_else(|missing| panic!("{missing}"));
    let utils = packages.iter().find(|p| p.name == "utils").expect("the utils package");
    let names: BTreeSet<&str> = utils.actions.iter().map(|a| a.name).collect();
    let expected = ["cat", "date", "echo", "head", "hosturl", "namespace", "smash", "sort", "split"];
    assert_eq!(names, expected.into_iter().collect());
}

/// The keys of an OpenWhisk key-value array, checking its shape.
fn keys(array: &Value, whose: &str) -> Vec<String> {
    let pairs = array.as_array().unwrap_or_else(|| panic!("{whose}: not an array: {array}"));
    pairs
        .iter()
        .map(|pair| {
            let object = pair.as_object().unwrap_or_else(|| panic!("{whose}: not an object: {pair}"));
            assert_eq!(object.len(), 2, "{whose}: {pair}");
            assert!(object.contains_key("value"), "{whose}: {pair}");
            object["key"].as_str().unwrap_or_else(|| panic!("{whose}: no string key: {pair}")).to_owned()
        })
        .collect()
}

#[test]
fn annotations_and_parameters_have_openwhisks_shape_and_a_description() {
    for package in packages().unwrap_or_else(|missing| panic!("{missing}")) {
        let package_keys = keys(&package.annotations, package.name);
        assert!(package_keys.contains(&"description".to_owned()), "{}: {package_keys:?}", package.name);
        keys(&package.parameters, package.name);
        for action in &package.actions {
            let whose = format!("{}/{}", package.name, action.name);
            let action_keys = keys(&action.annotations, &whose);
            assert!(action_keys.contains(&"description".to_owned()), "{whose}: {action_keys:?}");
            let unique: BTreeSet<&String> = action_keys.iter().collect();
            assert_eq!(unique.len(), action_keys.len(), "{whose}: repeated annotations {action_keys:?}");
            keys(&action.parameters, &whose);
        }
    }
}

#[test]
fn debug_output_shows_module_sizes_not_bytes() {
    let packages = packages().unwrap_or_else(|missing| panic!("{missing}"));
    let action = &packages[0].actions[0];
    let debug = format!("{action:?}");
    assert!(debug.contains(&format!("<{} bytes>", action.module.len())), "{debug}");
    assert!(debug.len() < 2048, "{debug}");
}
