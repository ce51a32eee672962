//! Credentials: a key created with `gust admin` works at once; deleted, it stops working on
//! every controller within the credential cache's lifetime (5 s, as the README states).

use std::time::{Duration, Instant};

use gust_tests::{Deployment, admin, new_user};

/// How long a controller may keep trusting a revoked key (the README's figure).
const STATED: Duration = Duration::from_secs(5);

pub(crate) async fn revoked(d: &dyn Deployment) {
    let (ns, api) = new_user(d, "erin").await;
    let r = api.get("/api/v1/namespaces").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body, serde_json::json!([ns]));
    let got = admin(d, &["user", "get", &ns]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(got.contains(&ns), "{got}");
    let listed = admin(d, &["namespace", "list"]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(listed.lines().any(|l| l == ns), "{listed}");
    assert!(admin(d, &["user", "create", &ns]).await.is_err(), "a subject gets one key per namespace");

    // The key was used just now, so it is in the controller's cache.
    assert_eq!(api.get("/api/v1/namespaces/_/actions").await.status, 200);
    admin(d, &["user", "delete", &ns]).await.unwrap_or_else(|e| panic!("{e}"));
    let deleted = Instant::now();
    loop {
        let r = api.get("/api/v1/namespaces/_/actions").await;
        if r.status == 401 {
            assert_eq!(r.error(), "The supplied authentication is invalid");
            break;
        }
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(
            deleted.elapsed() < STATED + Duration::from_secs(2),
            "still accepted {:?} after its deletion",
            deleted.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("a deleted key was refused {:?} after its deletion", deleted.elapsed());
    assert!(admin(d, &["user", "delete", &ns]).await.is_err(), "deleting it again says it does not exist");
}
