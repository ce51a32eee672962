//! The Python and Node.js launchers (`runtimes/images/*/launcher.*`) behind the real proxy, run
//! with the host's `python3` and `node` (the images run the same files on Debian's 3.11 and 18).
//!
//! For both runtimes the proxy starts a launcher (the zygote) before `/init` and hands it the
//! action; so every init here goes through a zygote, and the `zygote_*` tests check that it did
//! (the action runs in the process that was there before `/init`), that the init `env` and the
//! protocol variables reach the action and its children, that the code is loaded from the action
//! directory, and that a dead zygote or a concurrent run falls back to a launcher started afresh.

#![allow(clippy::unwrap_used)]

mod common;

use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Proxy, SENTINEL, post, zip_of};
use serde_json::{Value, json};

#[test]
fn python_actions_run_with_openwhisk_semantics() {
    let proxy = Proxy::start("python");
    let code = "import os\n\
                def main(args):\n\
                \x20   print('hello', args.get('name'))\n\
                \x20   if args.get('fail'):\n\
                \x20       raise ValueError('bad ' + args['fail'])\n\
                \x20   if args.get('scalar'):\n\
                \x20       return 42\n\
                \x20   return {'hello': args.get('name'), 'id': os.environ.get('__OW_ACTIVATION_ID'),\n\
                \x20           'key': os.environ.get('__OW_API_KEY'), 'init': os.environ.get('FROM_INIT')}\n";
    assert_eq!(proxy.init(code, json!({ "FROM_INIT": "yes" })), (200, json!({ "ok": true })));
    let run = |value, extra: serde_json::Value| {
        let mut body = json!({ "value": value, "activation_id": "a1", "deadline": "0" });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        proxy.post("/run", &body)
    };
    let expected = json!({ "hello": "Ada", "id": "a1", "key": "k", "init": "yes" });
    assert_eq!(run(json!({ "name": "Ada" }), json!({ "api_key": "k" })), (200, expected));
    // A key the previous activation carried and this one does not is gone.
    let expected = json!({ "hello": "Bob", "id": "a1", "key": null, "init": "yes" });
    assert_eq!(run(json!({ "name": "Bob" }), json!({})), (200, expected));
    assert_eq!(run(json!({ "fail": "input" }), json!({})), (200, json!({ "error": "bad input" })));
    let not_a_dict = json!({ "error": "The action did not return a dictionary or array." });
    assert_eq!(run(json!({ "scalar": true }), json!({})), (502, not_a_dict));

    let (out, err) = proxy.logs_with_sentinels(4);
    assert!(out.starts_with(&format!("hello Ada\n{SENTINEL}\nhello Bob\n{SENTINEL}\n")), "{out}");
    assert!(err.contains("ValueError: bad input\n"), "{err}");
    assert!(!err.contains("launcher.py"), "the launcher's own frames are left out: {err}");
}

#[test]
fn python_load_failures_are_init_errors() {
    let proxy = Proxy::start("python");
    let (status, body) = proxy.init("def main(args)\n    return args\n", json!({}));
    assert_eq!(status, 502);
    let message = body["error"].as_str().unwrap();
    assert!(message.starts_with("The action failed during initialization: SyntaxError: "), "{message}");

    let proxy = Proxy::start("python");
    let (status, body) = proxy.init("def handler(args):\n    return args\n", json!({}));
    let expected = "The action failed during initialization: the action has no function named 'main'";
    assert_eq!((status, body), (502, json!({ "error": expected })));
    proxy.logs_with_sentinels(1);
}

