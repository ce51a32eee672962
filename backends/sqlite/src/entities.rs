//! Actions, packages, triggers and rules: one row per document id, with a generation counter
//! as the revision. Writes are compare-and-swap statements on the writer connection.

use async_trait::async_trait;
use gust_core::entity::{Collection, Entity, Revision, Versioned};
use gust_core::store::{EntityQuery, EntityStore, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::SqliteStore;
use crate::error::{SqliteError, to_i64, to_u64, usize_to_i64};

/// The rows an [`EntityQuery`] selects: one namespace's (served by `entities_by_namespace`) or
/// one package's (`entities_by_path`) documents of one collection, optionally only the shared
/// ones. `?1` is the namespace or the package path, `?2` the collection.
fn selection(q: &EntityQuery) -> &'static str {
    match (q.package.is_some(), q.public_only) {
        (false, false) => "namespace = ?1 AND collection = ?2",
        (false, true) => "namespace = ?1 AND collection = ?2 AND shared = 1",
        (true, false) => "path = ?1 AND collection = ?2",
        (true, true) => "path = ?1 AND collection = ?2 AND shared = 1",
    }
}

/// A page of a selection, newest `updated` first, read backwards along its index.
fn list_sql(q: &EntityQuery) -> String {
    format!(
        "SELECT doc_id, doc FROM entities WHERE {} ORDER BY updated DESC, doc_id DESC LIMIT ?3 OFFSET ?4",
        selection(q)
    )
}

/// The value of `?1`.
fn key(q: &EntityQuery) -> String {
    q.package_path().unwrap_or_else(|| q.namespace.clone())
}

/// The revision string of a generation.
fn revision(generation: i64) -> Revision {
    Revision(generation.to_string())
}

/// The generation a revision names; `None` for strings this store never handed out.
fn generation(rev: &Revision) -> Option<i64> {
    rev.0.parse().ok().filter(|g| *g > 0)
}

/// A document's columns, encoded before it goes to the writer.
struct Row {
    doc_id: String,
    namespace: String,
    path: String,
    shared: bool,
    collection: &'static str,
    updated: i64,
    doc: String,
}

impl Row {
    fn encode(entity: &Entity) -> Result<Row, SqliteError> {
        Ok(Row {
            doc_id: entity.doc_id(),
            namespace: entity.root_namespace().to_owned(),
            path: entity.path().to_owned(),
            shared: entity.is_shared(),
            collection: entity.collection().as_str(),
            updated: to_i64(entity.updated()),
            doc: serde_json::to_string(&entity.to_json())?,
        })
    }
}

/// Builds an entity from its stored collection name and JSON.
fn decode(doc_id: &str, collection: &str, doc: &str) -> Result<Entity, SqliteError> {
    let corrupt = |reason: String| SqliteError::Corrupt { id: doc_id.to_owned(), reason };
    let collection =
        Collection::parse(collection).ok_or_else(|| corrupt(format!("unknown collection '{collection}'")))?;
    let json = serde_json::from_str(doc).map_err(|e| corrupt(e.to_string()))?;
    Entity::from_json(collection, json).map_err(|e| corrupt(e.to_string()))
}

fn create(conn: &Connection, row: &Row) -> Result<Revision, SqliteError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO entities (doc_id, namespace, path, shared, collection, generation, updated, doc) \
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7) ON CONFLICT (doc_id) DO NOTHING",
        )?
        .execute(params![row.doc_id, row.namespace, row.path, row.shared, row.collection, row.updated, row.doc])?;
    if inserted == 0 {
        return Err(SqliteError::Conflict);
    }
    Ok(revision(1))
}

fn replace(conn: &Connection, row: &Row, expected: i64) -> Result<Revision, SqliteError> {
    let updated = conn
        .prepare_cached(
            "UPDATE entities SET namespace = ?2, path = ?3, shared = ?4, collection = ?5, generation = generation + 1, \
             updated = ?6, doc = ?7 WHERE doc_id = ?1 AND generation = ?8",
        )?
        .execute(params![
            row.doc_id,
            row.namespace,
            row.path,
            row.shared,
            row.collection,
            row.updated,
            row.doc,
            expected
        ])?;
    if updated == 0 {
        return Err(SqliteError::Conflict);
    }
    Ok(revision(expected + 1))
}

