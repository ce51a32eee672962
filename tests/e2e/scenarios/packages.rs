//! Packages: create, get, list, update, delete; actions inside them.

use gust_tests::Deployment;
use reqwest::Method;
use serde_json::json;

use super::{invoke, put_echo, put_package, refused};

/// A package is created with OpenWhisk's document, read with its (empty) action list, listed
/// and counted, refused when it exists or is named `default`, updated and deleted.
pub(crate) async fn crud(d: &dyn Deployment) {
    let api = d.api();
    let body = json!({"parameters": [{"key": "region", "value": "north"}],
                      "annotations": [{"key": "description", "value": "tools"}], "namespace": "ignored"});
    let r = put_package(&api, "_", "tools", &body, false).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["namespace"], "guest");
    assert_eq!(r.body["name"], "tools");
    assert_eq!(r.body["binding"], json!({}));
    assert_eq!(r.body["version"], "0.0.1");
    assert_eq!(r.body["publish"], false);
    assert_eq!(r.body["parameters"], json!([{"key": "region", "value": "north"}]));

    refused(&put_package(&api, "_", "tools", &body, false).await, 409, "resource already exists");
    refused(&put_package(&api, "_", "default", &json!({}), false).await, 400, "Package name 'default' is reserved.");
    refused(
        &put_package(&api, "_", "bad", &json!({"parameters": {"a": 1}}), false).await,
        400,
        "The request content was malformed:\nparameters malformed!",
    );
    let big = "x".repeat(1 << 20);
    let r = put_package(&api, "_", "big", &json!({"parameters": [{"key": "k", "value": big}]}), false).await;
    assert_eq!(r.status, 413, "{:?}", r.body);
    assert!(r.error().starts_with("parameters larger than allowed: "), "{:?}", r.body);
    let r = api.raw(Method::PUT, "/api/v1/namespaces/_/packages/text", Some("text/plain"), Some(b"{}".to_vec())).await;
    assert_eq!(r.status, 415, "{:?}", r.body);
    // Packages cannot be invoked; the 405 names what can be done.
    let r = api.json(Method::POST, "/api/v1/namespaces/_/packages/tools", Some(&json!({}))).await;
    refused(&r, 405, "HTTP method not allowed, supported methods: GET, PUT, DELETE");
    assert_eq!(r.headers.get("allow").and_then(|v| v.to_str().ok()), Some("GET,HEAD,PUT,DELETE"));

    let r = api.get("/api/v1/namespaces/_/packages/tools").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["actions"].clone(), r.body["feeds"].clone()), (json!([]), json!([])));

    let r = put_package(&api, "_", "tools", &json!({"publish": true}), true).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["version"], "0.0.2");
    assert_eq!(r.body["publish"], true);
    assert_eq!(r.body["parameters"], body["parameters"], "parameters not given are kept");

    put_package(&api, "_", "other", &json!({}), false).await;
    let r = api.get("/api/v1/namespaces/_/packages").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let names: Vec<&str> = r.body.as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
    assert!(names.contains(&"tools") && names.contains(&"other"), "{names:?}");
    let tools = r.body.as_array().into_iter().flatten().find(|p| p["name"] == "tools").cloned().unwrap_or_default();
    assert_eq!(tools["binding"], false);
    assert!(tools.get("parameters").is_none(), "list items are summaries: {tools}");
    let r = api.get("/api/v1/namespaces/_/packages?count=true").await;
    assert!(r.body["packages"].as_u64().is_some_and(|n| n >= 2), "{:?}", r.body);
    let r = api.get("/api/v1/namespaces/_/packages?limit=1").await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{:?}", r.body);

    // The name is taken in every collection.
    refused(
        &put_echo(&api, "_", "tools", json!({})).await,
        409,
        "Resource by this name exists but is not in this collection.",
    );
    put_echo(&api, "_", "an-action", json!({})).await;
    refused(
        &put_package(&api, "_", "an-action", &json!({}), true).await,
        409,
        "Resource by this name exists but is not in this collection.",
    );
    refused(
        &api.get("/api/v1/namespaces/_/packages/an-action").await,
        409,
        "Resource by this name exists but is not in this collection.",
    );

    let r = api.json(Method::DELETE, "/api/v1/namespaces/_/packages/tools", None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["name"], "tools");
    refused(&api.get("/api/v1/namespaces/_/packages/tools").await, 404, "The requested resource does not exist.");
    refused(
        &api.json(Method::DELETE, "/api/v1/namespaces/_/packages/tools", None).await,
        404,
        "The requested resource does not exist.",
    );
}