#[test]
fn node_actions_run_with_openwhisk_semantics() {
    let proxy = Proxy::start("nodejs");
    let code = "function main(p) {\n\
                \x20 console.log('hello', p.name);\n\
                \x20 if (p.throw) throw new Error('thrown ' + p.throw);\n\
                \x20 if (p.reject) return Promise.reject({ code: p.reject });\n\
                \x20 if (p.nothing) return;\n\
                \x20 if (p.later) return new Promise((r) => setTimeout(() => r({ later: p.later }), 50));\n\
                \x20 return { hello: p.name, id: process.env.__OW_ACTIVATION_ID, init: process.env.FROM_INIT };\n\
                }\n";
    assert_eq!(proxy.init(code, json!({ "FROM_INIT": "yes" })), (200, json!({ "ok": true })));
    assert_eq!(proxy.run(json!({ "name": "Ada" })), (200, json!({ "hello": "Ada", "id": "a1", "init": "yes" })));
    assert_eq!(proxy.run(json!({ "later": 7 })), (200, json!({ "later": 7 })));
    assert_eq!(proxy.run(json!({ "nothing": true })), (200, json!({})));
    // A throw fails the run (OpenWhisk's 502, a developer error); a rejection is a result.
    let thrown = json!({ "error": "An error has occurred: Error: thrown x" });
    assert_eq!(proxy.run(json!({ "throw": "x" })), (502, thrown));
    assert_eq!(proxy.run(json!({ "reject": 7 })), (200, json!({ "error": { "code": 7 } })));
    // The launcher goes on serving after either.
    assert_eq!(proxy.run(json!({ "name": "Bo" })), (200, json!({ "hello": "Bo", "id": "a1", "init": "yes" })));
    let (out, err) = proxy.logs_with_sentinels(6);
    assert!(out.starts_with(&format!("hello Ada\n{SENTINEL}\n")), "{out}");
    assert!(err.contains("Error: thrown x\n    at main ("), "the thrown error is logged with its stack: {err}");
}

/// Node.js actions that throw or reject: what OpenWhisk's Node.js runtime answers (its runner
/// and service in openwhisk-runtime-nodejs, core/nodejsActionBase).
#[test]
fn node_throws_fail_the_run_and_rejections_are_serialised_errors() {
    let proxy = Proxy::start("nodejs");
    let code = r#"
const { PassThrough } = require('stream');
class Refusal extends Error {
  constructor(message) { super(message); this.name = 'Refusal'; this.code = 'E_REFUSED'; }
}
// What main throws, it throws synchronously.
function main(p) {
  switch (p.case) {
    case 'throw string': throw 'boom';
    case 'throw object': throw { reason: 'boom' };
    case 'throw symbol': throw Symbol('boom');
    case 'throw undefined': throw undefined;
    case 'throw custom': throw new Refusal('no way');
    default: return rejecting(p);
  }
}
// An async function: what it throws is a rejection.
async function rejecting(p) {
  switch (p.case) {
    case 'reject error': return Promise.reject(new Error('rejected'));
    case 'reject rich': {
      const e = new Refusal('rich');
      e.status = 409;
      e.details = { ids: [1, 2], when: new Date(0) };
      e.details.self = e.details;
      e.owner = e;
      e.body = Buffer.from('raw');
      e.stream = new PassThrough();
      e.retry = () => true;
      throw e;
    }
    case 'reject null property': {
      const e = new Error('with null');
      e.cause = null;
      throw e;
    }
    case 'reject string': throw 'nope';
    case 'reject number': return Promise.reject(42);
    case 'reject function': return Promise.reject(function refuse() {});
    case 'reject object': return Promise.reject({ code: 7, nested: { ok: false } });
    case 'reject empty': return Promise.reject();
    case 'reject null': return Promise.reject(null);
    case 'reject zero': return Promise.reject(0);
    case 'reject empty string': return Promise.reject('');
    default: return { ok: true };
  }
}
"#;
    assert_eq!(proxy.init(code, json!({})), (200, json!({ "ok": true })));
    let run = |case: &str| proxy.run(json!({ "case": case }));

    // Thrown: 502 "An error has occurred: <the value as a string>".
    let failed = |message: &str| (502, json!({ "error": format!("An error has occurred: {message}") }));
    assert_eq!(run("throw string"), failed("boom"));
    assert_eq!(run("throw object"), failed("[object Object]"));
    assert_eq!(run("throw undefined"), failed("undefined"));
    assert_eq!(run("throw custom"), failed("Refusal: no way"));
    // A symbol cannot become a string: OpenWhisk's own handler fails.
    assert_eq!(run("throw symbol"), (502, json!({ "error": "Internal error." })));

    // Rejected: 200 {"error": <the reason serialised>}.
    let (status, body) = run("reject error");
    assert_eq!(status, 200, "{body}");
    let error = body["error"].as_object().unwrap();
    assert_eq!(error.len(), 3, "name, message and stack: {body}");
    assert_eq!((&error["name"], &error["message"]), (&json!("Error"), &json!("rejected")));
    assert!(error["stack"].as_str().unwrap().starts_with("Error: rejected\n    at rejecting ("), "{body}");

    // An async main that throws rejects: the own enumerable properties, name, message, stack and
    // code; cycles, buffers, streams and functions as serialize-error has them.
    let (status, body) = run("reject rich");
    assert_eq!(status, 200, "{body}");
    let mut error = body["error"].clone();
    let stack = error.as_object_mut().unwrap().remove("stack").unwrap();
    assert!(stack.as_str().unwrap().starts_with("Refusal: rich\n    at rejecting ("), "{body}");
    let expected = json!({
        "name": "Refusal", "code": "E_REFUSED", "status": 409,
        "details": { "ids": [1, 2], "when": "1970-01-01T00:00:00.000Z", "self": "[Circular]" },
        "owner": "[Circular]", "body": "[object Buffer]", "stream": "[object Stream]", "message": "rich",
    });
    assert_eq!(error, expected);

    // serialize-error 9.1.0 throws on a property holding null; OpenWhisk answers its message.
    let null_property = json!({ "error": "Cannot read properties of null (reading 'pipe')" });
    assert_eq!(run("reject null property"), (200, null_property));

    assert_eq!(run("reject string"), (200, json!({ "error": "nope" })));
    assert_eq!(run("reject number"), (200, json!({ "error": 42 })));
    assert_eq!(run("reject function"), (200, json!({ "error": "[Function: refuse]" })));
    let object = json!({ "error": { "code": 7, "nested": { "ok": false } } });
    assert_eq!(run("reject object"), (200, object));
    for falsy in ["reject empty", "reject null", "reject zero", "reject empty string"] {
        assert_eq!(run(falsy), (200, json!({ "error": {} })), "{falsy}");
    }
    assert_eq!(run("fine"), (200, json!({ "ok": true })));

    // Only the thrown errors are logged (a rejection is not, as in OpenWhisk).
    let (_, err) = proxy.logs_with_sentinels(17);
    assert!(err.contains("Refusal: no way\n    at main ("), "{err}");
    assert!(err.contains("boom"), "{err}");
    assert!(!err.contains("rejected") && !err.contains("rich"), "{err}");
}

