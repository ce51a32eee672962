//! Activation records: encoding, the batched insert the writer thread runs, and the queries.
//!
//! A record is kept as its stored JSON with `logs` emptied, plus the logs in their own column,
//! so summaries (`docs=false`) never read the logs.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use gust_core::activation::Activation;
use gust_core::ids::ActivationId;
use gust_core::store::{ActivationQuery, ActivationStore, Durable, StoreError};
use parking_lot::Mutex;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};

use crate::SqliteStore;
use crate::error::{SqliteError, to_i64, to_u64, usize_to_i64};
use crate::journal;

/// Idempotent on the primary key (namespace, activation_id): a redelivered record is ignored.
const INSERT: &str = "INSERT OR IGNORE INTO activations (namespace, activation_id, name, start, doc, logs) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Records queued for the writer thread and not committed yet, by (namespace, id).
#[derive(Debug, Default)]
pub(crate) struct Pending(Mutex<HashMap<(String, ActivationId), Arc<Activation>>>);

impl Pending {
    fn insert(&self, a: &Arc<Activation>) {
        self.0.lock().entry((a.namespace.clone(), a.activation_id)).or_insert_with(|| a.clone());
    }

    fn get(&self, namespace: &str, id: ActivationId) -> Option<Activation> {
        self.0.lock().get(&(namespace.to_owned(), id)).map(|a| (**a).clone())
    }

    /// Forgets records once they are committed (or failed).
    pub(crate) fn remove(&self, records: &[Arc<Activation>]) {
        let mut map = self.0.lock();
        for a in records {
            map.remove(&(a.namespace.clone(), a.activation_id));
        }
    }
}

/// A record's columns, encoded on the writer thread.
#[derive(Debug)]
pub(crate) struct ActivationRow {
    namespace: String,
    activation_id: String,
    name: String,
    start: i64,
    doc: String,
    logs: String,
}

impl ActivationRow {
    /// Splits `a` into its columns.
    pub(crate) fn encode(a: &Activation) -> Result<ActivationRow, SqliteError> {
        Ok(ActivationRow {
            namespace: a.namespace.clone(),
            activation_id: a.activation_id.to_string(),
            name: a.filter_name(),
            start: to_i64(a.start),
            doc: serde_json::to_string(&without_logs(a))?,
            logs: serde_json::to_string(&a.logs)?,
        })
    }
}

/// A copy of `a` with empty logs, made without copying the logs (they can be megabytes).
/// Every field is named so that a field added to [`Activation`] cannot be forgotten here.
fn without_logs(a: &Activation) -> Activation {
    let Activation {
        namespace,
        name,
        subject,
        activation_id,
        start,
        end,
        duration,
        response,
        logs: _,
        version,
        publish,
        annotations,
        cause,
    } = a;
    Activation {
        namespace: namespace.clone(),
        name: name.clone(),
        subject: subject.clone(),
        activation_id: *activation_id,
        start: *start,
        end: *end,
        duration: *duration,
        response: response.clone(),
        logs: Vec::new(),
        version: *version,
        publish: *publish,
        annotations: annotations.clone(),
        cause: *cause,
    }
}

/// Encodes and inserts `records`, and writes the batch's `journal` entries, in one transaction
/// (see `journal.rs`); one result per record, and the commit's result (all errors if the commit
/// failed).
pub(crate) fn insert_batch(
    conn: &mut Connection,
    records: &[Arc<Activation>],
    journal: &mut journal::Batch,
    journaled: &journal::Rows,
) -> (Vec<Result<(), StoreError>>, Result<(), StoreError>) {
    match try_insert_batch(conn, records, journal, journaled) {
        Ok(results) => (results, Ok(())),
        Err(e) => {
            tracing::warn!(records = records.len(), error = %e, "activation batch failed");
            let e = StoreError::from(e);
            (records.iter().map(|_| Err(e.clone())).collect(), Err(e))
        }
    }
}

