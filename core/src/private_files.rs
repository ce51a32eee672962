//! Data files only their owner can read: directories `0700`, files `0600`, whatever the
//! process umask. Activation records hold parameters and results, entity documents hold
//! default parameters (often credentials), compiled modules hold user code.
//!
//! Modes are set explicitly when a file is created and again on files that already exist
//! (written by an older version under a looser umask). On non-Unix systems these are the
//! plain `std::fs` calls.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// The mode of data directories Gust creates: owner only.
pub const DIR_MODE: u32 = 0o700;

/// The mode of data files: owner read and write.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents with mode [`DIR_MODE`]. A directory that exists
/// already is left as it is (it may be one the user chose and shares on purpose; the files
/// inside are private either way).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)
}

/// Creates `path` empty with mode [`FILE_MODE`] if it is missing, and sets that mode on it if
/// it exists (nothing is written or truncated).
pub fn create_or_restrict(path: &Path) -> io::Result<()> {
    let file = open_options().append(true).open(path)?;
    restrict(&file)
}

/// Sets mode [`FILE_MODE`] on `path` if it exists.
pub fn restrict_if_exists(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(m) if m.permissions().mode() & 0o777 != FILE_MODE => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Writes `contents` to `path` (creating or replacing it) with mode [`FILE_MODE`].
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let mut file = open_options().truncate(true).open(path)?;
    restrict(&file)?;
    file.write_all(contents.as_ref())
}

/// Options that open a file for writing, creating it with mode [`FILE_MODE`] (less what the
/// umask removes) if it is missing.
pub fn open_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

/// Sets exactly [`FILE_MODE`] on an open file.
fn restrict(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o777 != FILE_MODE {
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_files_are_owner_only() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/b");
        create_dir_all(&dir).expect("create");
        assert_eq!((mode(&tmp.path().join("a")), mode(&dir)), (0o700, 0o700));
        create_dir_all(&dir).expect("again: it exists");

        let file = dir.join("f");
        write(&file, "secret").expect("write");
        assert_eq!(mode(&file), 0o600);
        let empty = dir.join("db");
        create_or_restrict(&empty).expect("create");
        assert_eq!((mode(&empty), std::fs::read(&empty).expect("read").len()), (0o600, 0));
        restrict_if_exists(&dir.join("missing")).expect("nothing to do");
    }

    #[test]
    fn existing_files_are_tightened_and_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("old.db");
        std::fs::write(&file, "data").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        create_or_restrict(&file).expect("restrict");
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "data");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).expect("chmod");
        restrict_if_exists(&file).expect("restrict");
        assert_eq!(mode(&file), 0o600);
        write(&file, "new").expect("write");
        assert_eq!((mode(&file), std::fs::read_to_string(&file).expect("read")), (0o600, "new".to_owned()));
    }
}
