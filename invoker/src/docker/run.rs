//! One activation of a Docker action: take a place from the pool, start or initialise a
//! container when needed, `/run`, collect the logs, and tell the pool the container's fate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use gust_core::action::Action;
use gust_core::activation::{ActivationResponse, ActivationStatus};
use gust_core::exec::Exec;
use gust_core::time::now_ms;
use serde_json::{Map, Value, json};

use super::DockerExecutor;
use super::client::DockerError;
use super::container::{Answer, CallError, Container};
use super::placement::WarmKey;
use super::pool::{AcquireRequest, Fate, Lease};
use crate::classify::{MAX_RESULT_BYTES, classify_output, messages};
use crate::executor::{Leftovers, RunOutcome, RunRequest, Runnable};

/// How long to wait for more output before deciding a runtime's sentinels are not coming.
const LOG_IDLE: Duration = Duration::from_secs(2);
/// The same for images that may not write sentinels, and for containers being destroyed.
const LOG_IDLE_SHORT: Duration = Duration::from_millis(100);

/// A Docker action revision, ready to run.
pub(crate) struct DockerAction {
    name: String,
    kind: String,
    image: String,
    blackbox: bool,
    code: Option<String>,
    main: Option<String>,
    binary: bool,
    memory_mb: u64,
    max_active: u32,
    timeout: Duration,
    log_bytes: u64,
    ex: Arc<DockerExecutor>,
}

impl DockerAction {
    pub(crate) fn new(action: &Action, image: String, ex: Arc<DockerExecutor>) -> Self {
        let (code, main, binary, blackbox) = match &action.exec {
            Exec::Code { code, main, binary, .. } => (code.clone(), main.clone(), *binary, false),
            Exec::Blackbox { code, main, binary, .. } => (code.clone(), main.clone(), *binary, true),
            Exec::Sequence { .. } => (None, None, false, false),
        };
        Self {
            name: action.meta.name.clone(),
            kind: action.exec.kind().to_owned(),
            image,
            blackbox,
            code,
            main,
            binary,
            memory_mb: u64::from(action.limits.memory),
            max_active: action.limits.concurrency.max(1),
            timeout: Duration::from_millis(action.limits.timeout),
            log_bytes: action.limits.log_bytes(),
            ex,
        }
    }

    fn init_body(&self, env: &[(String, String)]) -> Value {
        let mut value = json!({
            "name": self.name,
            "main": self.main.clone().unwrap_or_else(|| "main".into()),
            "binary": self.binary,
            "env": init_env(env),
        });
        if let Some(code) = &self.code {
            value["code"] = Value::String(code.clone());
        }
        json!({ "value": value })
    }

    fn outcome(&self, response: ActivationResponse, logs: Vec<String>, started: u64, init: Option<u64>) -> RunOutcome {
        RunOutcome {
            response,
            logs,
            timed_out: false,
            init_time_ms: init,
            started_ms: Some(started),
            leftovers: Leftovers::default(),
        }
    }
}

/// The variable that is the container's, never the activation's: like OpenWhisk, the API
/// host is set when the container is created (the address containers reach the server at,
/// which may differ from the one the invoker was given for other sandboxes), so it is in
/// neither the `/init` environment nor the `/run` body.
const API_HOST: &str = "__OW_API_HOST";

/// The `/init` environment: the activation's (init parameters and `__OW_*` context), as
/// strings, without the API host.
fn init_env(env: &[(String, String)]) -> Map<String, Value> {
    env.iter().filter(|(k, _)| k != API_HOST).map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()
}

/// The `/run` body: the parameters and the activation context (`__OW_X` becomes `x`).
fn run_body(params: &[u8], env: &[(String, String)]) -> Value {
    let value: Value = serde_json::from_slice(params).unwrap_or_else(|_| json!({}));
    let mut body = Map::new();
    body.insert("value".into(), value);
    for (k, v) in env {
        if k == API_HOST {
            continue;
        }
        if let Some(key) = k.strip_prefix("__OW_") {
            body.insert(key.to_ascii_lowercase(), Value::String(v.clone()));
        }
    }
    Value::Object(body)
}

