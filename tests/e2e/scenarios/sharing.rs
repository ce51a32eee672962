//! Sharing across namespaces: a published package (and its actions) can be listed, read,
//! bound and invoked from another namespace; nothing else of a namespace is visible there,
//! not even whether it exists.

use gust_tests::{Deployment, annotation, new_user};
use reqwest::Method;
use serde_json::json;

use super::{invoke, put_echo, put_package, refused};

pub(crate) async fn sharing(d: &dyn Deployment) {
    let guest = d.api();
    let (alice_ns, alice) = new_user(d, "alice").await;
    let forbidden = |what: &str| format!("The supplied authentication is not authorized to access '{what}'.");

    put_package(
        &guest,
        "_",
        "open",
        &json!({"publish": true, "parameters": [{"key": "from", "value": "open"}]}),
        false,
    )
    .await;
    put_echo(&guest, "_", "open/echo", json!({})).await;
    put_package(&guest, "_", "closed", &json!({}), false).await;
    put_echo(&guest, "_", "closed/echo", json!({})).await;
    put_package(
        &guest,
        "_",
        "open-binding",
        &json!({"publish": true, "binding": {"namespace": "_", "name": "closed"}}),
        false,
    )
    .await;
    put_echo(&guest, "_", "loose", json!({})).await;

    // Lists of another namespace's packages show only its shared ones (not bindings).
    let r = alice.get("/api/v1/namespaces/guest/packages").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let names: Vec<&str> = r.body.as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
    assert!(names.contains(&"open"), "{names:?}");
    assert!(!names.contains(&"closed") && !names.contains(&"open-binding"), "{names:?}");
    let r = alice.get("/api/v1/namespaces/no-such-namespace/packages").await;
    assert_eq!((r.status.as_u16(), r.body.clone()), (200, json!([])));

    // Reads.
    let r = alice.get("/api/v1/namespaces/guest/packages/open").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["actions"][0]["name"], "echo");
    assert_eq!(alice.get("/api/v1/namespaces/guest/actions/open/echo").await.status, 200);
    assert_eq!(alice.get("/api/v1/namespaces/guest/actions/open/").await.status, 200);
    refused(&alice.get("/api/v1/namespaces/guest/packages/closed").await, 403, &forbidden("guest/closed"));
    refused(&alice.get("/api/v1/namespaces/guest/packages/nothing-here").await, 403, &forbidden("guest/nothing-here"));
    refused(&alice.get("/api/v1/namespaces/guest/actions/closed/echo").await, 403, &forbidden("guest/closed/echo"));
    refused(&alice.get("/api/v1/namespaces/guest/actions/closed/").await, 403, &forbidden("guest/closed"));
    refused(&alice.get("/api/v1/namespaces/guest/actions/loose").await, 403, &forbidden("guest/loose"));
    refused(
        &alice.get("/api/v1/namespaces/guest/actions/no-such-action").await,
        403,
        &forbidden("guest/no-such-action"),
    );
    for collection in ["actions", "triggers", "rules", "activations", "limits"] {
        refused(&alice.get(&format!("/api/v1/namespaces/guest/{collection}")).await, 403, &forbidden("guest"));
    }

    // Invokes: the record belongs to the caller.
    let r = invoke(&alice, "guest", "open/echo", &json!({"x": 1}), "blocking=true").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["namespace"], alice_ns.as_str());
    assert_eq!(r.body["response"]["result"], json!({"from": "open", "x": 1}));
    assert_eq!(annotation(&r.body, "path"), Some(&json!("guest/open/echo")));
    let id = r.body["activationId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(alice.get(&format!("/api/v1/namespaces/_/activations/{id}")).await.status, 200);
    refused(
        &guest.get(&format!("/api/v1/namespaces/{alice_ns}/activations/{id}")).await,
        403,
        &forbidden(&format!("{alice_ns}/{id}")),
    );
    refused(
        &invoke(&alice, "guest", "closed/echo", &json!({}), "blocking=true").await,
        403,
        &forbidden("guest/closed/echo"),
    );
    refused(&invoke(&alice, "guest", "loose", &json!({}), "blocking=true").await, 403, &forbidden("guest/loose"));
    // A published binding is readable by others, whatever it binds (OpenWhisk's rule).
    assert_eq!(invoke(&alice, "guest", "open-binding/echo", &json!({}), "blocking=true").await.status, 200);

    // Writes are the owner's alone, shared or not.
    refused(&put_echo(&alice, "guest", "open/mine", json!({})).await, 403, &forbidden("guest/open/mine"));
    refused(&put_package(&alice, "guest", "open", &json!({}), true).await, 403, &forbidden("guest/open"));
    refused(
        &alice.json(Method::DELETE, "/api/v1/namespaces/guest/packages/open", None).await,
        403,
        &forbidden("guest/open"),
    );
    refused(
        &alice.json(Method::DELETE, "/api/v1/namespaces/guest/actions/open/echo", None).await,
        403,
        &forbidden("guest/open/echo"),
    );

    // Bindings to another namespace's packages: to shared ones only.
    let r = put_package(
        &alice,
        "_",
        "via",
        &json!({"binding": {"namespace": "guest", "name": "open"},
        "parameters": [{"key": "from", "value": "binding"}]}),
        false,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = invoke(&alice, "_", "via/echo", &json!({}), "blocking=true").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["result"], json!({"from": "binding"}));
    assert_eq!(annotation(&r.body, "binding"), Some(&json!(format!("{alice_ns}/via"))));
    refused(
        &put_package(&alice, "_", "via2", &json!({"binding": {"namespace": "guest", "name": "closed"}}), false).await,
        403,
        &forbidden("guest/closed"),
    );
    refused(
        &put_package(&alice, "_", "via3", &json!({"binding": {"namespace": "guest", "name": "nothing-here"}}), false)
            .await,
        403,
        &forbidden("guest/nothing-here"),
    );

    // Unsharing closes the package, and the bindings to it, at once.
    assert_eq!(put_package(&guest, "_", "open", &json!({"publish": false}), true).await.status, 200);
    refused(
        &invoke(&alice, "guest", "open/echo", &json!({}), "blocking=true").await,
        403,
        &forbidden("guest/open/echo"),
    );
    refused(
        &invoke(&alice, "_", "via/echo", &json!({}), "blocking=true").await,
        403,
        &forbidden(&format!("{alice_ns}/via/echo")),
    );
    // Her own binding stays hers: she can still delete it.
    assert_eq!(alice.json(Method::DELETE, "/api/v1/namespaces/_/packages/via", None).await.status, 200);
}
