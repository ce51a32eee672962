//! The subject store against real SQLite files: hashed keys, upserts, no clear keys on disk.

use std::path::Path;

use gust_core::conformance;
use gust_core::store::SubjectStore;
use gust_core::subject::{AuthKey, SubjectRecord};
use gust_sqlite::SqliteStore;

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("gust.db")).expect("open store")
}

#[tokio::test]
async fn identify_accepts_only_the_right_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::subjects::identify_accepts_only_the_right_key(&store).await;
}

#[tokio::test]
async fn putting_a_subject_again_replaces_it_by_uuid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::subjects::putting_a_subject_again_replaces_it_by_uuid(&store).await;
}

#[tokio::test]
async fn deleting_a_subject_reports_whether_it_existed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::subjects::deleting_a_subject_reports_whether_it_existed(&store).await;
}

#[tokio::test]
async fn namespace_limits_are_kept_per_namespace_and_reach_identities() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::subjects::namespace_limits_are_kept_per_namespace_and_reach_identities(&store).await;
}

#[tokio::test]
async fn list_subjects_returns_every_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let mut records: Vec<SubjectRecord> =
        (0..5).map(|i| SubjectRecord::new(&format!("user{i}"), &format!("ns{i}"), &AuthKey::generate())).collect();
    for r in &records {
        store.put_subject(r.clone()).await.expect("put");
    }
    let mut listed = store.list_subjects().await.expect("list");
    records.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    listed.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    assert_eq!(listed, records);
}

#[tokio::test]
async fn subjects_survive_reopening_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = AuthKey::generate();
    {
        let store = open(dir.path());
        store.put_subject(SubjectRecord::new("carol", "carol", &key)).await.expect("put");
    }
    let store = open(dir.path());
    assert_eq!(store.identify(&key).await.expect("identify").map(|i| i.subject), Some("carol".to_owned()));
}

#[tokio::test]
async fn keys_are_never_written_to_the_file_in_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = AuthKey::generate();
    let record = SubjectRecord::new("dave", "dave", &key);
    let store = open(dir.path());
    store.put_subject(record.clone()).await.expect("put");
    store.flush().await.expect("flush");

    // Every file SQLite wrote (database, WAL, shared memory), while open and after closing.
    let scan = |when: &str| {
        let mut seen_hash = false;
        for entry in std::fs::read_dir(dir.path()).expect("read dir") {
            let path = entry.expect("dir entry").path();
            let bytes = std::fs::read(&path).expect("read file");
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&key.key), "{when}: the clear key is in {}", path.display());
            seen_hash |= text.contains(&record.key_hash);
        }
        assert!(seen_hash, "{when}: the key hash should be in the files (are we reading the right ones?)");
    };
    scan("while open");
    drop(store);
    scan("after closing");
}
