//! The Docker path with real containers: Node.js, Python, a zipped Node.js action with its
//! dependencies, a native action built from the SDK, and a user image built here; each run
//! cold, prewarmed and warm, with the record annotations that tell them apart.

use base64::Engine as _;
use gust_tests::{Gust, annotation, blackbox_image, native_hello, zip_b64};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NODE_HELLO: &str = "function main(p) { console.log('node says hi'); return {hello: p.name || 'stranger'}; }";
const PY_HELLO: &str =
    "import sys\ndef main(args):\n    print('python says hi')\n    return {'hello': args.get('name', 'stranger')}\n";

/// Invokes `name` blocking and checks the result; returns the record.
async fn run(g: &Gust, name: &str, params: Value, expect: Value) -> Value {
    let r = g.api.invoke(name, "blocking=true", &params).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {:?}", r.body);
    assert_eq!(r.body["response"]["result"], expect, "{name}");
    r.body
}

fn stem_cells(names: &[String]) -> usize {
    names.iter().filter(|n| n.contains("_prewarm_")).count()
}

#[tokio::test]
async fn node_and_python_start_from_stem_cells_then_run_warm() {
    let g = Gust::start_docker(&[]).await;
    // The manifest keeps two Node.js and one Python stem cell.
    g.await_containers("three stem cells", |n| stem_cells(n) == 3).await;
    // Created is not yet started: give them a moment to be ready.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    g.api.create("node", json!({"kind": "nodejs:default", "code": NODE_HELLO}), json!({})).await;
    g.api.create("py", json!({"kind": "python:3.11", "code": PY_HELLO}), json!({})).await;

    for (name, kind, log) in
        [("node", "nodejs:18", "stdout: node says hi"), ("py", "python:3.11", "stdout: python says hi")]
    {
        let first = run(&g, name, json!({"name": "Ann"}), json!({"hello": "Ann"})).await;
        assert_eq!(annotation(&first, "kind"), Some(&json!(kind)));
        assert!(annotation(&first, "initTime").is_some(), "a stem cell is initialised: {first:?}");
        assert!(first["logs"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().ends_with(log)), "{first:?}");
        let warm = run(&g, name, json!({}), json!({"hello": "stranger"})).await;
        assert!(annotation(&warm, "initTime").is_none(), "a warm run does not initialise: {warm:?}");
        assert_eq!(annotation(&warm, "timeout"), Some(&json!(false)));
    }
    let names = g.containers();
    assert!(
        !names.iter().any(|n| n.contains("guest_node") || n.contains("guest_py")),
        "no cold start happened: {names:?}"
    );
    // The used stem cells are replaced.
    g.await_containers("refilled stem cells", |n| stem_cells(n) == 5).await;
}

#[tokio::test]
async fn without_stem_cells_the_first_run_is_a_cold_start() {
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    g.api.create("cold", json!({"kind": "nodejs:18", "code": NODE_HELLO}), json!({})).await;
    let first = run(&g, "cold", json!({"name": "Cy"}), json!({"hello": "Cy"})).await;
    assert!(annotation(&first, "initTime").is_some());
    let names = g.containers();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].contains("guest_cold"), "a container was created for the action: {names:?}");
    let warm = run(&g, "cold", json!({}), json!({"hello": "stranger"})).await;
    assert!(annotation(&warm, "initTime").is_none());
    assert_eq!(g.containers().len(), 1, "the warm run reused it");
}

#[tokio::test]
async fn a_zipped_node_action_brings_its_dependencies() {
    let code = zip_b64(&[
        ("package.json", r#"{"name": "zipped", "main": "lib/action.js"}"#),
        ("lib/action.js", "const pad = require('leftpad');\nexports.main = (p) => ({padded: pad(p.word, 8, '*')});\n"),
        ("node_modules/leftpad/package.json", r#"{"name": "leftpad", "main": "index.js"}"#),
        ("node_modules/leftpad/index.js", "module.exports = (s, n, c) => c.repeat(Math.max(0, n - s.length)) + s;\n"),
    ]);
    // Cold: no stem cells, a container is created for the action.
    {
        let g = Gust::start_docker(&["--prewarm", "false"]).await;
        g.api.create("zipped", json!({"kind": "nodejs:default", "code": code}), json!({})).await;
        let r = run(&g, "zipped", json!({"word": "gust"}), json!({"padded": "****gust"})).await;
        assert!(annotation(&r, "initTime").is_some(), "{r:?}");
        assert!(g.containers().iter().any(|n| n.contains("guest_zipped")), "a cold start");
    }
    // Prewarmed: one Node.js stem cell takes the zip; then warm.
    let g = Gust::start_docker(&["--stem-cells", "nodejs:18=1"]).await;
    g.await_containers("one stem cell", |n| stem_cells(n) == 1).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    g.api.create("zipped", json!({"kind": "nodejs:default", "code": code}), json!({})).await;
    let r = run(&g, "zipped", json!({"word": "gust"}), json!({"padded": "****gust"})).await;
    assert!(annotation(&r, "initTime").is_some(), "{r:?}");
    let names = g.containers();
    assert!(!names.iter().any(|n| n.contains("guest_zipped")), "the stem cell ran it (prewarmed): {names:?}");
    let warm = run(&g, "zipped", json!({"word": "wind"}), json!({"padded": "****wind"})).await;
    assert!(annotation(&warm, "initTime").is_none(), "{warm:?}");
}

#[tokio::test]
async fn a_native_action_built_from_the_sdk_runs_in_a_container() {
    // A native stem cell (the manifest keeps none): the first run is prewarmed.
    let g = Gust::start_docker(&["--stem-cells", "native=1"]).await;
    g.await_containers("a native stem cell", |n| stem_cells(n) == 1).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let code = base64::engine::general_purpose::STANDARD.encode(native_hello());
    let action = g.api.create("native", json!({"kind": "native", "code": code}), json!({})).await;
    assert_eq!(action["exec"]["binary"], true);
    let r = run(&g, "native", json!({"name": "Dee"}), json!({"greeting": "Hello, Dee!"})).await;
    assert!(annotation(&r, "initTime").is_some(), "{r:?}");
    let names = g.containers();
    assert!(!names.iter().any(|n| n.contains("guest_native")), "the stem cell ran it (prewarmed): {names:?}");
    assert!(
        r["logs"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().ends_with("stderr: hello: greeting Dee")),
        "{r:?}"
    );
    let warm = run(&g, "native", json!({}), json!({"greeting": "Hello, stranger!"})).await;
    assert!(annotation(&warm, "initTime").is_none());
}

#[tokio::test]
async fn a_user_image_built_here_answers_init_and_run() {
    let image = blackbox_image();
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    g.api.create("bb", json!({"kind": "blackbox", "image": image}), json!({})).await;
    let r = g.api.invoke("bb", "blocking=true", &json!({"x": 1})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let result = &r.body["response"]["result"];
    assert_eq!(result["blackbox"], true);
    assert_eq!(result["inits"], 1);
    assert_eq!(result["input"]["value"], json!({"x": 1}));
    assert_eq!(result["input"]["action_name"], "/guest/bb");
    assert_eq!(result["input"]["activation_id"], r.body["activationId"]);
    assert!(annotation(&r.body, "initTime").is_some());
    assert_eq!(annotation(&r.body, "kind"), Some(&json!("blackbox")));
    let warm = g.api.invoke("bb", "blocking=true", &json!({"x": 2})).await;
    assert_eq!(warm.body["response"]["result"]["inits"], 1, "the warm container is not initialised again");
    assert!(
        warm.body["logs"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().ends_with("stdout: blackbox: ran"))
    );
}