fn try_insert_batch(
    conn: &mut Connection,
    records: &[Arc<Activation>],
    journal: &mut journal::Batch,
    journaled: &journal::Rows,
) -> Result<Vec<Result<(), StoreError>>, SqliteError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(records.len());
    {
        let mut insert = tx.prepare_cached(INSERT)?;
        for a in records {
            let done = ActivationRow::encode(a).and_then(|r| {
                insert
                    .execute(params![r.namespace, r.activation_id, r.name, r.start, r.doc, r.logs])
                    .map_err(SqliteError::from)?;
                journal.stored(&tx, journaled, &r.activation_id)
            });
            results.push(done.map_err(StoreError::from));
        }
    }
    journal.write(&tx)?;
    tx.commit()?;
    Ok(results)
}

/// Reads a record back from its columns; `logs = None` leaves them empty.
fn decode(namespace: &str, id: &str, doc: &str, logs: Option<&str>) -> Result<Activation, SqliteError> {
    let corrupt =
        |e: serde_json::Error| SqliteError::Corrupt { id: format!("{namespace}/{id}"), reason: e.to_string() };
    let mut a: Activation = serde_json::from_str(doc).map_err(corrupt)?;
    if let Some(logs) = logs {
        a.logs = serde_json::from_str(logs).map_err(corrupt)?;
    }
    Ok(a)
}

/// The `WHERE` clause of `q` and its arguments. Equality on namespace (and name) followed by
/// the range on `start` lets `activations_by_start` / `activations_by_name` serve it in order.
fn filter(q: &ActivationQuery) -> (String, Vec<SqlValue>) {
    let mut sql = String::from("namespace = ?");
    let mut args = vec![SqlValue::Text(q.namespace.clone())];
    if let Some(name) = &q.name {
        sql.push_str(" AND name = ?");
        args.push(SqlValue::Text(name.clone()));
    }
    if let Some(since) = q.since {
        sql.push_str(" AND start >= ?");
        args.push(SqlValue::Integer(to_i64(since)));
    }
    if let Some(upto) = q.upto {
        sql.push_str(" AND start <= ?");
        args.push(SqlValue::Integer(to_i64(upto)));
    }
    (sql, args)
}

/// The index that serves `q` (see [`list_sql`] for why it is named explicitly).
fn index(q: &ActivationQuery) -> &'static str {
    if q.name.is_some() { "activations_by_name" } else { "activations_by_start" }
}

/// The list statement for `q` and its arguments (newest `start` first, then skip and limit).
///
/// The index is named rather than left to the planner: without statistics, recent SQLite
/// versions pick `activations_by_start` for a name filter with a time window, which scans every
/// record of the namespace in the window instead of only those of the action.
fn list_sql(q: &ActivationQuery) -> (String, Vec<SqlValue>) {
    let (filter, mut args) = filter(q);
    let columns = if q.docs { "activation_id, doc, logs" } else { "activation_id, doc" };
    let index = index(q);
    args.push(SqlValue::Integer(usize_to_i64(q.limit)));
    args.push(SqlValue::Integer(usize_to_i64(q.skip)));
    let sql = format!(
        "SELECT {columns} FROM activations INDEXED BY {index} WHERE {filter} \
         ORDER BY start DESC, activation_id DESC LIMIT ? OFFSET ?"
    );
    (sql, args)
}

fn list(conn: &Connection, q: &ActivationQuery) -> Result<Vec<Activation>, SqliteError> {
    let (sql, args) = list_sql(q);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let doc: String = row.get(1)?;
        let logs: Option<String> = if q.docs { Some(row.get(2)?) } else { None };
        out.push(decode(&q.namespace, &id, &doc, logs.as_deref())?);
    }
    Ok(out)
}

/// The count statement for `q` and its arguments (answered from the index alone).
fn count_sql(q: &ActivationQuery) -> (String, Vec<SqlValue>) {
    let (filter, args) = filter(q);
    (format!("SELECT count(*) FROM activations INDEXED BY {} WHERE {filter}", index(q)), args)
}

fn count(conn: &Connection, q: &ActivationQuery) -> Result<u64, SqliteError> {
    let (sql, args) = count_sql(q);
    let n: i64 = conn.prepare_cached(&sql)?.query_row(params_from_iter(args), |row| row.get(0))?;
    Ok(to_u64(n).saturating_sub(q.skip as u64))
}

