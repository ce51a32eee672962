//! Removing old activation records (activation retention), in small transactions on the
//! writer thread.
//!
//! Each batch is one `DELETE` of at most [`BATCH`] of the oldest records (found by the
//! `activations_by_age` index), run as a job on the writer connection: records queued before
//! the call are committed first, and between two batches the writer commits whatever was
//! queued meanwhile, so new records never wait for a long removal. The logs live in the same
//! row and go with it. Freed pages are reused by later records (the file does not shrink).

use std::time::Instant;

use rusqlite::{Connection, params};

use crate::SqliteStore;
use crate::error::{SqliteError, to_i64};

/// Most records one transaction removes (a few ms of writer time; the test
/// `a_long_removal_lets_new_records_commit_between_its_batches` prints it).
pub(crate) const BATCH: usize = 1000;

const DELETE: &str = "DELETE FROM activations WHERE rowid IN \
    (SELECT rowid FROM activations INDEXED BY activations_by_age WHERE start < ?1 LIMIT ?2)";

/// Removes up to `limit` records that started before `cutoff`; returns how many it removed.
pub(crate) fn remove_batch(conn: &Connection, cutoff: u64, limit: usize) -> Result<usize, SqliteError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(conn.prepare_cached(DELETE)?.execute(params![to_i64(cutoff), limit])?)
}

impl SqliteStore {
    /// Removes every record that started before `cutoff`, [`BATCH`] at a time.
    pub(crate) async fn remove_activations_before(&self, cutoff: u64) -> Result<u64, SqliteError> {
        let started = Instant::now();
        let mut removed = 0u64;
        let mut batches = 0u32;
        loop {
            let n = self.inner.writer.write(move |conn| remove_batch(conn, cutoff, BATCH)).await?;
            removed += n as u64;
            batches += 1;
            if n < BATCH {
                break;
            }
        }
        if removed > 0 {
            tracing::debug!(
                removed,
                batches,
                ms = started.elapsed().as_millis() as u64,
                "removed old activation records"
            );
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    #[test]
    fn the_oldest_records_are_found_by_the_age_index() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = schema::open_writer(&dir.path().join("plan.db")).expect("open");
        let inner = DELETE.split_once("IN ").expect("subquery").1;
        let inner = inner.trim_start_matches('(').trim_end_matches(')');
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {inner}")).expect("explain");
        let plan: String = stmt.query_row(params![10, 5], |row| row.get(3)).expect("plan");
        assert!(plan.contains("COVERING INDEX activations_by_age (start<?)"), "{plan}");
    }
}
