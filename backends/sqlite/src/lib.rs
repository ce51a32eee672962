//! gust-sqlite: Gust's embedded store. Entities, subjects and activation records live in one
//! SQLite file, for `gust standalone` and single-node deployments.
//!
//! [`SqliteStore`] implements gust-core's [`EntityStore`](gust_core::store::EntityStore),
//! [`ActivationStore`](gust_core::store::ActivationStore) and
//! [`SubjectStore`](gust_core::store::SubjectStore), with the behaviour of the in-memory
//! reference stores in `gust_core::memory`.
//!
//! rusqlite is synchronous, so no query runs on a tokio worker:
//! - reads use a small pool of read-only connections on blocking threads (WAL lets them run
//!   beside the writer);
//! - every write goes through one read-write connection owned by a dedicated writer thread.
//!   Activation records are group-committed there: everything queued is encoded and written in
//!   one transaction, then each caller's `Durable` resolves. Until then a queued record is
//!   served from memory by `get`, and `list`/`count` wait for the queue, so readers always see
//!   what was stored (the invoker answers a blocking call before the commit);
//! - a checkpointer thread copies the WAL into the file in the background, so commits do not
//!   stall on checkpoints.
//!
//! The schema (version 4, kept in `PRAGMA user_version` so later versions can migrate; the
//! steps are in `schema.rs`):
//!
//! ```sql
//! entities(doc_id TEXT PRIMARY KEY, namespace, collection, generation, updated, doc, path, shared)
//!   -- namespace is the root namespace; the revision is the generation as text
//!   index entities_by_namespace(namespace, collection, updated, doc_id)
//!   index entities_by_path(path, collection, updated, doc_id)
//! activations(namespace, activation_id, name, start, doc, logs,
//!             PRIMARY KEY (namespace, activation_id))
//!   -- name is Activation::filter_name(); doc is the stored JSON with logs emptied
//!   index activations_by_start(namespace, start, activation_id)
//!   index activations_by_name(namespace, name, start, activation_id)
//!   index activations_by_age(start)          -- retention removes the oldest first
//! subjects(uuid TEXT PRIMARY KEY, subject, namespace, salt, key_hash)
//!   -- keys are never stored, only their salted hash
//! limits(namespace TEXT PRIMARY KEY, doc)
//! journal(activation_id TEXT PRIMARY KEY, namespace, topic, message)
//! ```
//!
//! The file and its `-wal` and `-shm` companions are readable by their owner only (`0600`,
//! whatever the umask; SQLite gives the companions the mode of the database file), and a
//! directory the store creates for it is `0700`: records hold parameters and results.

mod activations;
mod checkpoint;
mod entities;
mod error;
mod journal;
mod pool;
mod retention;
mod schema;
mod subjects;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::activations::Pending;
use crate::checkpoint::Checkpointer;
pub use crate::error::SqliteError;
pub use crate::journal::{JournaledBus, Replayed};
use crate::pool::ReadPool;
use crate::writer::Writer;

/// How many read-only connections (and so concurrent reads) a store keeps.
const READERS: usize = 4;

/// The SQLite-backed store: one file, cheap to clone (clones share the connections and the
/// writer thread).
///
/// Open it once at startup with [`SqliteStore::open`] and hand clones (or an `Arc` of it) to
/// the roles that need an entity, activation or subject store. When the last clone is
/// dropped, the writer thread writes whatever is still queued and stops; call
/// [`SqliteStore::close`] to do that explicitly and wait for it without blocking.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    readers: ReadPool,
    writer: Writer,
    /// Records queued but not committed yet: reads see them (read your writes).
    pending: Arc<Pending>,
    checkpointer: Checkpointer,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.readers.clear();
        self.writer.close_blocking();
        self.checkpointer.stop();
        tracing::debug!(path = %self.path.display(), "SQLite store closed");
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("readers", &self.inner.readers)
            .field("writer", &self.inner.writer)
            .field("checkpointer", &self.inner.checkpointer)
            .finish()
    }
}

/// Makes the database location private before SQLite opens it: missing directories `0700`;
/// the file created empty (or tightened) `0600`, so that SQLite, which gives the `-wal` and
/// `-shm` files it creates the mode of the database file, creates them `0600` too; companions
/// left by an older version are tightened.
fn private_files(path: &Path) -> Result<(), SqliteError> {
    use gust_core::private_files::{create_dir_all, create_or_restrict, restrict_if_exists};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir_all(dir)?;
    }
    create_or_restrict(path)?;
    for suffix in ["-wal", "-shm"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        restrict_if_exists(Path::new(&companion))?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens the store at `path`, creating the directory, the file and the schema if missing
    /// and upgrading an older schema. Sets WAL journaling with `synchronous=NORMAL`.
    ///
    /// The file, its `-wal` and `-shm` are made `0600` (also when they exist already, from an
    /// older version), and missing directories are created `0700`.
    ///
    /// Fails with [`SqliteError::SchemaTooNew`] for a file written by a newer Gust.
    /// Does not need a tokio runtime; the queries later do.
    pub fn open(path: &Path) -> Result<SqliteStore, SqliteError> {
        private_files(path)?;
        let conn = schema::open_writer(path)?;
        let pending = Arc::new(Pending::default());
        let writer = Writer::start(conn, pending.clone())?;
        let checkpointer = Checkpointer::start(path)?;
        tracing::debug!(path = %path.display(), "SQLite store opened");
        let readers = ReadPool::new(path.to_owned(), READERS);
        Ok(SqliteStore { inner: Arc::new(Inner { path: path.to_owned(), readers, writer, pending, checkpointer }) })
    }

    /// The file this store keeps its data in (for logs and diagnostics).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Waits until every write queued before this call is committed.
    ///
    /// Every store method already returns only after its own write is committed; this is for
    /// callers that need a barrier, such as a snapshot of the file.
    pub async fn flush(&self) -> Result<(), SqliteError> {
        self.inner.writer.flush().await
    }

    /// Stops the writer thread after it has committed everything queued, and waits for it.
    ///
    /// Used on graceful shutdown. Afterwards writes fail with [`SqliteError::Closed`] (as
    /// [`StoreError::Backend`](gust_core::store::StoreError::Backend)); reads keep working.
    /// Dropping the last clone does the same, blocking the dropping thread instead.
    pub async fn close(&self) -> Result<(), SqliteError> {
        // Idle readers go first so that the checkpointer, a read-write connection, is the last
        // to close and can fold the WAL into the file.
        self.inner.readers.clear();
        self.inner.writer.close().await?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || inner.checkpointer.stop())
            .await
            .map_err(|e| SqliteError::Task(e.to_string()))
    }
}