fn delete(conn: &Connection, doc_id: &str, expected: i64) -> Result<(), SqliteError> {
    let deleted = conn
        .prepare_cached("DELETE FROM entities WHERE doc_id = ?1 AND generation = ?2")?
        .execute(params![doc_id, expected])?;
    if deleted == 0 {
        return Err(SqliteError::Conflict);
    }
    Ok(())
}

fn get(conn: &Connection, doc_id: &str) -> Result<Option<Versioned<Entity>>, SqliteError> {
    let found: Option<(String, i64, String)> = conn
        .prepare_cached("SELECT collection, generation, doc FROM entities WHERE doc_id = ?1")?
        .query_row(params![doc_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    found
        .map(|(collection, generation, doc)| {
            Ok(Versioned { rev: revision(generation), doc: decode(doc_id, &collection, &doc)? })
        })
        .transpose()
}

fn list(conn: &Connection, q: &EntityQuery) -> Result<Vec<Entity>, SqliteError> {
    let collection = q.collection.as_str();
    let mut stmt = conn.prepare_cached(&list_sql(q))?;
    let mut rows = stmt.query(params![key(q), collection, usize_to_i64(q.limit), usize_to_i64(q.skip)])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let doc_id: String = row.get(0)?;
        let doc: String = row.get(1)?;
        out.push(decode(&doc_id, collection, &doc)?);
    }
    Ok(out)
}

fn count(conn: &Connection, q: &EntityQuery) -> Result<u64, SqliteError> {
    let n: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM entities WHERE {}", selection(q)))?
        .query_row(params![key(q), q.collection.as_str()], |row| row.get(0))?;
    Ok(to_u64(n))
}

#[async_trait]
impl EntityStore for SqliteStore {
    async fn get(&self, doc_id: &str) -> Result<Option<Versioned<Entity>>, StoreError> {
        let doc_id = doc_id.to_owned();
        Ok(self.inner.readers.read(move |conn| get(conn, &doc_id)).await?)
    }

    async fn put(&self, entity: &Entity, rev: Option<&Revision>) -> Result<Revision, StoreError> {
        let row = Row::encode(entity)?;
        let written = match rev {
            None => self.inner.writer.write(move |conn| create(conn, &row)).await,
            Some(rev) => {
                let expected = generation(rev).ok_or(StoreError::Conflict)?;
                self.inner.writer.write(move |conn| replace(conn, &row, expected)).await
            }
        };
        Ok(written?)
    }

    async fn delete(&self, doc_id: &str, rev: &Revision) -> Result<(), StoreError> {
        let expected = generation(rev).ok_or(StoreError::Conflict)?;
        let doc_id = doc_id.to_owned();
        Ok(self.inner.writer.write(move |conn| delete(conn, &doc_id, expected)).await?)
    }

    async fn list(&self, query: &EntityQuery) -> Result<Vec<Entity>, StoreError> {
        let query = query.clone();
        Ok(self.inner.readers.read(move |conn| list(conn, &query)).await?)
    }

    async fn count(&self, query: &EntityQuery) -> Result<u64, StoreError> {
        let query = query.clone();
        Ok(self.inner.readers.read(move |conn| count(conn, &query)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    #[test]
    fn entity_lists_are_served_by_an_index_without_sorting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = schema::open_writer(&dir.path().join("plan.db")).expect("open");
        let namespace = EntityQuery::new(Collection::Actions, "guest");
        let package = namespace.clone().in_package("utils");
        for (q, index) in [
            (namespace.clone(), "entities_by_namespace"),
            (namespace.public(), "entities_by_namespace"),
            (package.clone(), "entities_by_path"),
            (package.public(), "entities_by_path"),
        ] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", list_sql(&q)))
                .expect("explain")
                .query_map(params![key(&q), "actions", 10, 0], |row| row.get(3))
                .expect("plan")
                .map(|r| r.expect("plan row"))
                .collect();
            let plan = plan.join("\n");
            assert!(plan.contains(index), "{q:?}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{q:?}: {plan}");
        }
    }
}
