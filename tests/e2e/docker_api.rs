//! Node.js actions that call back into Gust from their container: the `openwhisk` npm module
//! (and the others OpenWhisk's Node.js runtime provides) are in the `nodejs:18` image, and
//! `__OW_API_HOST` reaches the server from inside a container although standalone listens on
//! loopback (it listens on the Docker bridge's gateway too).

use gust_tests::{Gust, zip_b64};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Invokes another action through the API with the `openwhisk` client, as compositions do.
const CALLER: &str = r#"
const openwhisk = require('openwhisk');
async function main(params) {
  const ow = openwhisk();
  const inner = await ow.actions.invoke({name: 'echo-target', blocking: true, result: true, params: params});
  return {inner: inner, apiHost: process.env.__OW_API_HOST, client: require.resolve('openwhisk')};
}
"#;

async fn result(g: &Gust, name: &str, params: Value) -> Value {
    let r = g.api.invoke(name, "blocking=true", &params).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {:?}", r.body);
    assert_eq!(r.body["response"]["success"], true, "{name}: {:?}", r.body);
    r.body["response"]["result"].clone()
}

#[tokio::test]
async fn a_node_action_invokes_another_action_with_the_openwhisk_module() {
    // Standalone's defaults: loopback, no --api-host.
    let g = Gust::start_docker(&[]).await;
    g.api.create_wasm("echo-target", "echo", json!({})).await;
    let keyed = json!({"annotations": [{"key": "provide-api-key", "value": true}]});
    g.api.create("caller", json!({"kind": "nodejs:18", "code": CALLER}), keyed).await;

    let params = json!({"greeting": "hi from a container", "n": 7, "nested": {"list": [1, 2]}});
    let r = result(&g, "caller", params.clone()).await;
    assert_eq!(r["inner"], params, "the inner action's result comes back: {r}");
    assert!(r["client"].as_str().unwrap().starts_with("/gust/node_modules/openwhisk/"), "{r}");
    // The container was told an address it can reach, not the loopback one, on the same port.
    let port = g.url.rsplit(':').next().unwrap();
    let host = r["apiHost"].as_str().unwrap();
    assert!(host.starts_with("http://") && host.ends_with(&format!(":{port}")), "{r}");
    assert!(!host.contains("127.0.0.1"), "{r}");

    // The inner activation is recorded like any other.
    let list = g.api.get("/api/v1/namespaces/_/activations?name=echo-target&docs=true").await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1), "{:?}", list.body);
    assert_eq!(list.body[0]["response"]["result"], params);
}

#[tokio::test]
async fn the_image_modules_come_after_a_zipped_actions_own() {
    let g = Gust::start_docker(&["--stem-cells", "nodejs:18=2"]).await;
    // Its own (stub) `openwhisk` shadows the image's.
    let own = zip_b64(&[
        ("package.json", r#"{"name": "own", "main": "index.js"}"#),
        (
            "index.js",
            "exports.main = () => ({stub: require('openwhisk').stub === true, at: require.resolve('openwhisk')});\n",
        ),
        ("node_modules/openwhisk/package.json", r#"{"name": "openwhisk", "main": "index.js"}"#),
        ("node_modules/openwhisk/index.js", "module.exports = {stub: true};\n"),
    ]);
    // Without modules of its own, it finds the image's: the real client and the other modules
    // OpenWhisk's runtime provides.
    let bare = zip_b64(&[(
        "index.js",
        "exports.main = () => ({at: require.resolve('openwhisk'), client: typeof require('openwhisk'),\n  \
         others: ['express', 'redis', 'uuid', 'serialize-error'].map((m) => require.resolve(m).split('/')[3])});\n",
    )]);
    g.api.create("own", json!({"kind": "nodejs:18", "code": own}), json!({})).await;
    g.api.create("bare", json!({"kind": "nodejs:18", "code": bare}), json!({})).await;

    let r = result(&g, "own", json!({})).await;
    assert_eq!(r, json!({"stub": true, "at": "/action/node_modules/openwhisk/index.js"}));
    let r = result(&g, "bare", json!({})).await;
    assert!(r["at"].as_str().unwrap().starts_with("/gust/node_modules/openwhisk/"), "{r}");
    assert_eq!(r["client"], "function", "{r}");
    assert_eq!(r["others"], json!(["express", "redis", "uuid", "serialize-error"]), "{r}");
}