#[test]
fn node_exports_and_load_failures() {
    let proxy = Proxy::start("nodejs");
    let code = "module.exports.main = async (p) => ({ exported: p.n });";
    assert_eq!(proxy.init(code, json!({})), (200, json!({ "ok": true })));
    assert_eq!(proxy.run(json!({ "n": 1 })), (200, json!({ "exported": 1 })));

    let proxy = Proxy::start("nodejs");
    let (status, body) = proxy.init("function main(p) { return 1 +; }", json!({}));
    let expected = "The action failed during initialization: SyntaxError: Unexpected token ';'";
    assert_eq!((status, body), (502, json!({ "error": expected })));

    let proxy = Proxy::start("nodejs");
    let (status, body) = proxy.init("const x = 1;", json!({}));
    let expected =
        "The action failed during initialization: the code has no function named 'main' (declare it, or export it)";
    assert_eq!((status, body), (502, json!({ "error": expected })));
}

/// The variables the zygote tests' actions report.
const REPORTED: &str = r#"["FROM_INIT", "N", "GUST_MAIN", "GUST_ACTION_DIR", "__OW_WAIT_FOR_ACK",
  "__OW_PROXY_VERSION", "__OW_ACTION_NAME", "GUST_ZYGOTE"]"#;

/// A zipped Python action: `handler` in `__main__.py`, importing `helper.py` next to it; it reports
/// its pid, working directory, file, the `REPORTED` variables and what a child process sees.
fn python_zip() -> Vec<u8> {
    let main = format!(
        "import os, subprocess, time\n\
         import helper\n\
         NAMES = {REPORTED}\n\
         def handler(args):\n\
         \x20   time.sleep(args.get('sleep', 0))\n\
         \x20   child = subprocess.run(['sh', '-c', 'echo \"$FROM_INIT\"'], capture_output=True, text=True)\n\
         \x20   return {{'pid': os.getpid(), 'cwd': os.getcwd(), 'file': __file__, 'helper': helper.NAME,\n\
         \x20           'env': {{k: os.environ.get(k) for k in NAMES}}, 'child': child.stdout.strip()}}\n"
    );
    zip_of(&[("__main__.py", &main), ("helper.py", "NAME = 'python helper'\n")])
}

