//! Bad requests get OpenWhisk's status and error body, and write nothing.
//! Tried: no credentials, a wrong key, a foreign namespace, missing actions, duplicate
//! creates, illegal and overlong names, out-of-range and fractional limits, oversized bodies
//! and parameters, invalid JSON, the wrong content type, junk and non-base64 Wasm, unknown
//! kinds, a missing exec, a bad blocking timeout, unknown routes and methods.

use gust_tests::{GUEST, Gust, wasm_b64};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn assert_error(r: &gust_tests::Resp, status: StatusCode, message: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    assert_eq!(r.error(), message);
    let code = r.body["code"].as_str().unwrap_or_default();
    assert!(!code.is_empty(), "every error carries the transaction id: {:?}", r.body);
    assert_eq!(r.headers["x-request-id"], code);
}

#[tokio::test]
async fn credentials_are_required_and_checked() {
    let g = Gust::start().await;
    let anon = g.api.with_auth(None);
    let r = anon.get("/api/v1/namespaces/_/actions").await;
    assert_error(
        &r,
        StatusCode::UNAUTHORIZED,
        "The resource requires authentication, which was not supplied with the request",
    );
    assert_eq!(r.headers["www-authenticate"], "Basic realm=\"OpenWhisk secure realm\"");

    let wrong = g.api.with_auth(Some((GUEST.0, "not-the-key")));
    assert_error(
        &wrong.get("/api/v1/namespaces/_/actions").await,
        StatusCode::UNAUTHORIZED,
        "The supplied authentication is invalid",
    );
    let stranger = g.api.with_auth(Some(("00000000-0000-0000-0000-000000000000", GUEST.1)));
    assert_error(
        &stranger.get("/api/v1/namespaces").await,
        StatusCode::UNAUTHORIZED,
        "The supplied authentication is invalid",
    );

    // The right key still works after wrong attempts (failures are not cached).
    assert_eq!(g.api.get("/api/v1/namespaces").await.status, StatusCode::OK);
}

