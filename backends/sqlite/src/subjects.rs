//! Credentials: one row per uuid holding the salted key hash, never the key; and the limits
//! of namespaces, one row per namespace.

use async_trait::async_trait;
use gust_core::store::{StoreError, SubjectStore};
use gust_core::subject::{AuthKey, Identity, SubjectRecord};
use gust_core::user_limits::UserLimits;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::SqliteStore;
use crate::error::SqliteError;

const COLUMNS: &str = "uuid, subject, namespace, salt, key_hash";

fn record(row: &Row<'_>) -> rusqlite::Result<SubjectRecord> {
    Ok(SubjectRecord {
        uuid: row.get(0)?,
        subject: row.get(1)?,
        namespace: row.get(2)?,
        salt: row.get(3)?,
        key_hash: row.get(4)?,
    })
}

fn find(conn: &Connection, uuid: &str) -> Result<Option<SubjectRecord>, SqliteError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM subjects WHERE uuid = ?1"))?
        .query_row(params![uuid], record)
        .optional()?)
}

fn upsert(conn: &Connection, r: &SubjectRecord) -> Result<(), SqliteError> {
    conn.prepare_cached(&format!(
        "INSERT INTO subjects ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (uuid) DO UPDATE SET \
         subject = excluded.subject, namespace = excluded.namespace, salt = excluded.salt, key_hash = excluded.key_hash"
    ))?
    .execute(params![r.uuid, r.subject, r.namespace, r.salt, r.key_hash])?;
    Ok(())
}

fn remove(conn: &Connection, uuid: &str) -> Result<bool, SqliteError> {
    Ok(conn.prepare_cached("DELETE FROM subjects WHERE uuid = ?1")?.execute(params![uuid])? > 0)
}

fn limits_of(conn: &Connection, namespace: &str) -> Result<Option<UserLimits>, SqliteError> {
    let doc: Option<String> = conn
        .prepare_cached("SELECT doc FROM limits WHERE namespace = ?1")?
        .query_row(params![namespace], |row| row.get(0))
        .optional()?;
    doc.map(|d| {
        serde_json::from_str(&d)
            .map_err(|e| SqliteError::Corrupt { id: format!("limits/{namespace}"), reason: e.to_string() })
    })
    .transpose()
}

fn put_limits(conn: &Connection, namespace: &str, doc: &str) -> Result<(), SqliteError> {
    conn.prepare_cached(
        "INSERT INTO limits (namespace, doc) VALUES (?1, ?2) ON CONFLICT (namespace) DO UPDATE SET doc = excluded.doc",
    )?
    .execute(params![namespace, doc])?;
    Ok(())
}

fn remove_limits(conn: &Connection, namespace: &str) -> Result<bool, SqliteError> {
    Ok(conn.prepare_cached("DELETE FROM limits WHERE namespace = ?1")?.execute(params![namespace])? > 0)
}

fn all(conn: &Connection) -> Result<Vec<SubjectRecord>, SqliteError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM subjects ORDER BY uuid"))?;
    let rows = stmt.query_map([], record)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[async_trait]
impl SubjectStore for SqliteStore {
    async fn identify(&self, key: &AuthKey) -> Result<Option<Identity>, StoreError> {
        let uuid = key.uuid.clone();
        let found = self
            .inner
            .readers
            .read(move |conn| {
                let Some(r) = find(conn, &uuid)? else { return Ok(None) };
                let limits = limits_of(conn, &r.namespace)?;
                Ok(Some((r, limits)))
            })
            .await?;
        Ok(found.filter(|(r, _)| r.verifies(&key.key)).map(|(r, limits)| Identity {
            limits: limits.unwrap_or_default(),
            ..Identity::new(&r.subject, &r.namespace, key.clone())
        }))
    }

    async fn put_subject(&self, record: SubjectRecord) -> Result<(), StoreError> {
        Ok(self.inner.writer.write(move |conn| upsert(conn, &record)).await?)
    }

    async fn delete_subject(&self, uuid: &str) -> Result<bool, StoreError> {
        let uuid = uuid.to_owned();
        Ok(self.inner.writer.write(move |conn| remove(conn, &uuid)).await?)
    }

    async fn list_subjects(&self) -> Result<Vec<SubjectRecord>, StoreError> {
        Ok(self.inner.readers.read(all).await?)
    }

    async fn get_limits(&self, namespace: &str) -> Result<Option<UserLimits>, StoreError> {
        let namespace = namespace.to_owned();
        Ok(self.inner.readers.read(move |conn| limits_of(conn, &namespace)).await?)
    }

    async fn put_limits(&self, namespace: &str, limits: &UserLimits) -> Result<(), StoreError> {
        let namespace = namespace.to_owned();
        let doc = serde_json::to_string(limits).map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(self.inner.writer.write(move |conn| put_limits(conn, &namespace, &doc)).await?)
    }

    async fn delete_limits(&self, namespace: &str) -> Result<bool, StoreError> {
        let namespace = namespace.to_owned();
        Ok(self.inner.writer.write(move |conn| remove_limits(conn, &namespace)).await?)
    }
}
