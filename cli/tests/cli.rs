//! The `gust` client commands as a user runs them: the real binary as a process, against a
//! real `gust standalone` on a free port with its own data directory, and small WASI command
//! modules written in WAT. The user's own settings never matter: `WSK_CONFIG_FILE` names a
//! file that does not exist and the `GUST_*` / `__OW_*` variables are cleared.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const GUEST: &str =
    "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";
const GUST: &str = env!("CARGO_BIN_EXE_gust");
/// Variables that would otherwise point the client somewhere else.
const CLEARED: [&str; 7] =
    ["GUST_APIHOST", "GUST_AUTH", "GUST_NAMESPACE", "__OW_API_HOST", "__OW_API_KEY", "__OW_NAMESPACE", "RUST_LOG"];

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap()
}

/// A `gust standalone` process, killed when dropped, and a scratch directory.
struct Server {
    child: Child,
    url: String,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new(GUST)
            .args(["standalone", "--docker", "off", "--port", &port.to_string(), "--wasm-instances", "8", "--data-dir"])
            .arg(dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("server.log")).unwrap())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !pong(port) {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                panic!("gust standalone exited early: {status}\n{log}");
            }
            assert!(Instant::now() < deadline, "gust standalone did not answer /ping");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, url: format!("http://127.0.0.1:{port}"), port, dir }
    }

    /// A path in the scratch directory.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a Wasm module to `<name>.wasm` in the scratch directory.
    fn module(&self, name: &str, wasm: &[u8]) -> PathBuf {
        let path = self.path(&format!("{name}.wasm"));
        std::fs::write(&path, wasm).unwrap();
        path
    }

    /// Runs `gust <args>` against this server with no other settings.
    fn gust(&self, args: &[&str]) -> Out {
        self.gust_with(args, &[("GUST_APIHOST", self.url.as_str())])
    }

    /// Runs `gust <args>` with the environment `vars` (and a props file that does not exist
    /// unless `vars` names one).
    fn gust_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Out {
        run_gust(self.dir.path(), args, vars)
    }

    /// `gust <args> --json`, parsed; panics unless it succeeds.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.gust(&all).ok();
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{args:?} --json: {e}: {}", out.stdout))
    }

    /// Waits until `gust activation get <id>` finds the record, and answers it.
    fn record(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.gust(&["activation", "get", id, "--json"]);
            if out.success {
                return serde_json::from_str(&out.stdout).unwrap();
            }
            assert!(out.stderr.contains("does not exist"), "{out:?}");
            assert!(Instant::now() < deadline, "no record for {id}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Server {
    /// The table rows of `gust <args>` once there are `n` of them (records are stored a little
    /// after a blocking invocation answers).
    fn rows_eventually(&self, args: &[&str], n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let listed = rows(&self.gust(args).ok());
            if listed.len() >= n || Instant::now() > deadline {
                assert_eq!(listed.len(), n, "{args:?}: {listed:?}");
                return listed;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `gust <args>` with only the environment `vars` pointing it anywhere; the props file
/// is a path in `dir` that does not exist (unless `vars` names another).
fn run_gust(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(GUST);
    cmd.args(args).env("WSK_CONFIG_FILE", dir.join("no-such-wskprops")).stdin(Stdio::null());
    for v in CLEARED {
        cmd.env_remove(v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Out {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// True when `GET /ping` answers `pong`.
fn pong(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /ping HTTP/1.0\r\nHost: localhost\r\n\r\n").is_err() {
        return false;
    }
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.starts_with("HTTP/1.") && text.contains(" 200 ") && text.ends_with("pong")
}

/// What a `gust` process printed.
#[derive(Debug)]
struct Out {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Out {
    /// Asserts success; answers itself.
    fn ok(self) -> Out {
        assert!(self.success, "expected success: {self:?}");
        self
    }

    /// Asserts failure with `needle` on stderr; answers itself.
    fn fails_with(self, needle: &str) -> Out {
        assert!(!self.success, "expected failure: {self:?}");
        assert!(self.stderr.contains(needle), "expected {needle:?} on stderr: {self:?}");
        self
    }

    /// The JSON after the first line (`ok: ...`).
    fn json_after_first_line(&self) -> Value {
        let (_, rest) = self.stdout.split_once('\n').unwrap_or_default();
        serde_json::from_str(rest).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// A WASI command whose `_start` writes `stdout` to fd 1 and `stderr` to fd 2, then runs `tail`.
fn wasi_command(stdout: &str, stderr: &str, tail: &str) -> Vec<u8> {
    let esc = |s: &str| s.bytes().map(|b| format!("\\{b:02x}")).collect::<String>();
    let wat = format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 1024) "{out}")
          (data (i32.const 4096) "{err}")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 1024))
            (i32.store (i32.const 4) (i32.const {out_len}))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
            (i32.store (i32.const 0) (i32.const 4096))
            (i32.store (i32.const 4) (i32.const {err_len}))
            (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 16)))
            {tail}))"#,
        out = esc(stdout),
        err = esc(stderr),
        out_len = stdout.len(),
        err_len = stderr.len(),
    );
    wat::parse_str(wat).unwrap()
}

/// The module most tests deploy: `{"ok":true}` and one log line.
fn ok_module() -> Vec<u8> {
    wasi_command(r#"{"ok":true}"#, "hello from wat\n", "")
}

/// A WASI command that copies stdin (the parameters) to stdout: its result is its parameters.
fn echo_module() -> Vec<u8> {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (func (export "_start")
        (local $total i32)
        (block $done
          (loop $more
            (i32.store (i32.const 0) (i32.add (i32.const 1024) (local.get $total)))
            (i32.store (i32.const 4) (i32.sub (i32.const 64000) (local.get $total)))
            (br_if $done (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
            (br_if $done (i32.eqz (i32.load (i32.const 16))))
            (local.set $total (i32.add (local.get $total) (i32.load (i32.const 16))))
            (br $more)))
        (i32.store (i32.const 0) (i32.const 1024))
        (i32.store (i32.const 4) (local.get $total))
        (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))"#;
    wat::parse_str(wat).unwrap()
}

/// A line of a `wsk`-style list: the name padded to 70 columns, then the rest.
fn list_line(name: &str, rest: &str) -> String {
    format!("{name:<70} {rest}")
}

/// The activation id at the end of an `ok: invoked ... with id ID` line.
fn invoked_id(out: &Out) -> String {
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("ok: invoked /_/"), "{out:?}");
    let id = first.rsplit(' ').next().unwrap_or_default().to_owned();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{out:?}");
    id
}

/// The table lines of a readable list, without the header.
fn rows(out: &Out) -> Vec<String> {
    out.stdout.lines().skip(1).map(str::to_owned).collect()
}

#[test]
fn actions_are_created_read_listed_updated_and_deleted() {
    let s = Server::start();
    let file = s.module("x", &ok_module());
    let file = file.to_str().unwrap();

    let out = s.gust(&["action", "create", "x", file]).ok();
    assert_eq!(out.stdout.trim(), "ok: created action x");

    let out = s.gust(&["action", "get", "x"]).ok();
    assert_eq!(out.stdout.lines().next(), Some("ok: got action x"));
    let action = out.json_after_first_line();
    assert_eq!(action["exec"]["kind"], "wasm:wasip1");
    assert_eq!(action["version"], "0.0.1");
    assert!(action["exec"].get("code").is_none(), "no code without --code: {action}");
    let with_code = s.gust(&["action", "get", "x", "--code"]).ok().json_after_first_line();
    assert!(with_code["exec"]["code"].as_str().is_some_and(|c| c.starts_with("AGFzbQ")), "{with_code}");

    let out = s.gust(&["action", "list"]).ok();
    let header = out.stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with("NAME") && header.contains("KIND") && header.contains("VERSION"), "{out:?}");
    let listed = rows(&out);
    assert_eq!(listed.len(), 1, "{out:?}");
    assert_eq!(listed[0].split_whitespace().collect::<Vec<_>>(), ["/guest/x", "wasm:wasip1", "0.0.1"]);

    let out = s.gust(&["action", "update", "x"]).ok();
    assert_eq!(out.stdout.trim(), "ok: updated action x");
    assert_eq!(s.json(&["action", "get", "x"])["version"], "0.0.2");
    assert!(rows(&s.gust(&["action", "list"]).ok())[0].ends_with("0.0.2"));

    s.gust(&["action", "update", "x", file, "-p", "n", "3", "-p", "who", "the world", "--timeout", "1000"]).ok();
    let action = s.json(&["action", "get", "x"]);
    assert_eq!(action["version"], "0.0.3");
    assert_eq!(action["limits"]["timeout"], 1000);
    let params = action["parameters"].as_array().unwrap();
    assert!(params.contains(&json!({"key": "n", "value": 3})), "{action}");
    assert!(params.contains(&json!({"key": "who", "value": "the world"})), "{action}");

    // A name with a space travels escaped.
    s.gust(&["action", "create", "my action", file]).ok();
    assert_eq!(s.json(&["action", "get", "my action"])["name"], "my action");
    let listed = s.json(&["action", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");

    let out = s.gust(&["action", "delete", "x"]).ok();
    assert_eq!(out.stdout.trim(), "ok: deleted action x");
    s.gust(&["action", "get", "x"]).fails_with("The requested resource does not exist.");
    let listed = rows(&s.gust(&["action", "list"]).ok());
    assert_eq!(listed.len(), 1);
    assert!(listed[0].starts_with("/guest/my action"), "{listed:?}");
}

#[test]
fn invocations_and_their_activations() {
    let s = Server::start();
    let file = s.module("x", &ok_module());
    s.gust(&["action", "create", "x", file.to_str().unwrap()]).ok();

    // Non-blocking: only the id.
    let out = s.gust(&["action", "invoke", "x", "-p", "name", "World"]).ok();
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    let first = invoked_id(&out);
    let record = s.record(&first);
    assert_eq!(record["response"]["result"], json!({"ok": true}));

    // Blocking: the id, then the record.
    let out = s.gust(&["action", "invoke", "x", "--blocking"]).ok();
    let second = invoked_id(&out);
    let record = out.json_after_first_line();
    assert_eq!(record["activationId"], second.as_str());
    assert_eq!(record["response"]["status"], "success");
    assert_eq!(record["response"]["result"], json!({"ok": true}));

    // --result: only the result.
    let out = s.gust(&["action", "invoke", "x", "-r"]).ok();
    assert_eq!(serde_json::from_str::<Value>(&out.stdout).unwrap(), json!({"ok": true}));

    // --json: the server's body.
    let accepted = s.json(&["action", "invoke", "x"]);
    let third = accepted["activationId"].as_str().unwrap().to_owned();
    s.record(&third);

    s.record(&second);

    // The newest activation, as the list and --last see it.
    let newest = s.json(&["activation", "list", "--limit", "1"]);
    assert_eq!(newest.as_array().map(Vec::len), Some(1), "{newest}");
    assert_eq!(newest[0]["activationId"], third.as_str());
    let out = s.gust(&["activation", "get", "--last"]).ok();
    assert_eq!(out.stdout.lines().next().unwrap_or_default(), format!("ok: got activation {third}"));
    assert_eq!(out.json_after_first_line()["activationId"], third.as_str());

    let listed = s.rows_eventually(&["activation", "list"], 4);
    let out = s.gust(&["activation", "list"]).ok();
    let header = out.stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with("START") && header.contains("ACTIVATION ID") && header.contains("STATUS"), "{out:?}");
    for id in [&first, &second, &third] {
        let row = listed.iter().find(|r| r.contains(id.as_str())).unwrap_or_else(|| panic!("{id} in {listed:?}"));
        assert!(row.contains("success") && row.trim_end().ends_with('x'), "{row}");
    }
    assert_eq!(rows(&s.gust(&["activation", "list", "x", "--limit", "2"]).ok()).len(), 2);
    assert_eq!(rows(&s.gust(&["activation", "list", "other"]).ok()).len(), 0);
    assert_eq!(rows(&s.gust(&["activation", "list", "--skip", "3"]).ok()).len(), 1);
    let start = record["start"].as_u64().unwrap();
    assert_eq!(rows(&s.gust(&["activation", "list", "--upto", &(start - 1).to_string()]).ok()).len(), 1);
    assert_eq!(rows(&s.gust(&["activation", "list", "--since", &start.to_string()]).ok()).len(), 3);

    let out = s.gust(&["activation", "logs", &second]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{out:?}");
    assert!(lines[0].ends_with("stderr: hello from wat") && lines[0].starts_with("20"), "{out:?}");
    let out = s.gust(&["activation", "logs", "--last", "--strip"]).ok();
    assert_eq!(out.stdout, "hello from wat\n");
    let logs = s.json(&["activation", "logs", &second]);
    assert_eq!(logs["logs"].as_array().map(Vec::len), Some(1), "{logs}");

    let out = s.gust(&["activation", "result", &second]).ok();
    assert_eq!(serde_json::from_str::<Value>(&out.stdout).unwrap(), json!({"ok": true}));
    let response = s.json(&["activation", "result", "--last"]);
    assert_eq!((response["result"].clone(), response["status"].clone()), (json!({"ok": true}), json!("success")));
}

#[test]
fn failed_and_unfinished_activations() {
    let s = Server::start();
    let boom = s.module("boom", &wasi_command(r#"{"error":"boom"}"#, "", ""));
    let trap = s.module("trap", &wasi_command("", "about to trap\n", "unreachable"));
    let spin = s.module("spin", &wasi_command("", "", "(loop (br 0))"));
    s.gust(&["action", "create", "boom", boom.to_str().unwrap()]).ok();
    s.gust(&["action", "create", "trap", trap.to_str().unwrap()]).ok();
    s.gust(&["action", "create", "spin", spin.to_str().unwrap(), "--timeout", "500"]).ok();

    // An application error: the record on stdout, the failure on stderr, a failed exit.
    let out =
        s.gust(&["action", "invoke", "boom", "-b"]).fails_with("error: the action failed: application error: boom");
    assert_eq!(out.json_after_first_line()["response"]["status"], "application error");
    let out = s.gust(&["action", "invoke", "boom", "--result"]).fails_with("application error: boom");
    assert_eq!(serde_json::from_str::<Value>(&out.stdout).unwrap(), json!({"error": "boom"}));

    // An action developer error.
    let out =
        s.gust(&["action", "invoke", "trap", "-r"]).fails_with("error: the action failed: action developer error: ");
    assert!(out.stdout.contains("\"error\""), "{out:?}");
    let listed = s.rows_eventually(&["activation", "list", "trap"], 1);
    assert!(listed[0].contains("developer error"), "{listed:?}");

    // Past --wait, the activation goes on and the id is printed.
    let out = s.gust(&["action", "invoke", "spin", "--blocking", "--wait", "50"]).ok();
    let line = out.stdout.trim();
    assert!(line.starts_with("ok: invoked /_/spin, but the request has not yet finished, with id "), "{out:?}");
    let id = line.rsplit(' ').next().unwrap();
    let record = s.record(id);
    assert_eq!(record["response"]["status"], "action developer error");
    assert!(record["response"]["result"]["error"].as_str().unwrap().contains("time limit"), "{record}");
}

#[test]
fn errors_are_reported_with_the_servers_message() {
    let s = Server::start();
    let file = s.module("x", &ok_module());
    let file = file.to_str().unwrap();

    let out = s.gust(&["action", "get", "missing"]).fails_with("error: Unable to get action 'missing': ");
    assert!(out.stderr.contains("The requested resource does not exist. (code "), "{out:?}");
    assert!(out.stdout.is_empty());

    s.gust(&["action", "create", "x", file]).ok();
    s.gust(&["action", "create", "x", file]).fails_with("resource already exists");

    let wrong = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:wrongwrongwrongwrong";
    s.gust(&["action", "list", "--auth", wrong]).fails_with("The supplied authentication is invalid");
    s.gust(&["--auth", "nocolon", "namespace", "list"]).fails_with("UUID:KEY");

    let text = s.path("action.txt");
    std::fs::write(&text, "x").unwrap();
    s.gust(&["action", "create", "t", text.to_str().unwrap()]).fails_with("--kind");
    s.gust(&["action", "create", "t", text.to_str().unwrap(), "--kind", "cobol:85"])
        .fails_with("The specified runtime 'cobol:85' is not supported");
    s.gust(&["action", "create", "y", s.path("missing.wasm").to_str().unwrap()]).fails_with("missing.wasm");
    s.gust(&["action", "invoke", "x", "-P", text.to_str().unwrap()]).fails_with("not valid JSON");

    s.gust(&["activation", "get", "--last"]).fails_with("there are no activations yet");
    s.gust(&["activation", "logs", "0123"]).fails_with("Activation id length is 4 but must be 32.");
    s.gust(&["action", "get", "a/b/c"]).fails_with("not a valid entity name");

    let nobody = format!("http://127.0.0.1:{}", free_port());
    s.gust(&["namespace", "list", "--apihost", &nobody]).fails_with("is `gust standalone` running?");
    s.gust_with(&["action", "list"], &[("GUST_APIHOST", "gust.invalid")]).fails_with("AUTH=UUID:KEY");
}

#[test]
fn settings_come_from_flags_the_environment_and_the_props_file() {
    let s = Server::start();
    let out = s.gust(&["namespace", "list"]).ok();
    assert_eq!(out.stdout, "namespaces\nguest\n");
    assert_eq!(s.json(&["namespace", "list"]), json!(["guest"]));

    // The props file alone (its host has no scheme: loopback gets http://).
    let props = s.path("wskprops");
    std::fs::write(&props, format!("# test props\nAPIHOST=127.0.0.1:{}\nAUTH={GUEST}\nOTHER=1\n", s.port)).unwrap();
    let with_file = [("WSK_CONFIG_FILE", props.to_str().unwrap())];
    assert_eq!(s.gust_with(&["namespace", "list"], &with_file).ok().stdout, "namespaces\nguest\n");

    // The environment beats the file, and the flag beats the environment.
    let bad_auth = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:nopenopenopenopenope";
    let env_bad = [with_file[0], ("GUST_AUTH", bad_auth)];
    s.gust_with(&["namespace", "list"], &env_bad).fails_with("The supplied authentication is invalid");
    s.gust_with(&["namespace", "list", "--auth", GUEST], &env_bad).ok();
    let ow_env = [("__OW_API_HOST", s.url.as_str()), ("__OW_API_KEY", GUEST)];
    s.gust_with(&["namespace", "list"], &ow_env).ok();

    // Global flags go before or after the command.
    let before = s.gust_with(&["--json", "--apihost", &s.url, "namespace", "list"], &[]).ok();
    assert_eq!(serde_json::from_str::<Value>(&before.stdout).unwrap(), json!(["guest"]));
}

#[test]
fn actions_in_a_namespace_are_listed_by_namespace_argument() {
    let s = Server::start();
    let file = s.module("x", &ok_module());
    s.gust(&["action", "create", "x", file.to_str().unwrap()]).ok();
    for target in ["/guest", "/_", "/guest/"] {
        let listed = rows(&s.gust(&["action", "list", target]).ok());
        assert_eq!(listed.len(), 1, "{target}: {listed:?}");
        assert!(listed[0].starts_with("/guest/x "), "{listed:?}");
    }
    // Another namespace's actions are not the caller's to list.
    s.gust(&["action", "list", "/whisk.system"])
        .fails_with("Unable to obtain the list of actions for namespace 'whisk.system': ");
}

#[test]
fn an_action_sees_its_parameters_over_its_defaults() {
    let s = Server::start();
    let echo = s.module("echo", &echo_module());
    s.gust(&["action", "create", "echo", echo.to_str().unwrap(), "-p", "greeting", "hi"]).ok();
    let result = |args: &[&str]| {
        let out = s.gust(&[&["action", "invoke", "echo", "--result"], args].concat()).ok();
        serde_json::from_str::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(result(&["-p", "name", "Ada"]), json!({"greeting": "hi", "name": "Ada"}));
    assert_eq!(result(&["-p", "greeting", "yo", "-p", "n", "3"]), json!({"greeting": "yo", "n": 3}));
}

#[test]
fn package_arguments_are_checked_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: a request would fail with "is `gust standalone` running?".
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let vars = [("GUST_APIHOST", nobody.as_str())];
    let gust = |args: &[&str]| run_gust(dir.path(), args, &vars);
    gust(&["package", "get", "a/b"]).fails_with("'a/b' is not a valid package name");
    gust(&["package", "create", "/guest"]).fails_with("is not a valid package name");
    gust(&["package", "bind", "/whisk.system/utils/split", "b"]).fails_with("is not a valid package name");
    gust(&["package", "list", "/guest/pkg"]).fails_with("'/guest/pkg' is not a valid namespace");
    gust(&["list", "/guest/pkg"]).fails_with("is not a valid namespace");
    gust(&["action", "list", "pkg/x"]).fails_with("'pkg/x' is not a valid package name");
    gust(&["package", "create", "p", "--shared", "maybe"]).fails_with("invalid value 'maybe' for '--shared <yes|no>'");
    gust(&["package", "bind", "only-one"]).fails_with("BINDING");
    gust(&["package", "list"]).fails_with("is `gust standalone` running?");
}

#[test]
fn sequence_arguments_are_checked_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: a request would fail with "is `gust standalone` running?".
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let vars = [("GUST_APIHOST", nobody.as_str())];
    let gust = |args: &[&str]| run_gust(dir.path(), args, &vars);
    gust(&["action", "create", "s", "x.wasm", "--sequence", "a,b"])
        .fails_with("--sequence makes an action of other actions, so it takes no FILE (got 'x.wasm')");
    gust(&["action", "update", "s", "x.wasm", "--sequence", "a"]).fails_with("takes no FILE");
    gust(&["action", "create", "s", "--sequence", "a", "--kind", "nodejs:20"])
        .fails_with("--kind cannot go with --sequence");
    gust(&["action", "create", "s", "--sequence", "a", "--main", "run"]).fails_with("--main cannot go with --sequence");
    gust(&["action", "create", "s", "--sequence", "a", "--docker", "me/img"])
        .fails_with("--docker cannot go with --sequence");
    gust(&["action", "create", "s", "--sequence", "a,,b"]).fails_with("action 2 has no name");
    gust(&["action", "create", "s", "--sequence", ""]).fails_with("--sequence needs the actions to run");
    gust(&["action", "update", "s", "--sequence", "a/b/c"]).fails_with("'a/b/c' is not a valid entity name");
    gust(&["action", "create", "s"]).fails_with("<FILE>");
    // Well formed, it goes to the server.
    gust(&["action", "create", "s", "--sequence", "a,/other/pkg/c"]).fails_with("is `gust standalone` running?");
}

// The tests below need the server's packages (§4.3 of OpenWhisk's API), triggers and rules
// lists; they are written to OpenWhisk's contract.

#[test]
fn packages_are_created_bound_listed_read_and_deleted() {
    let s = Server::start();
    let out = s.gust(&["package", "create", "tools", "-p", "greeting", "hi", "-a", "description", "Handy tools"]).ok();
    assert_eq!(out.stdout, "ok: created package tools\n");
    s.gust(&["package", "create", "tools"])
        .fails_with("Unable to create package 'tools'")
        .fails_with("resource already exists");

    let out = s.gust(&["package", "get", "tools"]).ok();
    assert_eq!(out.stdout.lines().next(), Some("ok: got package tools"));
    let pkg = out.json_after_first_line();
    assert_eq!((&pkg["namespace"], &pkg["name"], &pkg["version"]), (&json!("guest"), &json!("tools"), &json!("0.0.1")));
    assert_eq!((&pkg["binding"], &pkg["publish"], &pkg["actions"]), (&json!({}), &json!(false), &json!([])));
    assert_eq!(pkg["parameters"], json!([{"key": "greeting", "value": "hi"}]));
    assert!(pkg["annotations"].as_array().unwrap().contains(&json!({"key": "description", "value": "Handy tools"})));

    // An update changes what its flags name and keeps the rest.
    assert_eq!(s.gust(&["package", "update", "tools", "--shared", "yes"]).ok().stdout, "ok: updated package tools\n");
    let pkg = s.json(&["package", "get", "tools"]);
    assert_eq!((&pkg["publish"], &pkg["version"]), (&json!(true), &json!("0.0.2")));
    assert_eq!(pkg["parameters"], json!([{"key": "greeting", "value": "hi"}]));

    // An action in the package sees the package's parameters under its own.
    let echo = s.module("echo", &echo_module());
    let echo = echo.to_str().unwrap();
    let described = r#"[{"name": "greeting"}, {"name": "name"}]"#;
    let out = s
        .gust(&["action", "create", "tools/echo", echo, "-a", "description", "Echoes", "-a", "parameters", described])
        .ok();
    assert_eq!(out.stdout, "ok: created action tools/echo\n");
    let out = s.gust(&["action", "invoke", "tools/echo", "-p", "name", "Ada", "--result"]).ok();
    assert_eq!(serde_json::from_str::<Value>(&out.stdout).unwrap(), json!({"greeting": "hi", "name": "Ada"}));
    let listed = rows(&s.gust(&["action", "list", "tools"]).ok());
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].split_whitespace().collect::<Vec<_>>(), ["/guest/tools/echo", "wasm:wasip1", "0.0.1"]);
    assert_eq!(s.json(&["action", "list", "/guest/tools"]).as_array().map(Vec::len), Some(1));
    assert_eq!(s.json(&["package", "get", "tools"])["actions"][0]["name"], "echo");

    // A binding: its own parameters over the package's, the package's actions.
    let out = s.gust(&["package", "bind", "/guest/tools", "mine", "-p", "greeting", "hello"]).ok();
    assert_eq!(out.stdout, "ok: created binding mine\n");
    let binding = s.json(&["package", "get", "mine"]);
    assert_eq!(
        (&binding["name"], &binding["binding"]),
        (&json!("mine"), &json!({"namespace": "guest", "name": "tools"}))
    );
    assert_eq!(binding["parameters"], json!([{"key": "greeting", "value": "hello"}]));
    let out = s.gust(&["action", "invoke", "mine/echo", "-p", "name", "Bo", "-r"]).ok();
    assert_eq!(serde_json::from_str::<Value>(&out.stdout).unwrap(), json!({"greeting": "hello", "name": "Bo"}));
    assert_eq!(rows(&s.gust(&["action", "list", "mine"]).ok()).len(), 1);
    s.gust(&["package", "bind", "missing", "other"])
        .fails_with("Binding creation failed: Binding references a package that does not exist.");

    // The list: `packages`, then one line per package, bindings marked.
    let out = s.gust(&["package", "list", "--name-sort"]).ok();
    let expected =
        ["packages".to_owned(), list_line("/guest/mine", "private binding"), list_line("/guest/tools", "shared")];
    assert_eq!(out.stdout, expected.join("\n") + "\n");
    let listed = s.json(&["package", "list"]);
    let by_name = |n: &str| listed.as_array().unwrap().iter().find(|p| p["name"] == n).cloned().unwrap();
    assert_eq!(by_name("tools")["binding"], json!(false));
    assert_eq!(by_name("mine")["binding"], json!({"namespace": "guest", "name": "tools"}));
    assert_eq!(rows(&s.gust(&["package", "list", "--limit", "1"]).ok()).len(), 1);
    assert_eq!(rows(&s.gust(&["package", "list", "/guest", "--skip", "1"]).ok()).len(), 1);

    let out = s.gust(&["package", "get", "tools", "--summary"]).ok();
    let summary = [
        "package /guest/tools: Handy tools",
        "   (parameters: *greeting)",
        " action /guest/tools/echo: Echoes",
        "   (parameters: greeting, name)",
    ];
    assert_eq!(out.stdout, summary.join("\n") + "\n");
    let out = s.gust(&["package", "get", "mine", "-s"]).ok();
    assert!(out.stdout.starts_with("package /guest/mine: Returns a result based on parameter greeting\n"), "{out:?}");

    // A package with actions is not deleted; a binding always is.
    s.gust(&["package", "delete", "tools"]).fails_with("Unable to delete package 'tools': Package not empty");
    assert_eq!(s.gust(&["package", "delete", "mine"]).ok().stdout, "ok: deleted package mine\n");
    s.gust(&["action", "delete", "tools/echo"]).ok();
    assert_eq!(s.json(&["package", "delete", "/guest/tools"])["name"], "tools");
    s.gust(&["package", "get", "tools"])
        .fails_with("Unable to get package 'tools': The requested resource does not exist.");
    assert_eq!(s.gust(&["package", "list"]).ok().stdout, "packages\n");
}

#[test]
fn namespace_get_and_list_show_every_collection() {
    let s = Server::start();
    let empty = "Entities in namespace: default\npackages\nactions\ntriggers\nrules\n";
    assert_eq!(s.gust(&["list"]).ok().stdout, empty);
    assert_eq!(s.gust(&["namespace", "get"]).ok().stdout, empty);
    assert_eq!(s.gust(&["list", "/guest"]).ok().stdout, empty.replace("default", "guest"));
    assert_eq!(s.json(&["list"]), json!({"packages": [], "actions": [], "triggers": [], "rules": []}));

    let file = s.module("x", &ok_module());
    let file = file.to_str().unwrap();
    s.gust(&["action", "create", "x", file]).ok();
    s.gust(&["package", "create", "p"]).ok();
    s.gust(&["action", "create", "p/y", file]).ok();
    let expected = [
        "Entities in namespace: default".to_owned(),
        "packages".to_owned(),
        list_line("/guest/p", "private"),
        "actions".to_owned(),
        list_line("/guest/x", "private wasm:wasip1"),
        list_line("/guest/p/y", "private wasm:wasip1"),
        "triggers".to_owned(),
        "rules".to_owned(),
    ];
    assert_eq!(s.gust(&["list", "--name-sort"]).ok().stdout, expected.join("\n") + "\n");
    let unsorted = s.gust(&["namespace", "get"]).ok().stdout;
    let mut lines: Vec<&str> = unsorted.lines().collect();
    let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
    lines.sort_unstable();
    want.sort_unstable();
    assert_eq!(lines, want, "{unsorted}");
    let all = s.json(&["list"]);
    assert_eq!((all["actions"].as_array().map(Vec::len), all["packages"][0]["name"].clone()), (Some(2), json!("p")));

    s.gust(&["list", "/whisk.system"])
        .fails_with("Unable to obtain the list of entities for namespace 'whisk.system': ");
}

// Sequences need the server's side of them (actions with `exec.kind: sequence`); this test is
// written to OpenWhisk's REST contract.

#[test]
fn sequences_are_created_invoked_and_their_components_listed() {
    let s = Server::start();
    let echo = s.module("echo", &echo_module());
    let echo = echo.to_str().unwrap();
    s.gust(&["action", "create", "echo", echo]).ok();
    s.gust(&["package", "create", "tools", "-p", "greeting", "hi"]).ok();
    s.gust(&["action", "create", "tools/echo", echo]).ok();

    let out = s.gust(&["action", "create", "s", "--sequence", "echo,tools/echo,/guest/echo"]).ok();
    assert_eq!(out.stdout, "ok: created action s\n");
    let out = s.gust(&["action", "get", "s"]).ok();
    assert_eq!(out.stdout.lines().next(), Some("ok: got action s"));
    let action = out.json_after_first_line();
    assert_eq!(action["exec"]["kind"], "sequence", "{action}");
    // `/_/` is the caller's own namespace, which OpenWhisk stores resolved.
    let stored: Vec<String> = action["exec"]["components"]
        .as_array()
        .unwrap_or_else(|| panic!("components in {action}"))
        .iter()
        .map(|c| c.as_str().unwrap().replace("/_/", "/guest/"))
        .collect();
    assert_eq!(stored, ["/guest/echo", "/guest/tools/echo", "/guest/echo"]);
    assert!(action["annotations"].as_array().unwrap().contains(&json!({"key": "exec", "value": "sequence"})));
    let listed = rows(&s.gust(&["action", "list"]).ok());
    let row = listed.iter().find(|r| r.starts_with("/guest/s ")).unwrap_or_else(|| panic!("{listed:?}"));
    assert_eq!(row.split_whitespace().nth(1), Some("sequence"), "{row}");

    // Each result is the next one's parameters; tools/echo adds its package's.
    let out = s.gust(&["action", "invoke", "s", "-p", "name", "Ada", "--result"]).ok();
    assert_eq!(serde_json::from_str::<Value>(&out.stdout).unwrap(), json!({"greeting": "hi", "name": "Ada"}));

    // The record: kind `sequence`, the components' ids as its logs, each component caused by it.
    let id = invoked_id(&s.gust(&["action", "invoke", "s", "-p", "name", "Bo", "--blocking"]).ok());
    let record = s.record(&id);
    assert!(record["annotations"].as_array().unwrap().contains(&json!({"key": "kind", "value": "sequence"})));
    let ids: Vec<String> = record["logs"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect();
    let paths = ["guest/echo", "guest/tools/echo", "guest/echo"];
    assert_eq!(ids.len(), paths.len(), "{record}");
    for cid in &ids {
        assert_eq!(s.record(cid)["cause"], id.as_str());
    }

    // `activation get`: the record, then one line per component.
    let out = s.gust(&["activation", "get", &id]).ok();
    let (head, listing) = out.stdout.split_once("\ncomponents\n").unwrap_or_else(|| panic!("{out:?}"));
    assert_eq!(head.lines().next(), Some(format!("ok: got activation {id}").as_str()));
    let shown: Value = serde_json::from_str(head.split_once('\n').unwrap().1).unwrap();
    assert_eq!(shown["activationId"], id.as_str());
    let lines: Vec<&str> = listing.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["#", "ACTIVATION", "ID", "ACTION", "STATUS", "DURATION"], "{out:?}");
    assert_eq!(lines.len(), 1 + ids.len(), "{out:?}");
    for (i, line) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let index = (i + 1).to_string();
        assert_eq!(cells[..4], [index.as_str(), ids[i].as_str(), paths[i], "success"], "{line}");
        assert!(cells.len() == 5 && cells[4] != "-", "{line}");
    }
    // --json: the server's record only.
    assert_eq!(s.json(&["activation", "get", &id]), shown);

    // An update replaces the components.
    assert_eq!(
        s.gust(&["action", "update", "s", "--sequence", "/guest/tools/echo"]).ok().stdout,
        "ok: updated action s\n"
    );
    let action = s.json(&["action", "get", "s"]);
    assert_eq!((&action["exec"]["components"], &action["version"]), (&json!(["/guest/tools/echo"]), &json!("0.0.2")));
    let out = s.gust(&["action", "invoke", "s", "-r"]).ok();
    assert_eq!(serde_json::from_str::<Value>(&out.stdout).unwrap(), json!({"greeting": "hi"}));

    // A component that does not exist is refused.
    s.gust(&["action", "create", "bad", "--sequence", "echo,missing"]).fails_with("Unable to create action 'bad': ");
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["action", "--help"],
        &["action", "create", "--help"],
        &["action", "invoke", "--help"],
        &["activation", "logs", "--help"],
        &["activation", "get", "--help"],
        &["namespace", "list", "--help"],
        &["namespace", "get", "--help"],
        &["list", "--help"],
        &["package", "--help"],
        &["package", "create", "--help"],
        &["package", "bind", "--help"],
        &["package", "get", "--help"],
        &["package", "list", "--help"],
        &["standalone", "--help"],
    ] {
        let out = run_gust(dir.path(), args, &[]).ok();
        assert!(out.stdout.contains("Usage: gust"), "{args:?}: {out:?}");
    }
    let create = run_gust(dir.path(), &["action", "create", "--help"], &[]).ok().stdout;
    for flag in [
        "--kind",
        "--param <KEY> <VALUE>",
        "--param-file",
        "--annotation",
        "--timeout",
        "--memory",
        "--main",
        "--sequence <A,B,...>",
    ] {
        assert!(create.contains(flag), "{flag} in {create}");
    }
    let package = run_gust(dir.path(), &["package", "update", "--help"], &[]).ok().stdout;
    for flag in ["--param <KEY> <VALUE>", "--param-file", "--annotation <KEY> <VALUE>", "--annotation-file", "--shared"]
    {
        assert!(package.contains(flag), "{flag} in {package}");
    }
}
