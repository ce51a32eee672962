//! The store's files are private whatever the umask: the directory it creates `0700`, the
//! database and its `-wal` and `-shm` `0600`. (Its own test binary: the umask is per process.)

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use gust_core::conformance::activations::record;
use gust_core::store::ActivationStore;
use gust_sqlite::SqliteStore;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn companion(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(suffix);
    p.into()
}

/// Sets the process umask (the usual default, under which files come out world-readable).
fn set_umask(mask: libc::mode_t) {
    // SAFETY: umask only swaps the process's file mode creation mask; it cannot fail and
    // touches no memory. This test binary has one test, so nothing else creates files meanwhile.
    #[allow(unsafe_code)]
    unsafe {
        libc::umask(mask);
    }
}

#[tokio::test]
async fn files_are_owner_only_under_a_permissive_umask_new_or_left_by_an_older_version() {
    set_umask(0o022);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data/gust");
    let db = dir.join("gust.db");
    let store = SqliteStore::open(&db).expect("open");
    store.store(Arc::new(record("guest", "guest/hello", 10))).await.expect("store");
    // The WAL and the shared-memory index exist while the store is open.
    for (path, expected) in [
        (tmp.path().join("data"), 0o700),
        (dir.clone(), 0o700),
        (db.clone(), 0o600),
        (companion(&db, "-wal"), 0o600),
        (companion(&db, "-shm"), 0o600),
    ] {
        assert_eq!(mode(&path), expected, "{}: {:o}", path.display(), mode(&path));
    }
    drop(store);

    // Files an older version left world-readable are tightened when opened.
    for path in [db.clone(), companion(&db, "-wal"), companion(&db, "-shm")] {
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("loosen");
        }
    }
    let store = SqliteStore::open(&db).expect("reopen");
    store.store(Arc::new(record("guest", "guest/hello", 20))).await.expect("store");
    for path in [db.clone(), companion(&db, "-wal"), companion(&db, "-shm")] {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    store.close().await.expect("close");
}