/// The same as a Node.js package: `package.json` names `lib/entry.js`, which requires `./helper`.
fn node_zip() -> Vec<u8> {
    let entry = format!(
        "const {{ execSync }} = require('child_process');\n\
         const helper = require('./helper');\n\
         const NAMES = {REPORTED};\n\
         exports.handler = async (args) => {{\n\
         \x20 await new Promise((r) => setTimeout(r, (args.sleep || 0) * 1000));\n\
         \x20 return {{ pid: process.pid, cwd: process.cwd(), file: __filename, helper: helper.NAME,\n\
         \x20   env: Object.fromEntries(NAMES.map((k) => [k, process.env[k] ?? null])),\n\
         \x20   child: execSync('echo \"$FROM_INIT\"').toString().trim() }};\n\
         }};\n"
    );
    zip_of(&[
        ("package.json", r#"{ "name": "t", "main": "lib/entry.js" }"#),
        ("lib/entry.js", &entry),
        ("lib/helper.js", "exports.NAME = 'node helper';\n"),
    ])
}

/// `/init` of `zip` with main `handler` and an env map.
fn init_zip(proxy: &Proxy, zip: &[u8], env: Value) -> (u16, Value) {
    let value = json!({ "name": "t", "main": "handler", "binary": true, "code": STANDARD.encode(zip), "env": env });
    proxy.post("/init", &json!({ "value": value }))
}

/// Checks a zygote test action's report: loaded from the action directory, with the init env and
/// the protocol's variables (and not `GUST_ZYGOTE`) seen by it and by its children. The pid.
fn check_report(proxy: &Proxy, (status, report): (u16, Value), file: &str, helper: &str) -> u64 {
    assert_eq!(status, 200, "{report}");
    let dir = proxy.action_dir().to_string_lossy().into_owned();
    assert_eq!(report["cwd"], dir.as_str(), "{report}");
    assert_eq!(report["file"], format!("{dir}/{file}"), "{report}");
    assert_eq!(report["helper"], helper, "{report}");
    let env = json!({
        "FROM_INIT": "yes", "N": "3", "GUST_MAIN": "handler", "GUST_ACTION_DIR": dir,
        "__OW_WAIT_FOR_ACK": "1", "__OW_PROXY_VERSION": format!("gust-{}", env!("CARGO_PKG_VERSION")),
        "__OW_ACTION_NAME": "/guest/t", "GUST_ZYGOTE": null,
    });
    assert_eq!(report["env"], env, "{report}");
    assert_eq!(report["child"], "yes", "{report}");
    report["pid"].as_u64().unwrap()
}

fn init_env() -> Value {
    json!({ "FROM_INIT": "yes", "N": 3, "__OW_ACTION_NAME": "/guest/t" })
}

#[test]
fn zygote_python_takes_the_action() {
    let proxy = Proxy::start("python");
    let zygote = proxy.zygote_pid();
    assert_eq!(init_zip(&proxy, &python_zip(), init_env()), (200, json!({ "ok": true })));
    let pid = check_report(&proxy, proxy.run(json!({})), "__main__.py", "python helper");
    assert_eq!(pid, u64::from(zygote), "the action runs in the zygote");
    assert_eq!(proxy.launcher_pids(), vec![zygote]);
    let again = proxy.init("def main(a):\n    return a\n", json!({}));
    assert_eq!(again, (403, json!({ "error": "Cannot initialize the action more than once." })));
    assert!(!proxy.stderr().contains("gust-proxy:"), "{}", proxy.stderr());
}

#[test]
fn zygote_node_takes_the_action() {
    let proxy = Proxy::start("nodejs");
    let zygote = proxy.zygote_pid();
    assert_eq!(init_zip(&proxy, &node_zip(), init_env()), (200, json!({ "ok": true })));
    let pid = check_report(&proxy, proxy.run(json!({})), "lib/entry.js", "node helper");
    assert_eq!(pid, u64::from(zygote), "the action runs in the zygote");
    assert_eq!(proxy.launcher_pids(), vec![zygote]);
    assert!(!proxy.stderr().contains("gust-proxy:"), "{}", proxy.stderr());
}

#[test]
fn zygote_init_errors_are_reported() {
    // The action fails while loading, in the zygote, with the init env already applied.
    let cases = [
        (
            "python",
            "import os, sys\nprint('loading in', os.getpid(), file=sys.stderr)\n\
             raise RuntimeError('no config ' + os.environ['FROM_INIT'])\n",
            "The action failed during initialization: RuntimeError: no config yes",
        ),
        (
            "nodejs",
            "console.error('loading in', process.pid);\nthrow new Error('no config ' + process.env.FROM_INIT);\n",
            "The action failed during initialization: Error: no config yes",
        ),
    ];
    for (runtime, code, expected) in cases {
        let proxy = Proxy::start(runtime);
        let zygote = proxy.zygote_pid();
        assert_eq!(proxy.init(code, json!({ "FROM_INIT": "yes" })), (502, json!({ "error": expected })));
        let (_, err) = proxy.logs_with_sentinels(1);
        assert!(err.contains(&format!("loading in {zygote}\n")), "{runtime}: {err}");
        assert!(!err.contains("gust-proxy:"), "{runtime}: {err}");
        assert_eq!(proxy.run(json!({})).0, 500);
    }

    // A zygote that takes too long to load the action is killed at the deadline.
    let proxy = Proxy::start("python");
    let zygote = proxy.zygote_pid();
    let in_300ms = (SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 300).to_string();
    let (status, body) = proxy.init("import time\ntime.sleep(5)\n", json!({ "__OW_DEADLINE": in_300ms }));
    assert_eq!(status, 502);
    let message = body["error"].as_str().unwrap();
    assert_eq!(
        message,
        "The action failed during initialization: the Python launcher was not ready before the deadline."
    );
    assert!(!proxy.launcher_pids().contains(&zygote));
}

#[test]
fn zygote_that_died_is_replaced_by_a_fresh_launcher() {
    for (runtime, zip, file, helper) in [
        ("python", python_zip(), "__main__.py", "python helper"),
        ("nodejs", node_zip(), "lib/entry.js", "node helper"),
    ] {
        let proxy = Proxy::start(runtime);
        let zygote = proxy.zygote_pid();
        let killed = std::process::Command::new("kill").args(["-KILL", &zygote.to_string()]).status().unwrap();
        assert!(killed.success());
        while proxy.launcher_pids().contains(&zygote) {
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(init_zip(&proxy, &zip, init_env()), (200, json!({ "ok": true })), "{runtime}");
        let pid = check_report(&proxy, proxy.run(json!({})), file, helper);
        assert_ne!(pid, u64::from(zygote), "{runtime}");
        let err = proxy.stderr();
        assert!(err.contains("was killed by signal 9"), "{runtime}: {err}");
        assert!(err.contains("starting one afresh"), "{runtime}: {err}");
    }
}

#[test]
fn zygote_and_launchers_started_afresh_serve_concurrent_runs_alike() {
    for (runtime, zip, file, helper) in [
        ("python", python_zip(), "__main__.py", "python helper"),
        ("nodejs", node_zip(), "lib/entry.js", "node helper"),
    ] {
        // GUST_ZYGOTE is the proxy's own: neither its environment nor the init env passes it on.
        let proxy = Proxy::start_with_env(runtime, &[("GUST_ZYGOTE", "1")]);
        let zygote = proxy.zygote_pid();
        let mut env = init_env();
        env["__OW_ALLOW_CONCURRENT"] = json!("2");
        env["GUST_ZYGOTE"] = json!("1");
        assert_eq!(init_zip(&proxy, &zip, env), (200, json!({ "ok": true })), "{runtime}");
        let port = proxy.port;
        let runs: Vec<_> =
            (0..2).map(|_| thread::spawn(move || post(port, "/run", &json!({ "value": { "sleep": 0.5 } })))).collect();
        let mut pids: Vec<u64> =
            runs.into_iter().map(|run| check_report(&proxy, run.join().unwrap(), file, helper)).collect();
        pids.sort_unstable();
        pids.dedup();
        assert_eq!(pids.len(), 2, "{runtime}: {pids:?}");
        assert!(pids.contains(&u64::from(zygote)), "{runtime}: {pids:?}");
    }
}