/// The error a runtime reported in a non-200 answer.
fn runtime_error(a: &Answer, fallback: &str) -> String {
    match serde_json::from_slice::<Value>(&a.body) {
        Ok(Value::Object(m)) => match m.get("error") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => format!("{fallback}: {}", String::from_utf8_lossy(&a.body)),
        },
        _ => format!("{fallback}: {}", String::from_utf8_lossy(&a.body).trim()),
    }
}

fn developer(message: impl Into<String>) -> ActivationResponse {
    ActivationResponse::error(ActivationStatus::DeveloperError, message)
}

impl DockerAction {
    /// Collects this activation's logs; incomplete logs make the container unfit for reuse.
    async fn logs(&self, c: &Container, quick: bool, fate: &mut Fate) -> Vec<String> {
        let mut reader = c.logs().lock().await;
        if self.max_active > 1 {
            // Concurrent activations' output cannot be told apart: like OpenWhisk, none is kept.
            reader.discard();
            return vec![];
        }
        let idle = if quick || self.blackbox { LOG_IDLE_SHORT } else { LOG_IDLE };
        let collected = reader.collect(self.log_bytes, idle).await;
        if !collected.complete && !self.blackbox {
            *fate = Fate::Destroy;
        }
        collected.lines
    }

    /// A developer error for a runtime that died: out of memory, or exited.
    async fn died(&self, c: &Container, message: &str) -> ActivationResponse {
        if self.ex.oom.killed(&self.ex.docker, &c.id).await {
            developer(messages::OUT_OF_MEMORY)
        } else {
            developer(message)
        }
    }
}

