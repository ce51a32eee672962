//! [`SubjectStore`] checks: keys verified against their hash, upserts by uuid, deletes, and
//! namespace limits.

use crate::store::SubjectStore;
use crate::subject::{AuthKey, GUEST_AUTH, Identity, SubjectRecord};
use crate::user_limits::UserLimits;

fn guest() -> AuthKey {
    GUEST_AUTH.parse().expect("guest key")
}

/// Only the right key of a known uuid identifies its subject.
pub async fn identify_accepts_only_the_right_key(store: &dyn SubjectStore) {
    let key = guest();
    store.put_subject(SubjectRecord::new("guest", "guest", &key)).await.expect("put");

    let identity = store.identify(&key).await.expect("identify");
    assert_eq!(identity, Some(Identity::new("guest", "guest", key.clone())));
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

/// Limits are set, replaced and removed per namespace; identities carry their namespace's;
/// limits never show up as subjects.
pub async fn namespace_limits_are_kept_per_namespace_and_reach_identities(store: &dyn SubjectStore) {
    let key = AuthKey::generate();
    store.put_subject(SubjectRecord::new("carol", "carol", &key)).await.expect("put");
    let other = AuthKey::generate();
    store.put_subject(SubjectRecord::new("dave", "dave", &other)).await.expect("put");
    assert_eq!(store.get_limits("carol").await.expect("get"), None);
    assert!(!store.delete_limits("carol").await.expect("delete nothing"));

    let first = UserLimits { invocations_per_minute: Some(7), ..Default::default() };
    store.put_limits("carol", &first).await.expect("put limits");
    assert_eq!(store.get_limits("carol").await.expect("get"), Some(first));
    let second = UserLimits { concurrent_invocations: Some(0), fires_per_minute: Some(9), ..Default::default() };
    store.put_limits("carol", &second).await.expect("replace limits");
    assert_eq!(store.get_limits("carol").await.expect("get"), Some(second));

    let identity = store.identify(&key).await.expect("identify").expect("known");
    assert_eq!(identity.limits, second);
    let untouched = store.identify(&other).await.expect("identify").expect("known");
    assert!(untouched.limits.is_empty());
    assert_eq!(store.list_subjects().await.expect("list").len(), 2, "limits are not subjects");

    assert!(store.delete_limits("carol").await.expect("delete"));
    assert_eq!(store.get_limits("carol").await.expect("get"), None);
    assert!(store.identify(&key).await.expect("identify").expect("known").limits.is_empty());
    // Limits may exist for a namespace without subjects (set before the first user).
    store.put_limits("nobody-yet", &first).await.expect("put limits");
    assert_eq!(store.get_limits("nobody-yet").await.expect("get"), Some(first));
}
