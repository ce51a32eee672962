//! The Wasm path against small hand-written modules (WAT), each probing one outcome.

use std::time::{Duration, Instant};

use gust_core::activation::ActivationStatus;
use serde_json::json;

use super::*;

fn executor(dir: &tempfile::TempDir) -> WasmExecutor {
    let mut s = WasmSettings::new(dir.path().join("cache"));
    s.max_instances = 8;
    WasmExecutor::new(&s).expect("engine")
}

fn limits(timeout_ms: u64) -> DirectLimits {
    DirectLimits { timeout: Duration::from_millis(timeout_ms), memory_bytes: 128 << 20, log_bytes: 1 << 20 }
}

/// A WASI command whose `_start` writes `stdout` to fd 1 and `stderr` to fd 2, then runs `tail`.
fn command(stdout: &str, stderr: &str, tail: &str) -> Vec<u8> {
    let esc = |s: &str| s.bytes().map(|b| format!("\\{b:02x}")).collect::<String>();
    let wat = format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 1024) "{out}")
          (data (i32.const 4096) "{err}")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 1024))
            (i32.store (i32.const 4) (i32.const {olen}))
            (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
            (i32.store (i32.const 0) (i32.const 4096))
            (i32.store (i32.const 4) (i32.const {elen}))
            (drop (call $w (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 16)))
            {tail}))"#,
        out = esc(stdout),
        err = esc(stderr),
        olen = stdout.len(),
        elen = stderr.len(),
    );
    wat::parse_str(wat).expect("valid wat")
}

#[tokio::test]
async fn a_command_that_prints_an_object_succeeds_with_its_logs() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let m = ex.load(&command(r#"{"ok":true}"#, "first\nsecond\n", "")).unwrap();
    let out = m.invoke(b"{}".to_vec(), &[], limits(1000)).await;
    assert_eq!(out.response.status, ActivationStatus::Success);
    assert_eq!(out.response.result, Some(json!({"ok": true})));
    assert_eq!(out.logs.len(), 2);
    assert!(out.logs[1].ends_with("stderr: second"));
}

#[tokio::test]
async fn junk_bytes_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let err = ex.load(b"definitely not wasm").unwrap_err();
    assert!(matches!(err, WasmError::Invalid(_)), "{err:?}");
    assert!(err.to_string().starts_with("The action code is not a valid WebAssembly module"));
}

#[tokio::test]
async fn a_library_without_start_is_not_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let wasm = wat::parse_str(r#"(module (func (export "run")))"#).unwrap();
    assert_eq!(ex.load(&wasm).unwrap_err(), WasmError::NotACommand);
}

#[tokio::test]
async fn foreign_imports_are_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let wasm = wat::parse_str(r#"(module (import "env" "magic" (func)) (func (export "_start")))"#).unwrap();
    let err = ex.load(&wasm).unwrap_err();
    assert!(matches!(err, WasmError::Link(_)), "{err:?}");
}

#[tokio::test]
async fn an_endless_loop_stops_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let m = ex.load(&wat::parse_str(r#"(module (func (export "_start") (loop (br 0))))"#).unwrap()).unwrap();
    let t = Instant::now();
    let out = m.invoke(vec![], &[], limits(200)).await;
    let took = t.elapsed();
    assert!(out.timed_out);
    assert_eq!(out.response.status, ActivationStatus::DeveloperError);
    assert_eq!(out.response.result, Some(json!({"error": "The action exceeded its time limits of 200 milliseconds."})));
    assert!(took >= Duration::from_millis(200) && took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn growing_past_the_memory_limit_is_reported_as_out_of_memory() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let wasm = wat::parse_str(
        r#"(module (memory 1)
             (func (export "_start")
               (loop (br_if 0 (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
               unreachable))"#,
    )
    .unwrap();
    let m = ex.load(&wasm).unwrap();
    let out = m.invoke(vec![], &[], limits(5000)).await;
    assert_eq!(out.response.result, Some(json!({"error": "The action exhausted its memory and was aborted."})));
}

#[tokio::test]
async fn a_trap_is_a_developer_error_that_names_the_trap() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let m = ex.load(&command("", "about to fail\n", "unreachable")).unwrap();
    let out = m.invoke(vec![], &[], limits(1000)).await;
    assert_eq!(out.response.status, ActivationStatus::DeveloperError);
    let msg = out.response.result.unwrap()["error"].as_str().unwrap().to_owned();
    assert!(msg.contains("unreachable"), "{msg}");
    assert_eq!(out.logs.len(), 1, "logs written before the trap are kept");
}

#[tokio::test]
async fn a_nonzero_exit_without_output_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let m = ex.load(&command("", "", "(call $exit (i32.const 3))")).unwrap();
    let out = m.invoke(vec![], &[], limits(1000)).await;
    assert_eq!(
        out.response.result,
        Some(json!({"error": "The action did not produce a valid response and exited unexpectedly (exit code 3)."}))
    );
}

#[tokio::test]
async fn modules_are_compiled_once_and_cached_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let wasm = command("{}", "", "");
    ex.load(&wasm).unwrap();
    let files = || std::fs::read_dir(dir.path().join("cache")).unwrap().count();
    assert_eq!(files(), 1);
    ex.load(&wasm).unwrap();
    assert_eq!(files(), 1);
}

#[tokio::test]
async fn instances_do_not_share_state() {
    // A module that counts in a global and in memory: a fresh instance always starts at zero.
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&dir);
    let wasm = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
            (call $exit (i32.add (i32.const 10) (i32.load (i32.const 0))))))"#,
    )
    .unwrap();
    let m = ex.load(&wasm).unwrap();
    for _ in 0..3 {
        let out = m.invoke(vec![], &[], limits(1000)).await;
        let msg = out.response.result.unwrap()["error"].as_str().unwrap().to_owned();
        assert!(msg.contains("exit code 11"), "{msg}");
    }
}
