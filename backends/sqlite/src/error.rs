//! The crate's error type and its mapping onto gust-core's [`StoreError`].

use gust_core::store::StoreError;
use rusqlite::ErrorCode;

/// What can go wrong in the SQLite store.
///
/// Returned by [`crate::SqliteStore::open`], [`crate::SqliteStore::flush`] and
/// [`crate::SqliteStore::close`]; the store trait implementations turn it into a
/// [`StoreError`] with the `From` conversion below.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// SQLite itself reported an error (I/O, constraint, busy, ...).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database directory could not be created.
    #[error("cannot prepare the database location: {0}")]
    Io(#[from] std::io::Error),
    /// A create found the id taken, or an update or delete found a different revision.
    #[error("document update conflict")]
    Conflict,
    /// A stored row could not be decoded.
    #[error("corrupt document {id}: {reason}")]
    Corrupt {
        /// Which row (document id, `namespace/activationId` or subject uuid).
        id: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A document could not be encoded as JSON.
    #[error("cannot encode document: {0}")]
    Encode(#[from] serde_json::Error),
    /// The file was written by a newer Gust whose schema this build does not know.
    #[error("database schema version {found} is newer than the supported version {supported}")]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this build can use.
        supported: i64,
    },
    /// The store was closed, or its writer thread is gone.
    #[error("the store is closed")]
    Closed,
    /// A blocking task running a query failed (panicked or was cancelled).
    #[error("store task failed: {0}")]
    Task(String),
}

impl SqliteError {
    /// The SQLite error code, when SQLite reported one.
    fn code(&self) -> Option<ErrorCode> {
        match self {
            SqliteError::Sqlite(e) => e.sqlite_error_code(),
            _ => None,
        }
    }
}

impl From<SqliteError> for StoreError {
    fn from(e: SqliteError) -> StoreError {
        match e.code() {
            Some(ErrorCode::ConstraintViolation) => return StoreError::Conflict,
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                return StoreError::Unavailable(e.to_string());
            }
            _ => {}
        }
        match e {
            SqliteError::Conflict => StoreError::Conflict,
            SqliteError::Corrupt { id, reason } => StoreError::Corrupt { id, reason },
            other => StoreError::Backend(other.to_string()),
        }
    }
}

/// Converts an integer read from a row into `u64` (negative values only come from a damaged file).
pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Converts a `u64` (epoch ms, skip, limit) into SQLite's signed integers, saturating.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// [`to_i64`] for `usize` (skip and limit).
pub(crate) fn usize_to_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
