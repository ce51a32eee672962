//! The real `gust-proxy` binary, run with `GUST_RUNTIME=native` and shell-script actions that
//! speak the actionloop protocol, over plain HTTP.

#![allow(clippy::unwrap_used)]

mod common;

use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Proxy, SENTINEL, post, zip_of};
use serde_json::json;

/// Echoes each activation's `value` back with the init env's GREETING; `{"junk":..}` answers
/// junk, `{"fail":..}` a failure line, `{"badfail":..}` a malformed one, `{"exit":..}` exits. Logs one line to stdout and one to stderr per activation.
const ECHO: &str = r#"#!/bin/sh
[ -n "$__OW_WAIT_FOR_ACK" ] && echo '{"ok":true}' >&3
while IFS= read -r line; do
  echo "out: $line"
  echo "err: $line" >&2
  case "$line" in
    *'"junk"'*) echo 'this is not json' >&3 ;;
    *'"fail"'*) echo '!{"error":"failed on purpose"}' >&3 ;;
    *'"badfail"'*) echo '!failed' >&3 ;;
    *'"exit"'*) exit 0 ;;
    *) printf '{"line":%s,"greeting":"%s","proxy":"%s"}\n' "$line" "$GREETING" "$__OW_PROXY_VERSION" >&3 ;;
  esac
done
"#;

/// Takes a second per activation and answers with its process id.
const SLOW: &str = r#"#!/bin/sh
echo '{"ok":true}' >&3
while IFS= read -r line; do
  sleep 1
  printf '{"pid":%s}\n' "$$" >&3
done
"#;

#[test]
fn init_and_runs_follow_the_protocol() {
    let proxy = Proxy::start("native");
    assert_eq!(proxy.run(json!({})), (500, json!({ "error": "no action defined yet" })));
    assert_eq!(proxy.init("", json!({})), (403, json!({ "error": "Missing main/no code to execute." })));

    assert_eq!(proxy.init(ECHO, json!({ "GREETING": "hi" })), (200, json!({ "ok": true })));
    let again = proxy.init(ECHO, json!({}));
    assert_eq!(again, (403, json!({ "error": "Cannot initialize the action more than once." })));

    for n in 0..3 {
        let (status, body) = proxy.run(json!({ "n": n }));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["line"]["value"], json!({ "n": n }));
        assert_eq!(body["line"]["activation_id"], "a1");
        assert_eq!(body["greeting"], "hi");
        assert_eq!(body["proxy"], format!("gust-{}", env!("CARGO_PKG_VERSION")));
    }
    // An array payload goes through as it is.
    let (status, body) = proxy.run(json!([1, 2]));
    assert_eq!((status, &body["line"]["value"]), (200, &json!([1, 2])));

    let not_a_dictionary = json!({ "error": "The action did not return a dictionary or array." });
    assert_eq!(proxy.run(json!({ "junk": true })), (502, not_a_dictionary.clone()));
    assert_eq!(proxy.run(json!({ "after": 1 })).0, 200);
    // `!` and {"error": e}: the run failed, 502 with that error; the action goes on serving.
    assert_eq!(proxy.run(json!({ "fail": true })), (502, json!({ "error": "failed on purpose" })));
    assert_eq!(proxy.run(json!({ "badfail": true })), (502, not_a_dictionary));
    assert_eq!(proxy.run(json!({ "after": 2 })).0, 200);

    let gone = json!({ "error": "The action did not produce a valid response and exited unexpectedly." });
    assert_eq!(proxy.run(json!({ "exit": true })), (502, gone.clone()));
    assert_eq!(proxy.run(json!({ "n": 9 })), (502, gone.clone()));
    assert_eq!(proxy.run(json!({ "n": 10 })), (502, gone));

    // Every /run (including the one before init) ends with a sentinel on both streams, after the
    // activation's own output.
    let (out, err) = proxy.logs_with_sentinels(13);
    let sentinel_after = |text: &str, prefix: &str| {
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(prefix) || *l == SENTINEL).collect();
        // Before init: a sentinel alone. Then nine runs that logged, then the exit run (logged,
        // no answer), then two runs on the dead action.
        let mut expected = vec![SENTINEL];
        for _ in 0..9 {
            expected.extend([prefix, SENTINEL]);
        }
        expected.extend([prefix, SENTINEL, SENTINEL, SENTINEL]);
        let shape: Vec<&str> = lines.iter().map(|l| if *l == SENTINEL { SENTINEL } else { prefix }).collect();
        assert_eq!(shape, expected, "{text}");
    };
    sentinel_after(&out, "out: ");
    sentinel_after(&err, "err: ");
    assert!(!out.contains("gust-proxy:"), "{out}");
}

