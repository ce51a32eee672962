//! [`SubjectStore`] checks: keys verified against their hash, upserts by uuid, deletes.

use crate::store::SubjectStore;
use crate::subject::{AuthKey, GUEST_AUTH, Identity, SubjectRecord};

fn guest() -> AuthKey {
    GUEST_AUTH.parse().expect("guest key")
}

/// Only the right key of a known uuid identifies its subject.
pub async fn identify_accepts_only_the_right_key(store: &dyn SubjectStore) {
    let key = guest();
    store.put_subject(SubjectRecord::new("guest", "guest", &key)).await.expect("put");

    let identity = store.identify(&key).await.expect("identify");
    assert_eq!(identity, Some(Identity { subject: "guest".into(), namespace: "guest".into(), authkey: key.clone() }));
    let wrong_key = AuthKey { uuid: key.uuid.clone(), key: "not-the-key".into() };
    assert_eq!(store.identify(&wrong_key).await.expect("identify"), None);
    let unknown = AuthKey::generate();
    assert_eq!(store.identify(&unknown).await.expect("identify"), None);
}

/// Putting a record with a known uuid replaces it: the old key stops working.
pub async fn putting_a_subject_again_replaces_it_by_uuid(store: &dyn SubjectStore) {
    let old = guest();
    store.put_subject(SubjectRecord::new("guest", "guest", &old)).await.expect("put");
    let new = AuthKey { uuid: old.uuid.clone(), key: "a-brand-new-secret-key".into() };
    store.put_subject(SubjectRecord::new("alice", "alice-ns", &new)).await.expect("replace");

    assert_eq!(store.identify(&old).await.expect("identify"), None);
    let identity = store.identify(&new).await.expect("identify").expect("new key works");
    assert_eq!((identity.subject.as_str(), identity.namespace.as_str()), ("alice", "alice-ns"));
    assert_eq!(store.list_subjects().await.expect("list").len(), 1);
}

/// A delete says whether the subject existed; a deleted uuid can be put again.
pub async fn deleting_a_subject_reports_whether_it_existed(store: &dyn SubjectStore) {
    let key = AuthKey::generate();
    store.put_subject(SubjectRecord::new("bob", "bob", &key)).await.expect("put");
    assert!(store.delete_subject(&key.uuid).await.expect("delete"));
    assert!(!store.delete_subject(&key.uuid).await.expect("delete again"));
    assert_eq!(store.identify(&key).await.expect("identify"), None);
    store.put_subject(SubjectRecord::new("bob", "bob", &key)).await.expect("put again");
    assert!(store.identify(&key).await.expect("identify").is_some());
}
