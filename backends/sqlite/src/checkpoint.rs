//! The checkpointer thread: copies the WAL back into the database file in the background.
//!
//! Left to SQLite, the writer connection would checkpoint inside a commit every 1000 pages,
//! stalling every caller waiting on that batch while pages are copied and the file is synced.
//! Here a thread with its own connection runs a PASSIVE checkpoint (which never blocks the
//! writer or readers) a few times a second; the writer keeps a high automatic threshold only as
//! a backstop so the WAL cannot grow without bound if this thread falls behind.

use std::fmt;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::Connection;

use crate::error::SqliteError;
use crate::schema;

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(250);

/// The handle to the checkpointer thread; stopping it is dropping the sender.
pub(crate) struct Checkpointer {
    stop: Mutex<Option<mpsc::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checkpointer").field("running", &self.thread.lock().is_some()).finish()
    }
}

impl Checkpointer {
    /// Starts checkpointing the file at `path`.
    pub(crate) fn start(path: &Path) -> Result<Checkpointer, SqliteError> {
        let conn = schema::open_checkpointer(path)?;
        let (stop, stopped) = mpsc::channel();
        let thread =
            std::thread::Builder::new().name("gust-sqlite-checkpoint".into()).spawn(move || run(&conn, &stopped))?;
        Ok(Checkpointer { stop: Mutex::new(Some(stop)), thread: Mutex::new(Some(thread)) })
    }

    /// Stops the thread and waits for it (at most one checkpoint long).
    pub(crate) fn stop(&self) {
        drop(self.stop.lock().take());
        let thread = self.thread.lock().take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the SQLite checkpoint thread panicked");
        }
    }
}

fn run(conn: &Connection, stopped: &mpsc::Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        });
        match done {
            Ok((busy, wal_pages, copied)) => tracing::trace!(busy, wal_pages, copied, "WAL checkpoint"),
            Err(e) => tracing::debug!(error = %e, "WAL checkpoint failed; retrying later"),
        }
    }
}
