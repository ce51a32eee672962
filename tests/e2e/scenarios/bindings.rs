//! Package bindings: parameters merged package < binding < action < request, records that say
//! which binding was used, and every refusal OpenWhisk makes.

use gust_tests::{Deployment, annotation};
use reqwest::Method;
use serde_json::json;

use super::{invoke, put_echo, put_package, refused};

pub(crate) async fn bindings(d: &dyn Deployment) {
    let api = d.api();
    let p = |k: &str, v: &str| json!({"key": k, "value": v});
    put_package(
        &api,
        "_",
        "base",
        &json!({"parameters": [p("a", "package"), p("b", "package"), p("c", "package"), p("d", "package")]}),
        false,
    )
    .await;
    put_echo(&api, "_", "base/echo", json!({"parameters": [p("c", "action"), p("d", "action")]})).await;

    // A binding, with `_` for the caller's namespace.
    let r = put_package(
        &api,
        "_",
        "mine",
        &json!({"binding": {"namespace": "_", "name": "base"},
        "parameters": [p("b", "binding"), p("c", "binding")], "annotations": [{"key": "binding", "value": "forged"}]}),
        false,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["binding"], json!({"namespace": "guest", "name": "base"}));
    assert_eq!(annotation(&r.body, "binding"), Some(&json!({"namespace": "guest", "name": "base"})));

    let r = invoke(&api, "_", "mine/echo", &json!({"d": "request"}), "blocking=true&result=true").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body, json!({"a": "package", "b": "binding", "c": "action", "d": "request"}));
    let r = invoke(&api, "_", "mine/echo", &json!({}), "blocking=true").await;
    assert_eq!(annotation(&r.body, "binding"), Some(&json!("guest/mine")), "{:?}", r.body);
    assert_eq!(annotation(&r.body, "path"), Some(&json!("guest/base/echo")), "{:?}", r.body);

    // GET of a binding: the binding, the bound package's parameters under its own, its actions.
    let r = api.get("/api/v1/namespaces/_/packages/mine").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["name"], "mine");
    assert_eq!(r.body["binding"], json!({"namespace": "guest", "name": "base"}));
    assert_eq!(r.body["actions"][0]["name"], "echo");
    let b = r.body["parameters"].as_array().cloned().unwrap_or_default();
    assert!(b.contains(&p("a", "package")) && b.contains(&p("b", "binding")), "{b:?}");
    // Listing through the binding lists the bound package's actions; GET through it works.
    let r = api.get("/api/v1/namespaces/_/actions/mine/").await;
    assert_eq!(r.body[0]["namespace"], "guest/base", "{:?}", r.body);
    assert_eq!(api.get("/api/v1/namespaces/_/actions/mine/echo").await.status, 200);
    // Lists show bindings as such.
    let r = api.get("/api/v1/namespaces/_/packages").await;
    let mine = r.body.as_array().into_iter().flatten().find(|x| x["name"] == "mine").cloned().unwrap_or_default();
    assert_eq!(mine["binding"], json!({"namespace": "guest", "name": "base"}));

    // Refusals.
    refused(
        &put_package(&api, "_", "b1", &json!({"binding": {"namespace": "_", "name": "missing"}}), false).await,
        400,
        "Binding references a package that does not exist.",
    );
    refused(
        &put_package(&api, "_", "b2", &json!({"binding": {"namespace": "_", "name": "mine"}}), false).await,
        400,
        "Cannot bind to another package binding.",
    );
    put_echo(&api, "_", "plain-action", json!({})).await;
    refused(
        &put_package(&api, "_", "b3", &json!({"binding": {"namespace": "_", "name": "plain-action"}}), false).await,
        409,
        "Cannot bind to a resource that is not a package.",
    );
    refused(
        &put_package(&api, "_", "base", &json!({"binding": {"namespace": "_", "name": "mine"}}), true).await,
        409,
        "Resource is a package and cannot be converted into a binding.",
    );
    refused(
        &put_package(&api, "_", "loop", &json!({"binding": {"namespace": "_", "name": "loop"}}), false).await,
        422,
        "Package binding 'loop' contains a circular reference.",
    );
    refused(
        &put_package(&api, "_", "b4", &json!({"binding": {"namespace": "no such ns!", "name": "x"}}), false).await,
        400,
        "The namespace contains illegal characters.",
    );
    refused(&put_echo(&api, "_", "mine/new", json!({})).await, 400, "Operation not permitted on package binding.");
    refused(
        &api.json(Method::DELETE, "/api/v1/namespaces/_/actions/mine/echo", None).await,
        400,
        "Operation not permitted on package binding.",
    );
    for name in ["b1", "b2", "b3", "loop", "b4"] {
        assert_eq!(
            api.get(&format!("/api/v1/namespaces/_/packages/{name}")).await.status,
            404,
            "{name} was not written"
        );
    }

    // A binding may be moved to another package; the bound package keeps its actions.
    put_package(&api, "_", "base2", &json!({}), false).await;
    put_echo(&api, "_", "base2/other", json!({})).await;
    let r = put_package(&api, "_", "mine", &json!({"binding": {"namespace": "guest", "name": "base2"}}), true).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(invoke(&api, "_", "mine/other", &json!({}), "blocking=true").await.status, 200);
    assert_eq!(invoke(&api, "_", "mine/echo", &json!({}), "blocking=true").await.status, 404);
    // A binding is always deletable; the package it bound stays.
    assert_eq!(api.json(Method::DELETE, "/api/v1/namespaces/_/packages/mine", None).await.status, 200);
    assert_eq!(api.get("/api/v1/namespaces/_/packages/base2").await.status, 200);
}
