//! Connection settings and the schema, versioned with `PRAGMA user_version`.
//!
//! Version 1:
//!
//! ```sql
//! entities(doc_id TEXT PRIMARY KEY, namespace, collection, generation, updated, doc)
//!   index entities_by_namespace(namespace, collection, updated, doc_id)
//! activations(namespace, activation_id, name, start, doc, logs, PRIMARY KEY(namespace, activation_id))
//!   index activations_by_start(namespace, start, activation_id)
//!   index activations_by_name(namespace, name, start, activation_id)
//! subjects(uuid TEXT PRIMARY KEY, subject, namespace, salt, key_hash)
//! ```
//!
//! Version 2 (packages, public lists, namespace limits):
//!
//! ```sql
//! entities + path (the entity's `namespace` field: `ns` or `ns/pkg`), shared (a published
//!   package that is not a binding), both filled from the stored documents
//!   index entities_by_path(path, collection, updated, doc_id)
//! limits(namespace TEXT PRIMARY KEY, doc)
//! ```
//!
//! Version 3 (the journal of accepted activations, see `journal.rs`):
//!
//! ```sql
//! journal(activation_id TEXT PRIMARY KEY, namespace, topic, message)
//! ```
//!
//! Version 4 (activation retention removes the oldest records of all namespaces first):
//!
//! ```sql
//! index activations_by_age(start)
//! ```
//!
//! A later version adds a step to [`MIGRATIONS`]; files are upgraded in place when opened (in
//! one transaction, keeping every row), and a file newer than this build is refused.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::SqliteError;

/// The newest schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = 4;

/// How long a connection waits for a lock held by another connection before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The writer connection's page cache, in KiB (SQLite's default is 2 MiB).
const WRITER_CACHE_KIB: i64 = -2 * 1024;

/// WAL size (pages) at which the writer checkpoints by itself, if the checkpointer fell behind.
const WRITER_AUTOCHECKPOINT_PAGES: i64 = 16 * 1024;

/// Schema steps; entry `i` upgrades a file from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

/// Version 0 (empty file) to 1.
const V1: &str = "
CREATE TABLE entities (
    doc_id     TEXT PRIMARY KEY NOT NULL,
    namespace  TEXT NOT NULL,
    collection TEXT NOT NULL,
    generation INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX entities_by_namespace ON entities (namespace, collection, updated, doc_id);

CREATE TABLE activations (
    namespace     TEXT NOT NULL,
    activation_id TEXT NOT NULL,
    name          TEXT NOT NULL,
    start         INTEGER NOT NULL,
    doc           TEXT NOT NULL,
    logs          TEXT NOT NULL,
    PRIMARY KEY (namespace, activation_id)
);
CREATE INDEX activations_by_start ON activations (namespace, start, activation_id);
CREATE INDEX activations_by_name ON activations (namespace, name, start, activation_id);

CREATE TABLE subjects (
    uuid      TEXT PRIMARY KEY NOT NULL,
    subject   TEXT NOT NULL,
    namespace TEXT NOT NULL,
    salt      TEXT NOT NULL,
    key_hash  TEXT NOT NULL
);
";

/// Version 1 to 2: entity paths and visibility as columns (filled from the documents already
/// stored), an index for the actions of one package, and namespace limits.
const V2: &str = "
ALTER TABLE entities ADD COLUMN path TEXT NOT NULL DEFAULT '';
ALTER TABLE entities ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
UPDATE entities SET
    path = coalesce(json_extract(doc, '$.namespace'), namespace),
    shared = CASE WHEN collection = 'packages' AND json_extract(doc, '$.publish') = 1
                       AND json_extract(doc, '$.binding.name') IS NULL THEN 1 ELSE 0 END;
CREATE INDEX entities_by_path ON entities (path, collection, updated, doc_id);

CREATE TABLE limits (
    namespace TEXT PRIMARY KEY NOT NULL,
    doc       TEXT NOT NULL
);
";

/// Version 2 to 3: activation messages accepted on the in-process bus and not finished yet,
/// so that a crash does not lose them (a row goes in the transaction that stores its record).
const V3: &str = "
CREATE TABLE journal (
    activation_id TEXT PRIMARY KEY NOT NULL,
    namespace     TEXT NOT NULL,
    topic         TEXT NOT NULL,
    message       TEXT NOT NULL
);
";

/// Version 3 to 4: records by start alone, so that retention finds the oldest records of every
/// namespace without scanning the table.
const V4: &str = "
CREATE INDEX activations_by_age ON activations (start);
";

/// Opens the read-write connection (creating the file), sets WAL and brings the schema up to date.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, SqliteError> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), mode, "SQLite refused WAL mode; concurrent reads will wait for writes");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The writer touches every index of every record it inserts; a page cache that holds the
    // hot index pages keeps batches from re-reading them (negative = KiB).
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
    // Checkpoints normally run on the checkpointer thread; this is only the backstop.
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES)?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

/// Opens a read-only connection to a file [`open_writer`] has prepared.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, SqliteError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Opens the connection the checkpointer thread uses (read-write: checkpoints write the file).
pub(crate) fn open_checkpointer(path: &Path) -> Result<Connection, SqliteError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Applies the missing schema steps in one transaction.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), SqliteError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(SqliteError::SchemaTooNew { found, supported: SCHEMA_VERSION });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let start = usize::try_from(found).unwrap_or(0);
    for (i, step) in MIGRATIONS.iter().enumerate().skip(start) {
        tracing::info!(path = %path.display(), from = i, to = i + 1, "migrating the SQLite schema");
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}