#[tokio::test]
async fn other_namespaces_are_forbidden_even_when_empty() {
    let g = Gust::start().await;
    let api = &g.api;
    assert_error(
        &api.get("/api/v1/namespaces/someone/actions").await,
        StatusCode::FORBIDDEN,
        "The supplied authentication is not authorized to access 'someone'.",
    );
    assert_error(
        &api.get("/api/v1/namespaces/someone/actions/x").await,
        StatusCode::FORBIDDEN,
        "The supplied authentication is not authorized to access 'someone/x'.",
    );
    let body = json!({"exec": {"kind": "wasm:wasip1", "code": wasm_b64("echo")}});
    let r = api.json(Method::PUT, "/api/v1/namespaces/someone/actions/x", Some(&body)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.json(Method::POST, "/api/v1/namespaces/someone/actions/x", None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(api.get("/api/v1/namespaces/someone/activations").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn missing_duplicate_and_illegal_names_are_refused() {
    let g = Gust::start().await;
    let api = &g.api;
    assert_error(
        &api.get("/api/v1/namespaces/_/actions/nope").await,
        StatusCode::NOT_FOUND,
        "The requested resource does not exist.",
    );

    api.create_wasm("dup", "echo", json!({})).await;
    let body = json!({"exec": {"kind": "wasm:wasip1", "code": wasm_b64("hello")}});
    assert_error(&api.put_action("dup", &body, false).await, StatusCode::CONFLICT, "resource already exists");
    let still = api.get("/api/v1/namespaces/_/actions/dup").await;
    assert_eq!(still.body["version"], "0.0.1", "a refused create changes nothing");

    for bad in ["bad%24name", "trailing%20", "%20lead", "-dash"] {
        let r = api.put_action(bad, &body, false).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "The name of the entity contains illegal characters.");
    }
    let long = "a".repeat(300);
    assert_error(
        &api.put_action(&long, &body, false).await,
        StatusCode::BAD_REQUEST,
        "Name segement longer than allowed: 300 > 256.",
    );
    assert_error(
        &api.get("/api/v1/namespaces/b%24d/actions").await,
        StatusCode::BAD_REQUEST,
        "The namespace contains illegal characters.",
    );
    // Legal odd characters work.
    assert_eq!(api.put_action("a%20b.c@d&e-f", &body, false).await.status, StatusCode::OK);
    assert_eq!(api.get("/api/v1/namespaces/_/actions/a%20b.c@d&e-f").await.body["name"], "a b.c@d&e-f");
}

#[tokio::test]
async fn out_of_range_limits_are_refused_with_openwhisk_messages() {
    let g = Gust::start().await;
    let api = &g.api;
    let cases = [
        (json!({"memory": 1024}), "memory size 1024 MB exceeds allowed threshold of 512 MB"),
        (json!({"memory": 64}), "memory size 64 MB below allowed threshold of 128 MB"),
        (json!({"timeout": 400000}), "duration 400000 milliseconds exceeds allowed threshold of 300000 milliseconds"),
        (json!({"timeout": 50}), "duration 50 milliseconds below allowed threshold of 100 milliseconds"),
        (json!({"logs": 20}), "log size 20 MB exceeds allowed threshold of 10 MB"),
        (json!({"timeout": 1000.5}), "time limit must be whole number"),
    ];
    for (limits, msg) in cases {
        let body = json!({"exec": {"kind": "wasm:wasip1", "code": wasm_b64("echo")}, "limits": limits});
        let r = api.put_action("lim", &body, false).await;
        assert_error(&r, StatusCode::BAD_REQUEST, &format!("The request content was malformed:\n{msg}"));
    }
    assert_eq!(api.get("/api/v1/namespaces/_/actions/lim").await.status, StatusCode::NOT_FOUND, "nothing written");
}

#[tokio::test]
async fn oversized_bodies_and_parameters_are_refused() {
    let g = Gust::start().await;
    let api = &g.api;
    api.create_wasm("echo", "echo", json!({})).await;
    let big = "x".repeat(2 << 20);
    let r = api.invoke("echo", "blocking=true", &json!({"big": big})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    assert!(
        r.error().starts_with("Request larger than allowed: 2097") && r.error().ends_with("> 1048576 bytes."),
        "{}",
        r.error()
    );

    let body = json!({"exec": {"kind": "wasm:wasip1", "code": wasm_b64("echo")}, "parameters": [{"key": "big", "value": big}]});
    let r = api.put_action("bigparams", &body, false).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error(), format!("parameters larger than allowed: {} > 1048576 bytes.", 3 + 2 + (2 << 20)));
    assert_eq!(api.get("/api/v1/namespaces/_/actions/bigparams").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn malformed_bodies_are_refused() {
    let g = Gust::start().await;
    let api = &g.api;
    let put = "/api/v1/namespaces/_/actions/x";
    let r = api.raw(Method::PUT, put, Some("application/json"), Some(b"{not json".to_vec())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error().starts_with("The request content was malformed:\n"), "{}", r.error());
    let r = api.raw(Method::PUT, put, Some("text/plain"), Some(b"{}".to_vec())).await;
    assert_error(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "The request's Content-Type is not supported. Expected:\napplication/json",
    );
    let r = api
        .put_action("x", &json!({"parameters": "nope", "exec": {"kind": "wasm:wasip1", "code": "AAAA"}}), false)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error().contains("parameters malformed!"), "{}", r.error());
    assert_error(
        &api.put_action("x", &json!({}), false).await,
        StatusCode::BAD_REQUEST,
        "The request content was malformed:\nexec undefined",
    );
    let r = api.put_action("x", &json!({"exec": {"kind": "cobol:85", "code": "x"}}), false).await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        "The request content was malformed:\nThe specified runtime 'cobol:85' is not supported by this platform. Valid values are: 'wasm:wasip1', 'nodejs:18', 'python:3.11', 'native', 'blackbox'.",
    );

    api.create_wasm("echo", "echo", json!({})).await;
    let inv = "/api/v1/namespaces/_/actions/echo?blocking=true";
    let r = api.raw(Method::POST, inv, Some("application/json"), Some(b"[1,2]".to_vec())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api.raw(Method::POST, inv, Some("application/json"), Some(b"{\"a\":".to_vec())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error().starts_with("The request content was malformed:\n"));
    let r = api.invoke("echo", "blocking=true&timeout=70000", &json!({})).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "Timeout must be number of milliseconds up to 60000.");
    let r = api.invoke("echo", "blocking=maybe", &json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.get("/api/v1/namespaces/_/activations?count=true").await.body, json!({"activations": 0}));
}

#[tokio::test]
async fn junk_wasm_is_refused_at_create() {
    let g = Gust::start().await;
    let api = &g.api;
    let junk = base64_of(b"this is not a WebAssembly module");
    let r = api.put_action("junk", &json!({"exec": {"kind": "wasm:wasip1", "code": junk}}), false).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error().starts_with("The action code is not a valid WebAssembly module"), "{}", r.error());
    let r =
        api.put_action("junk", &json!({"exec": {"kind": "wasm:wasip1", "code": "not base64 at all!"}}), false).await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        "The action code of a 'wasm:wasip1' action must be a base64-encoded WebAssembly module.",
    );
    assert_eq!(api.get("/api/v1/namespaces/_/actions/junk").await.status, StatusCode::NOT_FOUND, "nothing written");

    // An update with junk code leaves the working revision in place.
    api.create_wasm("good", "echo", json!({})).await;
    let r = api.put_action("good", &json!({"exec": {"kind": "wasm:wasip1", "code": junk}}), true).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api.invoke("good", "blocking=true&result=true", &json!({"still": "works"})).await;
    assert_eq!(r.body, json!({"still": "works"}));
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test]
async fn unknown_routes_and_methods_get_openwhisk_bodies() {
    let g = Gust::start().await;
    let api = &g.api;
    assert_error(
        &api.get("/api/v1/nothing/here").await,
        StatusCode::NOT_FOUND,
        "The requested resource could not be found.",
    );
    let r = api.json(Method::PATCH, "/api/v1/namespaces/_/actions/x", Some(&Value::Null)).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.error().starts_with("HTTP method not allowed"), "{:?}", r.body);
}
