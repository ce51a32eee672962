//! In-memory stores: the reference behaviour of the store seams, used by unit tests of the
//! roles above them (a controller test never needs SQLite or CouchDB).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::activation::Activation;
use crate::entity::{Entity, Revision, Versioned};
use crate::ids::ActivationId;
use crate::store::{ActivationQuery, ActivationStore, Durable, EntityQuery, EntityStore, StoreError, SubjectStore};
use crate::subject::{AuthKey, Identity, SubjectRecord};
use crate::user_limits::UserLimits;

/// Entities in a map.
#[derive(Default)]
pub struct MemoryEntityStore {
    docs: Mutex<HashMap<String, (u64, Entity)>>,
}

impl fmt::Debug for MemoryEntityStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryEntityStore").field("docs", &self.docs.lock().len()).finish()
    }
}

fn rev(generation: u64) -> Revision {
    Revision(format!("{generation}-mem"))
}

#[async_trait]
impl EntityStore for MemoryEntityStore {
    async fn get(&self, doc_id: &str) -> Result<Option<Versioned<Entity>>, StoreError> {
        Ok(self.docs.lock().get(doc_id).map(|(g, e)| Versioned { rev: rev(*g), doc: e.clone() }))
    }

    async fn put(&self, entity: &Entity, expected: Option<&Revision>) -> Result<Revision, StoreError> {
        let mut docs = self.docs.lock();
        let id = entity.doc_id();
        let next = match (docs.get(&id), expected) {
            (None, None) => 1,
            (Some((g, _)), Some(r)) if rev(*g) == *r => g + 1,
            _ => return Err(StoreError::Conflict),
        };
        docs.insert(id, (next, entity.clone()));
        Ok(rev(next))
    }

    async fn delete(&self, doc_id: &str, expected: &Revision) -> Result<(), StoreError> {
        let mut docs = self.docs.lock();
        match docs.get(doc_id) {
            Some((g, _)) if rev(*g) == *expected => {
                docs.remove(doc_id);
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn list(&self, query: &EntityQuery) -> Result<Vec<Entity>, StoreError> {
        let docs = self.docs.lock();
        let mut v: Vec<Entity> = docs.values().filter(|(_, e)| query.matches(e)).map(|(_, e)| e.clone()).collect();
        v.sort_by_cached_key(|e| std::cmp::Reverse((e.updated(), e.doc_id())));
        Ok(v.into_iter().skip(query.skip).take(query.limit).collect())
    }

    async fn count(&self, query: &EntityQuery) -> Result<u64, StoreError> {
        let docs = self.docs.lock();
        Ok(docs.values().filter(|(_, e)| query.matches(e)).count() as u64)
    }
}

/// Activation records in a map.
#[derive(Default)]
pub struct MemoryActivationStore {
    records: Mutex<HashMap<(String, ActivationId), Arc<Activation>>>,
}

impl fmt::Debug for MemoryActivationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryActivationStore").field("records", &self.records.lock().len()).finish()
    }
}

impl MemoryActivationStore {
    fn matching(&self, q: &ActivationQuery) -> Vec<Arc<Activation>> {
        let recs = self.records.lock();
        let mut v: Vec<Arc<Activation>> = recs
            .values()
            .filter(|a| a.namespace == q.namespace)
            .filter(|a| q.name.as_ref().is_none_or(|n| a.filter_name() == *n))
            .filter(|a| q.since.is_none_or(|s| a.start >= s))
            .filter(|a| q.upto.is_none_or(|u| a.start <= u))
            .cloned()
            .collect();
        v.sort_by_key(|a| std::cmp::Reverse((a.start, a.activation_id)));
        v
    }
}

#[async_trait]
impl ActivationStore for MemoryActivationStore {
    fn store(&self, activation: Arc<Activation>) -> Durable {
        let key = (activation.namespace.clone(), activation.activation_id);
        self.records.lock().entry(key).or_insert(activation);
        Box::pin(std::future::ready(Ok(())))
    }

    async fn get(&self, namespace: &str, id: ActivationId) -> Result<Option<Activation>, StoreError> {
        Ok(self.records.lock().get(&(namespace.to_owned(), id)).map(|a| (**a).clone()))
    }

    async fn list(&self, q: &ActivationQuery) -> Result<Vec<Activation>, StoreError> {
        Ok(self.matching(q).into_iter().skip(q.skip).take(q.limit).map(|a| (*a).clone()).collect())
    }

    async fn count(&self, q: &ActivationQuery) -> Result<u64, StoreError> {
        Ok(self.matching(q).len().saturating_sub(q.skip) as u64)
    }

    async fn remove_older_than(&self, cutoff: u64) -> Result<u64, StoreError> {
        let mut recs = self.records.lock();
        let before = recs.len();
        recs.retain(|_, a| a.start >= cutoff);
        Ok((before - recs.len()) as u64)
    }
}

/// Credentials in a map (hashed, like every subject store), and namespace limits in another.
#[derive(Default)]
pub struct MemorySubjectStore {
    subjects: Mutex<HashMap<String, SubjectRecord>>,
    limits: Mutex<HashMap<String, UserLimits>>,
}

impl fmt::Debug for MemorySubjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySubjectStore").field("subjects", &self.subjects.lock().len()).finish()
    }
}

#[async_trait]
impl SubjectStore for MemorySubjectStore {
    async fn identify(&self, key: &AuthKey) -> Result<Option<Identity>, StoreError> {
        let found = self.subjects.lock().get(&key.uuid).filter(|r| r.verifies(&key.key)).cloned();
        Ok(found.map(|r| Identity {
            limits: self.limits.lock().get(&r.namespace).copied().unwrap_or_default(),
            ..Identity::new(&r.subject, &r.namespace, key.clone())
        }))
    }

    async fn put_subject(&self, record: SubjectRecord) -> Result<(), StoreError> {
        self.subjects.lock().insert(record.uuid.clone(), record);
        Ok(())
    }

    async fn delete_subject(&self, uuid: &str) -> Result<bool, StoreError> {
        Ok(self.subjects.lock().remove(uuid).is_some())
    }

    async fn list_subjects(&self) -> Result<Vec<SubjectRecord>, StoreError> {
        Ok(self.subjects.lock().values().cloned().collect())
    }

    async fn get_limits(&self, namespace: &str) -> Result<Option<UserLimits>, StoreError> {
        Ok(self.limits.lock().get(namespace).copied())
    }

    async fn put_limits(&self, namespace: &str, limits: &UserLimits) -> Result<(), StoreError> {
        self.limits.lock().insert(namespace.to_owned(), *limits);
        Ok(())
    }

    async fn delete_limits(&self, namespace: &str) -> Result<bool, StoreError> {
        Ok(self.limits.lock().remove(namespace).is_some())
    }
}
