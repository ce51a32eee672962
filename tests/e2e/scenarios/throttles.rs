//! Namespace throttles set with `gust admin limits`: a 429 with OpenWhisk's message at each
//! limit, only for the namespace they are set for, and `GET .../limits` reporting them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gust_tests::{Deployment, admin, new_user};
use serde_json::json;

use super::{invoke, put_echo, refused};

fn minute_now() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() / 60_000).unwrap_or(0)
}

/// Polls until the controller sees namespace `api`'s new limits (it trusts a verified
/// credential, and the limits that came with it, for 5 s).
async fn await_limits(api: &gust_tests::Api, field: &str, value: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let r = api.get("/api/v1/namespaces/_/limits").await;
        if r.body[field] == value {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{field} never became {value}: {:?}", r.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn throttles(d: &dyn Deployment) {
    let guest = d.api();
    let (ns, api) = new_user(d, "dana").await;
    put_echo(&api, "_", "echo", json!({})).await;
    let sleep = json!({"exec": {"kind": "wasm:wasip1", "code": gust_tests::wasm_b64("sleep")}});
    assert_eq!(api.put_action("sleep", &sleep, false).await.status, 200);

    // The system's limits (as the test deployments set them), and the limits object's shape.
    let (per_minute, in_flight) = gust_tests::THROTTLES;
    let r = api.get("/api/v1/namespaces/_/limits").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    for (k, v) in [
        ("invocationsPerMinute", per_minute),
        ("concurrentInvocations", in_flight),
        ("firesPerMinute", 60),
        ("minActionMemory", 128),
        ("maxActionMemory", 512),
        ("maxActionTimeout", 300000),
    ] {
        assert_eq!(r.body[k], v, "{k}: {:?}", r.body);
    }
    assert_eq!(r.body["maxParameterSize"], "1048576 B");
    assert_eq!(api.get("/api/v1/namespaces/_/limits/x").await.status, 400);

    // Invocations per minute: the third of a minute is refused, and refusals count.
    admin(d, &["limits", "set", &ns, "--invocationsPerMinute", "2"]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(admin(d, &["limits", "get", &ns]).await.as_deref(), Ok("invocationsPerMinute = 2\n"));
    await_limits(&api, "invocationsPerMinute", 2).await;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let minute = minute_now();
        let statuses = [
            invoke(&api, "_", "echo", &json!({}), "").await,
            invoke(&api, "_", "echo", &json!({}), "").await,
            invoke(&api, "_", "echo", &json!({}), "").await,
        ];
        if minute_now() != minute && attempts < 3 {
            // The clock minute turned during the burst, which starts a new count: again.
            continue;
        }
        let third = &statuses[2];
        assert_eq!((statuses[0].status.as_u16(), statuses[1].status.as_u16()), (202, 202), "{:?}", statuses[1].body);
        let msg = third.error().to_owned();
        assert_eq!(third.status, 429, "{:?}", third.body);
        assert!(
            msg.starts_with("Too many requests in the last minute (count: ") && msg.ends_with(", allowed: 2)."),
            "{msg}"
        );
        break;
    }
    // Other namespaces are not affected.
    assert_eq!(put_echo(&guest, "_", "not-throttled", json!({})).await.status, 200);
    assert_eq!(invoke(&guest, "_", "not-throttled", &json!({}), "blocking=true").await.status, 200);

    // Concurrent invocations: one in flight (a 5 s sleep) is the limit.
    admin(d, &["limits", "delete", &ns]).await.unwrap_or_else(|e| panic!("{e}"));
    admin(d, &["limits", "set", &ns, "--concurrentInvocations", "1"]).await.unwrap_or_else(|e| panic!("{e}"));
    await_limits(&api, "concurrentInvocations", 1).await;
    await_limits(&api, "invocationsPerMinute", u64::from(per_minute)).await;
    let first = invoke(&api, "_", "sleep", &json!({"ms": 5000}), "").await;
    assert_eq!(first.status, 202, "{:?}", first.body);
    refused(
        &invoke(&api, "_", "echo", &json!({}), "").await,
        429,
        "Too many concurrent requests in flight (count: 1, allowed: 1).",
    );
    assert_eq!(admin(d, &["limits", "get", &ns]).await.as_deref(), Ok("concurrentInvocations = 1\n"));
    admin(d, &["limits", "delete", &ns]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(admin(d, &["limits", "delete", &ns]).await.is_err(), "nothing left to delete");
    assert_eq!(
        admin(d, &["limits", "get", &ns]).await.as_deref(),
        Ok("No limits found, default system limits apply\n")
    );
    // Trigger fires per minute are counted by the same core (their route comes with triggers);
    // the limit is stored and reported like the others.
    admin(d, &["limits", "set", &ns, "--firesPerMinute", "3"]).await.unwrap_or_else(|e| panic!("{e}"));
    await_limits(&api, "firesPerMinute", 3).await;
    assert!(admin(d, &["limits", "set", &ns]).await.is_err(), "set needs a limit");
}
