//! The Python and Node.js launchers (`runtimes/images/*/launcher.*`) behind the real proxy, run
//! with the host's `python3` and `node` (the images run the same files on Debian's 3.11 and 18).

#![allow(clippy::unwrap_used)]

mod common;

use common::{Proxy, SENTINEL};
use serde_json::json;

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
    assert_eq!(proxy.run(json!({ "throw": "x" })), (200, json!({ "error": "thrown x" })));
    assert_eq!(proxy.run(json!({ "reject": 7 })), (200, json!({ "error": { "code": 7 } })));
    let (out, err) = proxy.logs_with_sentinels(5);
    assert!(out.starts_with(&format!("hello Ada\n{SENTINEL}\n")), "{out}");
    assert!(err.contains("Error: thrown x"), "{err}");
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
