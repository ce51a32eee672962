//! Extracting an action's zip archive into its directory, refusing anything that would land
//! outside it.
//!
//! Regular files and directories are written first; symbolic links (npm's `node_modules/.bin`)
//! are created last, so no entry is ever written through a link made by the same archive. A
//! link must be relative, and its target may climb (`..`) only before descending, and never
//! above the action directory: with every link's parent a real directory, that keeps every link
//! and every chain of links inside.

use std::fs;
use std::io::{self, Cursor, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use zip::ZipArchive;

/// Whether the bytes start like a zip archive (a local file header, or an empty archive).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Extracts `bytes` (a zip archive) into `dir`, creating it; returns the number of entries.
pub(crate) fn extract(bytes: &[u8], dir: &Path) -> Result<usize, String> {
    let mut archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("the code is not a valid zip archive: {e}"))?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut links = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| format!("cannot read zip entry #{index}: {e}"))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("#{index}"));
        // `enclosed_name` re-roots absolute names; they are refused here like `..` escapes.
        let relative = entry
            .enclosed_name()
            .filter(|_| !name.starts_with(['/', '\\']))
            .ok_or_else(|| format!("the zip entry {name:?} would be written outside the action directory"))?;
        let path = dir.join(&relative);
        let failed = |e: io::Error| format!("cannot extract the zip entry {name:?}: {e}");
        if entry.is_dir() {
            fs::create_dir_all(&path).map_err(failed)?;
        } else if entry.is_symlink() {
            let mut target = String::new();
            entry.read_to_string(&mut target).map_err(failed)?;
            check_link(&relative, Path::new(&target))
                .map_err(|why| format!("the zip entry {name:?} is a link {why}: {target:?}"))?;
            links.push((path, target, name));
        } else {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(failed)?;
            }
            let mut out = fs::File::create(&path).map_err(failed)?;
            io::copy(&mut entry, &mut out).map_err(failed)?;
            let executable = entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
            let mode = if executable { 0o755 } else { 0o644 };
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).map_err(failed)?;
        }
    }
    for (path, target, name) in links {
        let failed = |e: io::Error| format!("cannot extract the zip entry {name:?}: {e}");
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(failed)?;
            if passes_through_link(dir, parent) {
                return Err(format!("the zip entry {name:?} is a link inside another link"));
            }
        }
        std::os::unix::fs::symlink(&target, &path).map_err(failed)?;
    }
    Ok(archive.len())
}

/// Checks a link at `link` (relative to the action directory) pointing at `target`.
fn check_link(link: &Path, target: &Path) -> Result<(), &'static str> {
    let mut depth = link.parent().map_or(0, |p| p.components().count());
    let mut descended = false;
    for component in target.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if descended => return Err("that climbs after descending"),
            Component::ParentDir if depth == 0 => return Err("pointing outside the action directory"),
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => descended = true,
            Component::RootDir | Component::Prefix(_) => return Err("to an absolute path"),
        }
    }
    if target.as_os_str().is_empty() { Err("to nothing") } else { Ok(()) }
}

/// Whether any directory between `dir` (excluded) and `path` (included) is a symbolic link.
fn passes_through_link(dir: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(dir) else { return true };
    let mut current = PathBuf::from(dir);
    relative.components().any(|component| {
        current.push(component);
        fs::symlink_metadata(&current).map_or(true, |m| m.file_type().is_symlink())
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    use super::*;

    enum Entry<'a> {
        File(&'a str, &'a [u8], u32),
        Dir(&'a str),
        Link(&'a str, &'a str),
    }

    fn archive(entries: &[Entry<'_>]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for entry in entries {
            let result = match entry {
                Entry::File(name, data, mode) => {
                    let options = SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Deflated)
                        .unix_permissions(*mode);
                    zip.start_file(*name, options).and_then(|()| Ok(zip.write_all(data)?))
                }
                Entry::Dir(name) => zip.add_directory(*name, SimpleFileOptions::default()),
                Entry::Link(name, target) => zip.add_symlink(*name, *target, SimpleFileOptions::default()),
            };
            result.unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn files_directories_modes_and_links_are_extracted() {
        let bytes = archive(&[
            Entry::Dir("node_modules/"),
            Entry::File("exec", b"#!/bin/sh\n", 0o755),
            Entry::File("node_modules/leftpad/index.js", b"module.exports = 1;", 0o644),
            Entry::Link("node_modules/.bin/leftpad", "../leftpad/index.js"),
        ]);
        assert!(is_zip(&bytes));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(extract(&bytes, dir.path()), Ok(4));
        let mode = fs::metadata(dir.path().join("exec")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        let mode = fs::metadata(dir.path().join("node_modules/leftpad/index.js")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        let through_link = fs::read_to_string(dir.path().join("node_modules/.bin/leftpad")).unwrap();
        assert_eq!(through_link, "module.exports = 1;");
    }

    #[test]
    fn entries_escaping_the_directory_are_refused() {
        let outer = tempfile::tempdir().unwrap();
        let dir = outer.path().join("action");
        for name in ["../evil", "a/../../evil", "/etc/evil"] {
            let bytes = archive(&[Entry::File(name, b"x", 0o644)]);
            let err = extract(&bytes, &dir).unwrap_err();
            assert!(err.contains("outside the action directory"), "{name}: {err}");
        }
        assert!(!outer.path().join("evil").exists());
    }

    #[test]
    fn links_escaping_the_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (link, target) in [("up", ".."), ("a/b", "../../x"), ("abs", "/etc/passwd"), ("a/c", "d/../../..")] {
            let bytes = archive(&[Entry::Link(link, target)]);
            let err = extract(&bytes, dir.path()).unwrap_err();
            assert!(err.contains("is a link"), "{link} -> {target}: {err}");
        }
    }

    #[test]
    fn links_are_checked_lexically() {
        assert_eq!(check_link(Path::new("a/b/l"), Path::new("../../x")), Ok(()));
        assert_eq!(check_link(Path::new("l"), Path::new("./x/y")), Ok(()));
        assert!(check_link(Path::new("a/l"), Path::new("../..")).is_err());
        assert!(check_link(Path::new("a/l"), Path::new("x/../y")).is_err());
        assert!(check_link(Path::new("l"), Path::new("")).is_err());
    }

    #[test]
    fn garbage_is_not_a_zip() {
        assert!(!is_zip(b"\x7fELF"));
        let err = extract(b"PK\x03\x04garbage", tempfile::tempdir().unwrap().path()).unwrap_err();
        assert!(err.starts_with("the code is not a valid zip archive"), "{err}");
    }
}