fn get(conn: &Connection, namespace: &str, id: &str) -> Result<Option<Activation>, SqliteError> {
    let found: Option<(String, String)> = conn
        .prepare_cached("SELECT doc, logs FROM activations WHERE namespace = ?1 AND activation_id = ?2")?
        .query_row(params![namespace, id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    found.map(|(doc, logs)| decode(namespace, id, &doc, Some(&logs))).transpose()
}

#[async_trait]
impl ActivationStore for SqliteStore {
    fn store(&self, activation: Arc<Activation>) -> Durable {
        self.inner.pending.insert(&activation);
        let done = self.inner.writer.store(activation);
        Box::pin(done)
    }

    async fn get(&self, namespace: &str, id: ActivationId) -> Result<Option<Activation>, StoreError> {
        if let Some(a) = self.inner.pending.get(namespace, id) {
            return Ok(Some(a));
        }
        let namespace = namespace.to_owned();
        let id = id.to_string();
        Ok(self.inner.readers.read(move |conn| get(conn, &namespace, &id)).await?)
    }

    async fn list(&self, query: &ActivationQuery) -> Result<Vec<Activation>, StoreError> {
        // Records queued before this query are part of its answer.
        self.inner.writer.flush().await?;
        let q = query.clone();
        Ok(self.inner.readers.read(move |conn| list(conn, &q)).await?)
    }

    async fn count(&self, query: &ActivationQuery) -> Result<u64, StoreError> {
        self.inner.writer.flush().await?;
        let q = query.clone();
        Ok(self.inner.readers.read(move |conn| count(conn, &q)).await?)
    }

    async fn remove_older_than(&self, cutoff: u64) -> Result<u64, StoreError> {
        Ok(self.remove_activations_before(cutoff).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    /// The query plan of the list statement for `q`, one detail line per step.
    fn plan(conn: &Connection, q: &ActivationQuery) -> String {
        let (sql, args) = list_sql(q);
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
        let rows = stmt.query_map(params_from_iter(args), |row| row.get::<_, String>(3)).expect("plan rows");
        rows.map(|r| r.expect("plan row")).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn list_queries_are_served_by_indexes_without_sorting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = schema::open_writer(&dir.path().join("plan.db")).expect("open");
        let by_start = ActivationQuery { namespace: "guest".into(), limit: 30, ..Default::default() };
        let p = plan(&conn, &by_start);
        assert!(p.contains("activations_by_start"), "{p}");
        assert!(!p.contains("TEMP B-TREE"), "{p}");

        let window = ActivationQuery { since: Some(5), upto: Some(9), ..by_start.clone() };
        let p = plan(&conn, &window);
        assert!(p.contains("activations_by_start (namespace=? AND start>? AND start<?)"), "{p}");
        assert!(!p.contains("TEMP B-TREE"), "{p}");

        for (since, upto) in [(None, None), (Some(5), None), (Some(5), Some(9))] {
            let by_name = ActivationQuery { name: Some("hello".into()), since, upto, ..by_start.clone() };
            let p = plan(&conn, &by_name);
            assert!(p.contains("activations_by_name (namespace=? AND name=?"), "{p}");
            assert!(!p.contains("TEMP B-TREE"), "{p}");
        }
    }

    #[test]
    fn counts_read_only_an_index() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = schema::open_writer(&dir.path().join("plan.db")).expect("open");
        let window = ActivationQuery { namespace: "guest".into(), since: Some(5), upto: Some(9), ..Default::default() };
        let named = ActivationQuery { name: Some("hello".into()), ..window.clone() };
        for (q, index) in [(window, "activations_by_start"), (named, "activations_by_name")] {
            let (sql, args) = count_sql(&q);
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
            let p: String = stmt.query_row(params_from_iter(args), |row| row.get(3)).expect("count plan");
            assert!(p.contains(&format!("COVERING INDEX {index}")), "{p}");
        }
    }
}