#[test]
fn binary_code_and_zips_are_materialised() {
    let proxy = Proxy::start("native");
    let code = STANDARD.encode(ECHO);
    let init = json!({ "value": { "name": "t", "binary": true, "code": code, "env": { "GREETING": "b64" } } });
    assert_eq!(proxy.post("/init", &init), (200, json!({ "ok": true })));
    let (status, body) = proxy.run(json!({}));
    assert_eq!((status, &body["greeting"]), (200, &json!("b64")));

    let zip_without_exec = STANDARD.encode(zip_of(&[("bin/exec", ECHO)]));
    let proxy = Proxy::start("native");
    let init = json!({ "value": { "name": "t", "binary": true, "code": zip_without_exec } });
    let (status, body) = proxy.post("/init", &init);
    assert_eq!(status, 502);
    let message = body["error"].as_str().unwrap();
    assert!(message.starts_with("The action failed during initialization: the zip has no `exec`"), "{message}");
    proxy.logs_with_sentinels(1);

    let proxy = Proxy::start("native");
    let zip = STANDARD.encode(zip_of(&[("exec", ECHO), ("data/readme.txt", "hello")]));
    let init = json!({ "value": { "name": "t", "binary": true, "code": zip, "env": { "GREETING": "zip" } } });
    assert_eq!(proxy.post("/init", &init), (200, json!({ "ok": true })));
    assert_eq!(proxy.run(json!({})).1["greeting"], "zip");
}

#[test]
fn failed_inits_are_reported_with_sentinels() {
    let proxy = Proxy::start("native");
    let (status, body) = proxy.init("#!/bin/sh\necho loading >&2\nexit 1\n", json!({}));
    let expected = "The action failed during initialization: the action's exec exited with status 1.";
    assert_eq!((status, body), (502, json!({ "error": expected })));
    let (_, err) = proxy.logs_with_sentinels(1);
    assert_eq!(err, format!("loading\n{SENTINEL}\n"));
    assert_eq!(proxy.run(json!({})).0, 500);

    let proxy = Proxy::start("native");
    let refusing = "#!/bin/sh\necho '{\"error\":\"cannot load main\"}' >&3\nexit 1\n";
    assert_eq!(proxy.init(refusing, json!({})), (502, json!({ "error": "cannot load main" })));

    let proxy = Proxy::start("native");
    let deadline =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 300).to_string();
    let (status, body) = proxy.init("#!/bin/sh\nsleep 5\n", json!({ "__OW_DEADLINE": deadline }));
    assert_eq!(status, 502);
    assert!(body["error"].as_str().unwrap().contains("not ready before the deadline"), "{body}");

    let proxy = Proxy::start("native");
    // Without a shebang, execvp hands the file to /bin/sh, which cannot find the command.
    let (status, body) = proxy.init("no-such-command", json!({}));
    let expected = "The action failed during initialization: the action's exec exited with status 127.";
    assert_eq!((status, body), (502, json!({ "error": expected })));
}

#[test]
fn runs_are_serialised_unless_concurrency_is_allowed() {
    let serial = Proxy::start("native");
    assert_eq!(serial.init(SLOW, json!({})).0, 200);
    let (elapsed, pids) = parallel_runs(&serial, 2);
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    assert_eq!(pids.len(), 1, "{pids:?}");

    let concurrent = Proxy::start("native");
    assert_eq!(concurrent.init(SLOW, json!({ "__OW_ALLOW_CONCURRENT": "3" })).0, 200);
    let (elapsed, pids) = parallel_runs(&concurrent, 3);
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    assert_eq!(pids.len(), 3, "{pids:?}");
    concurrent.logs_with_sentinels(3);
}

/// Runs `n` activations at once; the time they took and the distinct launcher pids that served them.
fn parallel_runs(proxy: &Proxy, n: usize) -> (Duration, std::collections::BTreeSet<u64>) {
    let start = Instant::now();
    let port = proxy.port;
    let handles: Vec<_> =
        (0..n).map(|i| thread::spawn(move || post(port, "/run", &json!({ "value": { "i": i } })))).collect();
    let pids = handles
        .into_iter()
        .map(|h| {
            let (status, body) = h.join().unwrap();
            assert_eq!(status, 200, "{body}");
            body["pid"].as_u64().unwrap()
        })
        .collect();
    (start.elapsed(), pids)
}
