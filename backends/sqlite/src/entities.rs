//! Actions, packages, triggers and rules: one row per document id, with a generation counter
//! as the revision. Writes are compare-and-swap statements on the writer connection.

use async_trait::async_trait;
use gust_core::entity::{Collection, Entity, Revision, Versioned};
use gust_core::store::{EntityStore, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::SqliteStore;
use crate::error::{SqliteError, to_i64, to_u64, usize_to_i64};

/// A page of one namespace's documents of one collection, newest `updated` first; served by
/// `entities_by_namespace` read backwards.
const LIST: &str = "SELECT doc_id, doc FROM entities WHERE namespace = ?1 AND collection = ?2 \
                    ORDER BY updated DESC, doc_id DESC LIMIT ?3 OFFSET ?4";

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
    collection: &'static str,
    updated: i64,
    doc: String,
}

impl Row {
    fn encode(entity: &Entity) -> Result<Row, SqliteError> {
        Ok(Row {
            doc_id: entity.doc_id(),
            namespace: entity.root_namespace(),
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
            "INSERT INTO entities (doc_id, namespace, collection, generation, updated, doc) \
             VALUES (?1, ?2, ?3, 1, ?4, ?5) ON CONFLICT (doc_id) DO NOTHING",
        )?
        .execute(params![row.doc_id, row.namespace, row.collection, row.updated, row.doc])?;
    if inserted == 0 {
        return Err(SqliteError::Conflict);
    }
    Ok(revision(1))
}

fn replace(conn: &Connection, row: &Row, expected: i64) -> Result<Revision, SqliteError> {
    let updated = conn
        .prepare_cached(
            "UPDATE entities SET namespace = ?2, collection = ?3, generation = generation + 1, updated = ?4, doc = ?5 \
             WHERE doc_id = ?1 AND generation = ?6",
        )?
        .execute(params![row.doc_id, row.namespace, row.collection, row.updated, row.doc, expected])?;
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

fn list(
    conn: &Connection,
    namespace: &str,
    collection: Collection,
    skip: usize,
    limit: usize,
) -> Result<Vec<Entity>, SqliteError> {
    let mut stmt = conn.prepare_cached(LIST)?;
    let mut rows = stmt.query(params![namespace, collection.as_str(), usize_to_i64(limit), usize_to_i64(skip)])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let doc_id: String = row.get(0)?;
        let doc: String = row.get(1)?;
        out.push(decode(&doc_id, collection.as_str(), &doc)?);
    }
    Ok(out)
}

fn count(conn: &Connection, namespace: &str, collection: Collection) -> Result<u64, SqliteError> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM entities WHERE namespace = ?1 AND collection = ?2")?
        .query_row(params![namespace, collection.as_str()], |row| row.get(0))?;
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

    async fn list(
        &self,
        namespace: &str,
        collection: Collection,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<Entity>, StoreError> {
        let namespace = namespace.to_owned();
        Ok(self.inner.readers.read(move |conn| list(conn, &namespace, collection, skip, limit)).await?)
    }

    async fn count(&self, namespace: &str, collection: Collection) -> Result<u64, StoreError> {
        let namespace = namespace.to_owned();
        Ok(self.inner.readers.read(move |conn| count(conn, &namespace, collection)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    #[test]
    fn entity_lists_are_served_by_the_namespace_index_without_sorting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = schema::open_writer(&dir.path().join("plan.db")).expect("open");
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {LIST}"))
            .expect("explain")
            .query_map(params!["guest", "actions", 10, 0], |row| row.get(3))
            .expect("plan")
            .map(|r| r.expect("plan row"))
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains("entities_by_namespace"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
