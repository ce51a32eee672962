//! A small pool of read-only connections; queries run on tokio's blocking threads.
//!
//! WAL lets readers run beside the writer and each other, so reads never queue behind the
//! writer thread. The semaphore bounds how many blocking threads reads occupy at once.

use std::fmt;
use std::path::PathBuf;

use parking_lot::Mutex;
use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::error::SqliteError;
use crate::schema;

/// Read-only connections to one file, opened lazily and reused.
pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    size: usize,
}

impl fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadPool").field("size", &self.size).field("idle", &self.idle.lock().len()).finish()
    }
}

impl ReadPool {
    /// A pool of at most `size` connections to `path`.
    pub(crate) fn new(path: PathBuf, size: usize) -> ReadPool {
        let size = size.max(1);
        ReadPool { path, idle: Mutex::new(Vec::with_capacity(size)), permits: Semaphore::new(size), size }
    }

    /// Closes the idle connections (on shutdown, so that a read-write connection is the last to
    /// close and can checkpoint and remove the WAL). Later reads open new ones.
    pub(crate) fn clear(&self) {
        self.idle.lock().clear();
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        F: FnOnce(&Connection) -> Result<T, SqliteError> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(|_| SqliteError::Closed)?;
        let idle = self.idle.lock().pop();
        let path = self.path.clone();
        let (conn, out) = tokio::task::spawn_blocking(move || {
            let conn = match idle {
                Some(conn) => conn,
                None => schema::open_reader(&path)?,
            };
            let out = f(&conn);
            Ok::<_, SqliteError>((conn, out))
        })
        .await
        .map_err(|e| SqliteError::Task(e.to_string()))??;
        self.idle.lock().push(conn);
        out
    }
}
