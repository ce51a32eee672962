//! Bursts of non-blocking invokes, with something done to the deployment half way (a process
//! killed): what was accepted, and what got no answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::stream::{self, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::Api;

/// What a burst of invokes got back.
#[derive(Debug)]
pub struct Burst {
    /// Ids of the invokes answered 202.
    pub accepted: Vec<String>,
    /// Invokes that got no answer at all (their controller died mid-request): each may or
    /// may not have been published before it died, so each may or may not have a record.
    pub unanswered: usize,
}

/// Sends `n` non-blocking invokes of `action` through `api`, `width` at a time, calling
/// `during()` once `at` have been accepted.
pub async fn burst(api: &Api, action: &str, n: usize, width: usize, at: usize, during: impl FnOnce()) -> Burst {
    let accepted = Arc::new(AtomicUsize::new(0));
    let unanswered = Arc::new(AtomicUsize::new(0));
    let mut during = Some(during);
    let mut ids = Vec::with_capacity(n);
    let mut results = stream::iter(0..n)
        .map(|i| {
            let api = api.clone();
            let accepted = accepted.clone();
            let unanswered = unanswered.clone();
            async move {
                // A controller that died answers nothing: that invoke was not accepted. One
                // that could not even connect never reached it, so it cannot have run.
                let body = serde_json::to_vec(&json!({"i": i, "ms": 20})).ok();
                let path = format!("/api/v1/namespaces/_/actions/{action}");
                let r = match api.try_raw(Method::POST, &path, Some("application/json"), body).await {
                    Ok(r) => r,
                    Err(e) => {
                        if !e.is_connect() {
                            unanswered.fetch_add(1, Ordering::SeqCst);
                        }
                        return None;
                    }
                };
                if r.status == StatusCode::ACCEPTED {
                    accepted.fetch_add(1, Ordering::SeqCst);
                    r.body["activationId"].as_str().map(str::to_owned)
                } else {
                    None
                }
            }
        })
        .buffer_unordered(width);
    while let Some(id) = results.next().await {
        ids.extend(id);
        if accepted.load(Ordering::SeqCst) >= at
            && let Some(f) = during.take()
        {
            f();
        }
    }
    Burst { accepted: ids, unanswered: unanswered.load(Ordering::SeqCst) }
}