#[async_trait]
impl Runnable for DockerAction {
    async fn run(&self, req: RunRequest<'_>) -> RunOutcome {
        let ex = &self.ex;
        let key = WarmKey {
            namespace: req.msg.user.namespace.clone(),
            action: req.msg.action.doc_id(),
            revision: req.msg.revision.clone(),
        };
        let acquire =
            AcquireRequest { key, kind: self.kind.clone(), memory_mb: self.memory_mb, max_active: self.max_active };
        let Some(lease) = ex.pool.acquire(acquire).await else {
            let r = ActivationResponse::error(ActivationStatus::WhiskError, "The invoker is shutting down.");
            return self.outcome(r, vec![], now_ms(), None);
        };
        let (slot, container, needs_init) = match lease {
            Lease::Warm { slot, container, paused } => {
                if paused && let Err(e) = ex.docker.unpause(&container.id).await {
                    ex.pool.release(slot, None, Fate::Destroy);
                    let r = ActivationResponse::error(
                        ActivationStatus::WhiskError,
                        format!("Could not resume the container: {e}"),
                    );
                    return self.outcome(r, vec![], now_ms(), None);
                }
                (slot, container, false)
            }
            Lease::Prewarm { slot, container } => (slot, container, true),
            Lease::Cold { slot } => {
                let what = format!("{}_{}", req.msg.user.namespace, self.name);
                match ex.starter.start(slot, &self.kind, &self.image, self.memory_mb, &what).await {
                    Ok(c) => (slot, Arc::new(c), true),
                    Err(e) => {
                        ex.pool.release(slot, None, Fate::Destroy);
                        let r = match e {
                            DockerError::NoSuchImage(image) => developer(format!(
                                "The image '{image}' is not present on this machine, and Gust does not pull images: build or load it with docker first."
                            )),
                            other => ActivationResponse::error(
                                ActivationStatus::WhiskError,
                                format!("Failed to provision resources to run the action: {other}"),
                            ),
                        };
                        return self.outcome(r, vec![], now_ms(), None);
                    }
                }
            }
        };

        let started = now_ms();
        let mut init_ms = None;
        if needs_init {
            let t = Instant::now();
            let answer = container.init(&self.init_body(&req.env), self.timeout).await;
            init_ms = Some(t.elapsed().as_millis() as u64);
            // (response, logs come quickly, timed out)
            let failure = match answer {
                Ok(a) if a.status == 200 => None,
                Ok(a) => Some((developer(runtime_error(&a, "The action failed during initialization")), false, false)),
                Err(CallError::Timeout) => Some((
                    developer(format!(
                        "The action exceeded its time limits of {} milliseconds during initialization.",
                        self.timeout.as_millis()
                    )),
                    true,
                    true,
                )),
                Err(CallError::Connection(_) | CallError::Unreachable(_)) => Some((
                    self.died(&container, "The action did not initialize and exited unexpectedly.").await,
                    true,
                    false,
                )),
            };
            if let Some((response, quick, timed_out)) = failure {
                let mut fate = Fate::Destroy;
                let logs = self.logs(&container, quick, &mut fate).await;
                ex.pool.release(slot, Some(container), Fate::Destroy);
                let mut out = self.outcome(response, logs, started, init_ms);
                out.timed_out = timed_out;
                return out;
            }
            ex.pool.initialized(slot, container.clone());
        }

        let body = run_body(&req.params, &req.env);
        let answer = container.run(&body, self.timeout, MAX_RESULT_BYTES + 1).await;
        let mut extra = vec![];
        let mut timed_out = false;
        let (response, mut fate, quick) = match answer {
            Ok(a) if a.status == 200 => {
                let r = classify_output(&a.body, a.size, MAX_RESULT_BYTES, &mut extra);
                let fate = match r.status {
                    ActivationStatus::Success | ActivationStatus::ApplicationError => Fate::Keep,
                    _ => Fate::Destroy,
                };
                (r, fate, false)
            }
            Ok(a) => {
                let msg = runtime_error(&a, "The action did not produce a valid JSON or JSON Array response");
                let r = if msg.contains("exited unexpectedly") {
                    self.died(&container, &msg).await
                } else {
                    developer(msg)
                };
                (r, Fate::Destroy, false)
            }
            Err(CallError::Timeout) => {
                timed_out = true;
                (developer(messages::timeout(self.timeout.as_millis() as u64)), Fate::Destroy, true)
            }
            Err(CallError::Connection(_) | CallError::Unreachable(_)) => (
                self.died(&container, "The action did not produce a valid response and exited unexpectedly.").await,
                Fate::Destroy,
                true,
            ),
        };
        let mut logs = self.logs(&container, quick, &mut fate).await;
        logs.extend(extra);
        ex.pool.release(slot, Some(container), fate);
        let mut out = self.outcome(response, logs, started, init_ms);
        out.timed_out = timed_out;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_body_carries_the_context_without_the_api_host() {
        let env = vec![
            ("__OW_ACTIVATION_ID".to_owned(), "abc".to_owned()),
            ("__OW_API_HOST".to_owned(), "http://h".to_owned()),
            ("__OW_API_KEY".to_owned(), "u:k".to_owned()),
            ("secret".to_owned(), "init only".to_owned()),
        ];
        let b = run_body(br#"{"x":1}"#, &env);
        assert_eq!(b, json!({"value": {"x": 1}, "activation_id": "abc", "api_key": "u:k"}));
    }

    #[test]
    fn the_init_env_carries_the_context_without_the_api_host() {
        let env = vec![
            ("__OW_ACTIVATION_ID".to_owned(), "abc".to_owned()),
            ("__OW_API_HOST".to_owned(), "http://127.0.0.1:3233".to_owned()),
            ("__OW_API_KEY".to_owned(), "u:k".to_owned()),
            ("secret".to_owned(), "init only".to_owned()),
        ];
        let e = Value::Object(init_env(&env));
        assert_eq!(e, json!({"__OW_ACTIVATION_ID": "abc", "__OW_API_KEY": "u:k", "secret": "init only"}));
    }

    #[test]
    fn runtime_errors_use_the_error_field_or_quote_the_body() {
        let a = Answer { status: 502, body: br#"{"error":"boom"}"#.to_vec(), size: 16 };
        assert_eq!(runtime_error(&a, "x"), "boom");
        let a = Answer { status: 500, body: b"oops".to_vec(), size: 4 };
        assert_eq!(
            runtime_error(&a, "The action failed during initialization"),
            "The action failed during initialization: oops"
        );
    }
}
