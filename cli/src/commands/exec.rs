//! The `exec` of an action made from a file: its kind (given, or inferred from the extension)
//! and its code (text, or base64 for binaries).

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine as _;
use serde_json::{Value, json};

/// Extensions whose files are always sent base64-encoded.
const BINARY_EXTENSIONS: [&str; 3] = ["wasm", "zip", "jar"];

/// The kind for a file's extension: `.wasm` is the WebAssembly fast path, `.js` and `.py` the
/// families' default runtimes.
pub(crate) fn infer_kind(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "wasm" => Some("wasm:wasip1"),
        "js" => Some("nodejs:default"),
        "py" => Some("python:default"),
        _ => None,
    }
}

/// The code of a file as `exec.code`, and whether it is binary (base64).
pub(crate) fn encode_code(path: &Path, bytes: Vec<u8>) -> (String, bool) {
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| BINARY_EXTENSIONS.iter().any(|b| b.eq_ignore_ascii_case(e)));
    if !by_extension && let Ok(text) = String::from_utf8(bytes.clone()) {
        return (text, false);
    }
    (base64::engine::general_purpose::STANDARD.encode(bytes), true)
}

/// The `exec` object for the action in `path`.
pub(crate) fn exec_from_file(path: &Path, kind: Option<&str>, main: Option<&str>) -> anyhow::Result<Value> {
    let kind = match kind.or_else(|| infer_kind(path)) {
        Some(k) => k,
        None => bail!(
            "cannot tell the kind of action from the file name '{}': pass --kind (e.g. --kind wasm:wasip1); \
             .wasm, .js and .py files are recognised",
            path.display()
        ),
    };
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (code, binary) = encode_code(path, bytes);
    let mut exec = json!({"kind": kind, "code": code, "binary": binary});
    if let Some(m) = main {
        exec["main"] = json!(m);
    }
    Ok(exec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_extensions() {
        assert_eq!(infer_kind(Path::new("a/hello.wasm")), Some("wasm:wasip1"));
        assert_eq!(infer_kind(Path::new("x.JS")), Some("nodejs:default"));
        assert_eq!(infer_kind(Path::new("x.py")), Some("python:default"));
        assert_eq!(infer_kind(Path::new("x.zip")), None);
        assert_eq!(infer_kind(Path::new("Makefile")), None);
    }

    #[test]
    fn text_is_sent_as_is_and_binaries_as_base64() {
        assert_eq!(encode_code(Path::new("a.js"), b"function main(){}".to_vec()), ("function main(){}".into(), false));
        assert_eq!(encode_code(Path::new("a.wasm"), b"\0asm".to_vec()), ("AGFzbQ==".into(), true));
        assert_eq!(encode_code(Path::new("a.ZIP"), b"PK".to_vec()), ("UEs=".into(), true));
        assert_eq!(encode_code(Path::new("a.bin"), vec![0xff, 0xfe]), ("//4=".into(), true));
    }

    #[test]
    fn an_unknown_extension_needs_a_kind() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("action.txt");
        std::fs::write(&file, "x").unwrap();
        let err = exec_from_file(&file, None, None).unwrap_err().to_string();
        assert!(err.contains("--kind"), "{err}");
        let exec = exec_from_file(&file, Some("nodejs:20"), Some("run")).unwrap();
        assert_eq!(exec, json!({"kind": "nodejs:20", "code": "x", "binary": false, "main": "run"}));
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = exec_from_file(Path::new("/nonexistent/a.wasm"), None, None).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/a.wasm"), "{err}");
    }
}
