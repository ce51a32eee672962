//! The subject store against a real CouchDB-compatible server: hashed keys, upserts, no clear
//! keys stored.

mod common;

use common::TestStore;
use gust_core::conformance;
use gust_core::store::SubjectStore;
use gust_core::subject::{AuthKey, GUEST_AUTH, SubjectRecord};
use gust_core::user_limits::UserLimits;
use gust_couchdb::CouchStore;

fn guest() -> AuthKey {
    GUEST_AUTH.parse().expect("guest key")
}

#[tokio::test]
async fn identify_accepts_only_the_right_key() {
    let store = TestStore::open().await;
    conformance::subjects::identify_accepts_only_the_right_key(&store.store).await;
}

#[tokio::test]
async fn uuids_that_look_like_couchdb_paths_are_just_unknown() {
    let store = TestStore::open().await;
    store.put_subject(SubjectRecord::new("guest", "guest", &guest())).await.expect("put");
    store.put_limits("guest", &UserLimits { fires_per_minute: Some(1), ..Default::default() }).await.expect("limits");
    for uuid in ["_all_docs", "_design/gust", "..", ".", "a/b", "%2e%2e", "_changes", "guest/limits"] {
        let key = AuthKey { uuid: uuid.into(), key: "k".into() };
        assert_eq!(store.identify(&key).await.expect("identify"), None, "{uuid}");
    }
    // And they work as uuids when a record has one.
    let odd = AuthKey { uuid: "_all_docs".into(), key: "secret".into() };
    store.put_subject(SubjectRecord::new("odd", "odd", &odd)).await.expect("put");
    assert_eq!(store.identify(&odd).await.expect("identify").map(|i| i.subject), Some("odd".to_owned()));
    assert_eq!(store.list_subjects().await.expect("list").len(), 2);
}

#[tokio::test]
async fn namespace_limits_are_kept_per_namespace_and_reach_identities() {
    let store = TestStore::open().await;
    conformance::subjects::namespace_limits_are_kept_per_namespace_and_reach_identities(&store.store).await;
}

#[tokio::test]
async fn putting_a_subject_again_replaces_it_by_uuid() {
    let store = TestStore::open().await;
    conformance::subjects::putting_a_subject_again_replaces_it_by_uuid(&store.store).await;
}

#[tokio::test]
async fn deleting_a_subject_reports_whether_it_existed() {
    let store = TestStore::open().await;
    conformance::subjects::deleting_a_subject_reports_whether_it_existed(&store.store).await;
}

#[tokio::test]
async fn list_subjects_returns_every_record_across_pages() {
    let store = TestStore::open().await;
    // More than one _all_docs page (500).
    let mut records: Vec<SubjectRecord> =
        (0..620).map(|i| SubjectRecord::new(&format!("user{i}"), &format!("ns{i}"), &AuthKey::generate())).collect();
    let mut puts = Vec::new();
    for chunk in records.chunks(62) {
        let store = store.store.clone();
        let chunk = chunk.to_vec();
        puts.push(tokio::spawn(async move {
            for r in chunk {
                store.put_subject(r).await.expect("put");
            }
        }));
    }
    for p in puts {
        p.await.expect("task");
    }
    let mut listed = store.list_subjects().await.expect("list");
    records.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    listed.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    assert_eq!(listed, records);
}

#[tokio::test]
async fn subjects_are_seen_by_another_store() {
    let store = TestStore::open().await;
    let key = AuthKey::generate();
    store.put_subject(SubjectRecord::new("carol", "carol", &key)).await.expect("put");
    let other = CouchStore::open(store.config()).await.expect("open another store");
    assert_eq!(other.identify(&key).await.expect("identify").map(|i| i.subject), Some("carol".to_owned()));
}

#[tokio::test]
async fn keys_are_never_stored_in_clear() {
    let store = TestStore::open().await;
    let key = AuthKey::generate();
    let record = SubjectRecord::new("dave", "dave", &key);
    store.put_subject(record.clone()).await.expect("put");
    let replaced = AuthKey { uuid: key.uuid.clone(), key: AuthKey::generate().key };
    store.put_subject(SubjectRecord::new("dave", "dave", &replaced)).await.expect("replace");

    // Everything the server holds for the subjects database, including old revisions.
    let db = &store.databases().subjects;
    let (status, all) = store.raw_get(&format!("{db}/_all_docs?include_docs=true")).await;
    assert_eq!(status, 200);
    let (_, changes) = store.raw_get(&format!("{db}/_changes?include_docs=true&style=all_docs")).await;
    let text = format!("{all}{changes}");
    assert!(!text.contains(&key.key), "the first clear key is stored: {text}");
    assert!(!text.contains(&replaced.key), "the clear key is stored: {text}");
    assert!(text.contains("key_hash"), "the hash should be there (are we reading the right database?): {text}");
    let doc = &all["rows"][0]["doc"];
    assert_eq!(doc["uuid"], key.uuid.as_str());
    assert_eq!(doc["subject"], "dave");
    assert!(doc.get("key").is_none(), "{doc}");
}
