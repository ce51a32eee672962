//! The HTTP side: `POST /init` and `POST /run` on the container's port 8080.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::child::Launcher;
use crate::config::Config;
use crate::init::{self, InitError, InitRequest};
use crate::run::{Outcome, Pool};
use crate::sentinel::write_sentinels;

/// Requests up to this size are read (OpenWhisk's code limit is 48 MB, base64 adds a third).
const BODY_LIMIT: usize = 128 * 1024 * 1024;

/// Where the action is in its life.
#[derive(Debug)]
enum Phase {
    /// No `/init` yet.
    Fresh,
    /// An `/init` is under way.
    Initializing,
    /// Initialised: activations run on the pool.
    Ready(Arc<Pool>),
    /// The `/init` failed; the invoker destroys such a container.
    Failed,
}

/// The proxy's shared state.
#[derive(Debug)]
pub(crate) struct Proxy {
    config: Config,
    phase: Mutex<Phase>,
    /// The launcher started ahead of `/init` (python and nodejs), until `/init` takes it.
    zygote: Mutex<Option<Launcher>>,
}

impl Proxy {
    /// A proxy with no action yet; starts the runtime's zygote (so call it within the Tokio
    /// runtime).
    pub(crate) fn new(config: Config) -> Self {
        let zygote = init::start_zygote(&config);
        Self { config, phase: Mutex::new(Phase::Fresh), zygote: Mutex::new(zygote) }
    }

    fn set_phase(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
    }
}

/// The routes.
pub(crate) fn router(proxy: Arc<Proxy>) -> Router {
    Router::new()
        .route("/init", post(init))
        .route("/run", post(run))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not found.") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(proxy)
}

async fn init(State(proxy): State<Arc<Proxy>>, body: Bytes) -> Response {
    let request: InitRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("Invalid /init request: {e}")),
    };
    {
        let mut phase = proxy.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if !matches!(*phase, Phase::Fresh) {
            return error(StatusCode::FORBIDDEN, "Cannot initialize the action more than once.");
        }
        if !request.value.has_code() {
            return error(StatusCode::FORBIDDEN, "Missing main/no code to execute.");
        }
        *phase = Phase::Initializing;
    }
    let zygote = proxy.zygote.lock().unwrap_or_else(PoisonError::into_inner).take();
    // A task of its own, so that a client giving up does not leave a half-started launcher.
    let outcome = tokio::spawn(init::initialize(proxy.config.clone(), request.value, zygote)).await;
    let failure = match outcome {
        Ok(Ok(pool)) => {
            proxy.set_phase(Phase::Ready(Arc::new(pool)));
            return json_response(StatusCode::OK, json!({ "ok": true }));
        }
        Ok(Err(InitError::Refused(error))) => error,
        Ok(Err(InitError::Failed(why))) => {
            Value::String(format!("The action failed during initialization: {}", with_period(&why)))
        }
        Err(e) => Value::String(format!("The action failed during initialization: {e}")),
    };
    proxy.set_phase(Phase::Failed);
    write_sentinels();
    json_response(StatusCode::BAD_GATEWAY, json!({ "error": failure }))
}

async fn run(State(proxy): State<Arc<Proxy>>, body: Bytes) -> Response {
    let pool = match &*proxy.phase.lock().unwrap_or_else(PoisonError::into_inner) {
        Phase::Ready(pool) => Some(Arc::clone(pool)),
        Phase::Fresh | Phase::Initializing | Phase::Failed => None,
    };
    let Some(pool) = pool else {
        write_sentinels();
        return error(StatusCode::INTERNAL_SERVER_ERROR, "no action defined yet");
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request @ Value::Object(_)) => request,
        Ok(_) => return bad_run_request("not a JSON object"),
        Err(e) => return bad_run_request(&e.to_string()),
    };
    let deadline = init::deadline_from(request.get("deadline").map(|d| match d {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }));
    let mut line = request.to_string().into_bytes();
    line.push(b'\n');
    // A task of its own: once a line is sent its answer must be read, even if the client left.
    let outcome = tokio::spawn(async move {
        let outcome = pool.run(&line, deadline).await;
        write_sentinels();
        outcome
    })
    .await;
    match outcome {
        Ok(Outcome::Result(body)) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        // The launcher said the run failed (OpenWhisk's Node.js runtime: main threw).
        Ok(Outcome::Failed(failure)) => json_response(StatusCode::BAD_GATEWAY, json!({ "error": failure })),
        Ok(Outcome::NotADictionary) => {
            error(StatusCode::BAD_GATEWAY, "The action did not return a dictionary or array.")
        }
        Ok(Outcome::Gone) | Err(_) => {
            error(StatusCode::BAD_GATEWAY, "The action did not produce a valid response and exited unexpectedly.")
        }
        Ok(Outcome::CannotStart(why)) => error(
            StatusCode::BAD_GATEWAY,
            &format!("Cannot start another instance of the action for a concurrent run: {}", with_period(&why)),
        ),
    }
}

fn bad_run_request(why: &str) -> Response {
    write_sentinels();
    error(StatusCode::BAD_REQUEST, &format!("Invalid /run request: {why}"))
}

fn with_period(sentence: &str) -> String {
    if sentence.ends_with(['.', '!', '?']) { sentence.to_owned() } else { format!("{sentence}.") }
}

fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "error": message }))
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
