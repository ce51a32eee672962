//! The Docker path with real containers: Node.js, Python, a zipped Node.js action with its
//! dependencies, a native action built from the SDK, and a user image built here; each run
//! cold, prewarmed and warm, with the record annotations that tell them apart.

use base64::Engine as _;
use gust_tests::{Gust, annotation, blackbox_image, docker, native_hello, zip_b64};
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
    // Created is not yet started: a stem cell is offered once Docker has started it (on a
    // loaded machine, seconds after it is created). Wait for all three to run, then give the
    // pool a moment to hear so.
    let running = format!("label=gust.invoker={}", g.instance());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let names: Vec<String> =
            docker(&["ps", "--filter", &running, "--filter", "status=running", "--format", "{{.Names}}"])
                .lines()
                .map(str::to_owned)
                .collect();
        if stem_cells(&names) == 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the stem cells never ran: {names:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
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

/// Invokes `name` blocking, expecting an error (502 with the record); returns the record.
async fn fail(g: &Gust, name: &str, params: Value, status: &str) -> Value {
    let r = g.api.invoke(name, "blocking=true", &params).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{name}: {:?}", r.body);
    assert_eq!(r.body["response"]["status"], status, "{name}: {:?}", r.body);
    assert_eq!(r.body["response"]["success"], false, "{name}");
    r.body
}

fn logged(record: &Value, ending: &str) -> bool {
    record["logs"].as_array().is_some_and(|logs| logs.iter().any(|l| l.as_str().is_some_and(|l| l.ends_with(ending))))
}

#[tokio::test]
async fn a_node_action_that_throws_is_a_developer_error_and_its_container_is_not_reused() {
    // As OpenWhisk's Node.js runtime: /run answers 502 "An error has occurred: <e>".
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    let code = "function main(p) { if (p.fail) throw new Error('thrown'); return {fine: true}; }";
    g.api.create("thrower", json!({"kind": "nodejs:18", "code": code}), json!({})).await;
    let r = fail(&g, "thrower", json!({"fail": true}), "action developer error").await;
    assert_eq!(r["response"]["result"], json!({"error": "An error has occurred: Error: thrown"}));
    assert!(logged(&r, "stderr: Error: thrown"), "the thrown error is logged: {r:?}");
    g.await_containers("the container removed", |n| n.is_empty()).await;
    let next = run(&g, "thrower", json!({}), json!({"fine": true})).await;
    assert!(annotation(&next, "initTime").is_some(), "a new container: {next:?}");

    // Something other than an Error is shown as a string.
    let code = "function main() { throw 'boom'; }";
    g.api.create("boom", json!({"kind": "nodejs:18", "code": code}), json!({})).await;
    let r = fail(&g, "boom", json!({}), "action developer error").await;
    assert_eq!(r["response"]["result"], json!({"error": "An error has occurred: boom"}));
}

#[tokio::test]
async fn a_node_promise_that_rejects_is_an_application_error_with_the_serialised_error() {
    let g = Gust::start_docker(&["--prewarm", "false"]).await;
    let code = "function main() { return Promise.reject(new Error('rejected')); }";
    g.api.create("rejecter", json!({"kind": "nodejs:18", "code": code}), json!({})).await;
    let r = fail(&g, "rejecter", json!({}), "application error").await;
    let error = &r["response"]["result"]["error"];
    assert_eq!((&error["name"], &error["message"]), (&json!("Error"), &json!("rejected")), "{r:?}");
    let stack = error["stack"].as_str().unwrap();
    assert!(stack.starts_with("Error: rejected\n    at main (/action/index.js:1:"), "{stack}");
    assert_eq!(error.as_object().unwrap().len(), 3, "{error}");
    // An application error keeps the container.
    let again = fail(&g, "rejecter", json!({}), "application error").await;
    assert!(annotation(&again, "initTime").is_none(), "warm: {again:?}");

    // The launcher serialises the reason as OpenWhisk's runtime does, with serialize-error (the
    // image has the version OpenWhisk uses): the action reports what that module makes of the
    // same error, then rejects with it (created at the same place: the same stack).
    let action = r#"
const { pathToFileURL } = require('url');
class Refusal extends Error {
  constructor(message) { super(message); this.name = 'Refusal'; this.code = 'E_REFUSED'; }
}
function reason(p) {
  const e = new Refusal('rich');
  e.status = 409;
  e.details = { ids: [1, 2], when: new Date(0), nested: new Error('inner') };
  e.details.self = e.details;
  e.owner = e;
  e.body = Buffer.from('raw');
  e.retry = () => true;
  if (p.nullProperty) e.cause = null;
  return e;
}
exports.main = async (p) => {
  const e = reason(p);
  if (!p.expected) throw e;
  const { serializeError } = await import(pathToFileURL(require.resolve('serialize-error')).href);
  try {
    return { error: serializeError(e) };
  } catch (failure) {
    return { error: failure.message };
  }
};
"#;
    // A package, so that the launcher `require`s it (plain code cannot `import()`).
    let code = zip_b64(&[("package.json", r#"{"name": "rich"}"#), ("index.js", action)]);
    g.api.create("rich", json!({"kind": "nodejs:18", "code": code}), json!({})).await;
    for extra in [json!({}), json!({"nullProperty": true})] {
        let mut params = extra.clone();
        params["expected"] = json!(true);
        let expected = fail(&g, "rich", params, "application error").await;
        let rejected = fail(&g, "rich", extra.clone(), "application error").await;
        assert_eq!(rejected["response"]["result"], expected["response"]["result"], "{extra}");
        assert_eq!(rejected["logs"], json!([]), "a rejection is not logged");
    }
    let expected = fail(&g, "rich", json!({"expected": true}), "application error").await;
    let error = &expected["response"]["result"]["error"];
    assert_eq!(
        (&error["name"], &error["code"], &error["status"]),
        (&json!("Refusal"), &json!("E_REFUSED"), &json!(409))
    );
    assert_eq!(error["details"]["self"], "[Circular]", "{error}");
    assert_eq!(error["details"]["nested"]["message"], "inner", "{error}");
    let with_null = fail(&g, "rich", json!({"expected": true, "nullProperty": true}), "application error").await;
    let message = "Cannot read properties of null (reading 'pipe')";
    assert_eq!(with_null["response"]["result"], json!({"error": message}));
}