/// Actions are created in a package (not in one that is missing), read with the package's
/// parameters under their own, listed by package, and invoked with package < action < request.
pub(crate) async fn actions_inside(d: &dyn Deployment) {
    let api = d.api();
    refused(&put_echo(&api, "_", "nowhere/echo", json!({})).await, 404, "The requested resource does not exist.");
    let params =
        json!([{"key": "a", "value": "package"}, {"key": "b", "value": "package"}, {"key": "c", "value": "package"}]);
    assert_eq!(put_package(&api, "_", "box", &json!({"parameters": params}), false).await.status, 200);
    let r = put_echo(
        &api,
        "_",
        "box/echo",
        json!({"parameters": [{"key": "b", "value": "action"}, {"key": "c", "value": "action"}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["namespace"], "guest/box");
    put_echo(&api, "_", "top-echo", json!({})).await;

    let r = api.get("/api/v1/namespaces/_/actions/box/echo?code=false").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["namespace"], "guest/box");
    assert!(r.body["exec"].get("code").is_none());
    let merged: std::collections::BTreeMap<String, String> = r.body["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["key"].as_str().unwrap_or_default().to_owned(), p["value"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(merged.get("a").map(String::as_str), Some("package"));
    assert_eq!(merged.get("b").map(String::as_str), Some("action"));

    let r = api.get("/api/v1/namespaces/_/actions/box/").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let listed: Vec<&str> = r.body.as_array().into_iter().flatten().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(listed, ["echo"]);
    assert_eq!(r.body[0]["namespace"], "guest/box");
    refused(&api.get("/api/v1/namespaces/_/actions/nothing/").await, 404, "The requested resource does not exist.");
    let r = api.get("/api/v1/namespaces/_/actions?limit=0").await;
    let all: Vec<String> = r
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| format!("{}/{}", a["namespace"].as_str().unwrap_or_default(), a["name"].as_str().unwrap_or_default()))
        .collect();
    assert!(all.contains(&"guest/box/echo".to_owned()) && all.contains(&"guest/top-echo".to_owned()), "{all:?}");

    let r = invoke(&api, "_", "box/echo", &json!({"c": "request"}), "blocking=true&result=true").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body, json!({"a": "package", "b": "action", "c": "request"}));
    let r = invoke(&api, "_", "box/echo", &json!({}), "blocking=true").await;
    assert_eq!(gust_tests::annotation(&r.body, "path"), Some(&json!("guest/box/echo")));
    assert_eq!(r.body["name"], "echo");
    assert!(gust_tests::annotation(&r.body, "binding").is_none());

    let r = api.get("/api/v1/namespaces/_/packages/box").await;
    assert_eq!(r.body["actions"][0]["name"], "echo", "{:?}", r.body);
    // Clients build URLs from an action's `namespace` field: `guest/box`, encoded as one segment.
    let r = api.get("/api/v1/namespaces/guest%2Fbox/actions/echo").await;
    assert_eq!((r.status.as_u16(), r.body["name"].clone()), (200, json!("echo")), "{:?}", r.body);
    assert_eq!(api.get("/api/v1/namespaces/guest%2Fbox/actions").await.body[0]["name"], "echo");
    assert_eq!(api.get("/api/v1/namespaces/guest%2Fbox/actions/box/echo").await.status, 404);
    let r = api.json(Method::DELETE, "/api/v1/namespaces/guest%2Fbox/actions/echo", None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["namespace"], "guest/box");
}

/// A package that holds actions is not deleted without `force`; with it, its actions go too.
pub(crate) async fn delete_needs_force(d: &dyn Deployment) {
    let api = d.api();
    put_package(&api, "_", "full", &json!({}), false).await;
    put_echo(&api, "_", "full/one", json!({})).await;
    refused(
        &api.json(Method::DELETE, "/api/v1/namespaces/_/packages/full", None).await,
        409,
        "Package not empty (contains 1 entity). Set force param or delete package contents.",
    );
    put_echo(&api, "_", "full/two", json!({})).await;
    refused(
        &api.json(Method::DELETE, "/api/v1/namespaces/_/packages/full", None).await,
        409,
        "Package not empty (contains 2 entities). Set force param or delete package contents.",
    );
    assert_eq!(api.get("/api/v1/namespaces/_/actions/full/one").await.status, 200, "nothing was deleted");
    let r = api.json(Method::DELETE, "/api/v1/namespaces/_/packages/full?force=true", None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    for path in ["packages/full", "actions/full/one", "actions/full/two"] {
        assert_eq!(api.get(&format!("/api/v1/namespaces/_/{path}")).await.status, 404, "{path}");
    }
}
