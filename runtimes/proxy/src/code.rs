//! What an action's code is, and writing it into the action directory.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::config::Runtime;
use crate::unzip;

/// Base64 as OpenWhisk clients send it: the standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The name a native action's executable has, at the root of the action directory.
pub(crate) const EXEC: &str = "exec";

/// An action's code, once recognised.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// A zip archive (`binary: true`, starting with `PK`).
    Zip(Vec<u8>),
    /// An executable that is not text (`binary: true`, e.g. an ELF binary).
    Executable(Vec<u8>),
    /// Source text: plain code, or base64 that decodes to UTF-8 text (e.g. a script).
    Source(String),
}

/// Recognises the code of an `/init` request.
pub(crate) fn classify(binary: bool, code: &str) -> Result<Code, String> {
    if !binary {
        return Ok(Code::Source(code.to_owned()));
    }
    let compact: Vec<u8> = code.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let bytes =
        BASE64.decode(compact).map_err(|e| format!("the code is marked binary but is not valid base64: {e}"))?;
    if unzip::is_zip(&bytes) {
        return Ok(Code::Zip(bytes));
    }
    if bytes.starts_with(b"\x7fELF") {
        return Ok(Code::Executable(bytes));
    }
    Ok(String::from_utf8(bytes).map_or_else(|e| Code::Executable(e.into_bytes()), Code::Source))
}

/// Writes `code` into `dir` (created if needed) the way `runtime` expects to find it.
pub(crate) fn materialize(runtime: Runtime, code: Code, dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create the action directory {}: {e}", dir.display()))?;
    match code {
        Code::Zip(bytes) => {
            unzip::extract(&bytes, dir)?;
            if runtime == Runtime::Native {
                let exec = dir.join(EXEC);
                if !exec.is_file() {
                    return Err("the zip has no `exec` file at its root (a native action's zip must hold its \
                                executable there)"
                        .to_owned());
                }
                make_executable(&exec)?;
            }
            Ok(())
        }
        Code::Executable(bytes) if runtime == Runtime::Native => write(dir, EXEC, &bytes, true),
        Code::Executable(_) => Err(format!(
            "the code is a binary executable, which the {} runtime cannot load (use the native kind)",
            runtime_name(runtime)
        )),
        Code::Source(text) => write(dir, runtime.source_file(), text.as_bytes(), runtime == Runtime::Native),
    }
}

fn runtime_name(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::Python => "Python",
        Runtime::Nodejs => "Node.js",
        Runtime::Native => "native",
    }
}

/// Writes one file (closed before returning, so it can be executed at once).
fn write(dir: &Path, name: &str, bytes: &[u8], executable: bool) -> Result<(), String> {
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if executable { make_executable(&path) } else { Ok(()) }
}

fn make_executable(path: &Path) -> Result<(), String> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    #[test]
    fn plain_code_is_source() {
        assert_eq!(classify(false, "def main(a): return a"), Ok(Code::Source("def main(a): return a".to_owned())));
    }

    #[test]
    fn binary_code_is_recognised() {
        let zip = STANDARD.encode(b"PK\x03\x04rest");
        assert_eq!(classify(true, &zip), Ok(Code::Zip(b"PK\x03\x04rest".to_vec())));
        let elf = STANDARD.encode(b"\x7fELF\x02\x01");
        assert_eq!(classify(true, &elf), Ok(Code::Executable(b"\x7fELF\x02\x01".to_vec())));
        let script = STANDARD.encode(b"#!/bin/sh\necho hi\n");
        assert_eq!(classify(true, &script), Ok(Code::Source("#!/bin/sh\necho hi\n".to_owned())));
        let other = STANDARD.encode([0xff, 0xfe, 0x00]);
        assert_eq!(classify(true, &other), Ok(Code::Executable(vec![0xff, 0xfe, 0x00])));
    }

    #[test]
    fn base64_may_be_wrapped_and_unpadded() {
        assert_eq!(classify(true, "IyEv\nYmlu\r\nL3No"), Ok(Code::Source("#!/bin/sh".to_owned())));
        assert_eq!(classify(true, "aGk"), Ok(Code::Source("hi".to_owned())));
        assert!(classify(true, "not base64!").is_err());
    }

    #[test]
    fn source_goes_where_the_runtime_looks() {
        let dir = tempfile::tempdir().unwrap();
        materialize(Runtime::Python, Code::Source("x = 1".to_owned()), dir.path()).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("__main__.py")).unwrap(), "x = 1");
        materialize(Runtime::Nodejs, Code::Source("y".to_owned()), dir.path()).unwrap();
        assert!(dir.path().join("index.js").is_file());
        materialize(Runtime::Native, Code::Source("#!/bin/sh".to_owned()), dir.path()).unwrap();
        let mode = fs::metadata(dir.path().join("exec")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    #[test]
    fn executables_need_the_native_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let err = materialize(Runtime::Python, Code::Executable(b"\x7fELF".to_vec()), dir.path()).unwrap_err();
        assert!(err.contains("native kind"), "{err}");
        materialize(Runtime::Native, Code::Executable(b"\x7fELF".to_vec()), dir.path()).unwrap();
        assert!(dir.path().join("exec").is_file());
    }

    #[test]
    fn a_native_zip_needs_exec_at_its_root() {
        use std::io::{Cursor, Write};
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("bin/exec", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"#!/bin/sh").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let dir = tempfile::tempdir().unwrap();
        let err = materialize(Runtime::Native, Code::Zip(bytes), dir.path()).unwrap_err();
        assert!(err.contains("no `exec` file at its root"), "{err}");
    }
}
