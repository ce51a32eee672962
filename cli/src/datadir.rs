//! One server per data directory: `gust standalone` holds an exclusive lock on `<data>/lock`
//! (with its pid inside) for as long as it runs. A second server on the same directory would
//! take the same instance id, remove the first one's containers as left over and share its
//! database; it is refused instead. The operating system releases the lock when the process
//! ends, however it ends, so a crash never leaves a stale lock behind. `gust admin` does not
//! take the lock: it may run next to the server.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "lock";

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "the data directory {dir} is in use by another Gust server{}: stop it first, or give this \
         one its own --data-dir",
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    InUse {
        /// The directory.
        dir: PathBuf,
        /// The pid the holder wrote, when it could be read.
        holder: Option<u32>,
    },
    /// The lock file could not be opened, locked or written.
    #[error("cannot lock the data directory {dir}: {source}")]
    Io {
        /// The directory.
        dir: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// The held lock; dropping it releases the directory.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Locks `dir` (which must exist) for this process, or says who holds it.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io { dir: dir.to_owned(), source };
        let mut file = gust_core::private_files::open_options()
            .read(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let holder = file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok());
                return Err(LockError::InUse { dir: dir.to_owned(), holder });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join(LOCK_FILE)).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "owner-only, as every data file");
        let err = DataDirLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(&err, LockError::InUse { holder: Some(pid), .. } if *pid == std::process::id()), "{err:?}");
        assert!(err.to_string().contains(&format!("in use by another Gust server (pid {})", std::process::id())));
        drop(first);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
