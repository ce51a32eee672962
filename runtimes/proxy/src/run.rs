//! Running activations on an initialised action: one launcher, or a small pool of them when the
//! action allows concurrent activations.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::child::{Launcher, NotReady, Setup};

/// The most launchers one action may have, whatever `__OW_ALLOW_CONCURRENT` says.
const MAX_CONCURRENCY: usize = 256;

/// How one activation went.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The launcher answered a JSON object or array: the response body.
    Result(Vec<u8>),
    /// The launcher said the run failed, with what to answer as `error` (a developer error; see
    /// [`FAILED_PREFIX`]).
    Failed(Value),
    /// The launcher answered something else.
    NotADictionary,
    /// The launcher is gone (now or before this run).
    Gone,
    /// Another launcher was needed for a concurrent run and could not be started.
    CannotStart(String),
}

/// The launchers of one initialised action.
#[derive(Debug)]
pub(crate) struct Pool {
    setup: Setup,
    /// Launchers not serving a run right now.
    idle: Mutex<Vec<Launcher>>,
    /// One permit per launcher the action may have: runs beyond that wait, in arrival order.
    slots: Semaphore,
    /// Set once a launcher has died: the container is broken, every later run fails.
    dead: AtomicBool,
}

impl Pool {
    /// A pool holding the first, already acknowledged, launcher.
    pub(crate) fn new(setup: Setup, first: Launcher, concurrency: usize) -> Self {
        Self {
            setup,
            idle: Mutex::new(vec![first]),
            slots: Semaphore::new(concurrency.clamp(1, MAX_CONCURRENCY)),
            dead: AtomicBool::new(false),
        }
    }

    /// Runs one activation: `line` (compact JSON and `\n`) to a free launcher, its answer back.
    ///
    /// `deadline` bounds only the start of an extra launcher. Call this from a task of its own:
    /// if it were cancelled between sending and reading, the launcher's answer would be left
    /// behind for the next run.
    pub(crate) async fn run(&self, line: &[u8], deadline: Instant) -> Outcome {
        let Ok(_slot) = self.slots.acquire().await else { return Outcome::Gone };
        if self.dead.load(Ordering::SeqCst) {
            return Outcome::Gone;
        }
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut launcher = match idle {
            Some(launcher) => launcher,
            None => match Launcher::start(&self.setup, deadline).await {
                Ok(launcher) => launcher,
                Err(NotReady::Refused(error)) => return Outcome::CannotStart(error.to_string()),
                Err(NotReady::Failed(why)) => return Outcome::CannotStart(why),
            },
        };
        match launcher.exchange(line).await {
            Ok(answer) => {
                self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(launcher);
                classify(answer)
            }
            Err(_) => {
                self.dead.store(true, Ordering::SeqCst);
                launcher.kill().await;
                Outcome::Gone
            }
        }
    }
}

/// The first byte of an answer line that says the run failed rather than produced a result: `!`
/// and a JSON object whose `error` is the message, e.g. `!{"error":"An error has occurred: ..."}`.
/// No JSON text starts with `!`, so no result can be mistaken for it. The proxy answers such a
/// run with 502 and that `error`, which the invoker makes an action developer error (as
/// OpenWhisk's Node.js runtime does when `main` throws); a result with an `error`, answered with
/// 200, is an application error instead.
pub(crate) const FAILED_PREFIX: u8 = b'!';

/// A launcher's answer: a JSON object or array is the result, a failure line says why the run
/// failed, anything else is neither.
fn classify(answer: Vec<u8>) -> Outcome {
    if let Some(failure) = answer.strip_prefix(&[FAILED_PREFIX]) {
        return match serde_json::from_slice::<Value>(failure) {
            Ok(Value::Object(mut failure)) => failure.remove("error").map_or(Outcome::NotADictionary, Outcome::Failed),
            Ok(_) | Err(_) => Outcome::NotADictionary,
        };
    }
    match serde_json::from_slice::<Value>(&answer) {
        Ok(Value::Object(_) | Value::Array(_)) => Outcome::Result(answer),
        Ok(_) | Err(_) => Outcome::NotADictionary,
    }
}

/// How many activations may run at once, from an `__OW_ALLOW_CONCURRENT` value: a number above 1
/// allows that many, anything else means one at a time.
pub(crate) fn concurrency(value: Option<&str>) -> usize {
    value.and_then(|v| v.trim().parse::<usize>().ok()).filter(|&n| n > 1).map_or(1, |n| n.min(MAX_CONCURRENCY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_objects_and_arrays_are_results() {
        assert_eq!(classify(br#"{"a":1}"#.to_vec()), Outcome::Result(br#"{"a":1}"#.to_vec()));
        assert_eq!(classify(b"[1,2]".to_vec()), Outcome::Result(b"[1,2]".to_vec()));
        assert_eq!(classify(b" {} \r".to_vec()), Outcome::Result(b" {} \r".to_vec()));
        for junk in [&b"42"[..], b"\"s\"", b"null", b"hello", b"", b"{\"a\":"] {
            assert_eq!(classify(junk.to_vec()), Outcome::NotADictionary, "{junk:?}");
        }
    }

    #[test]
    fn a_failure_line_carries_the_error_to_answer() {
        let failed = classify(br#"!{"error":"An error has occurred: Error: thrown"}"#.to_vec());
        assert_eq!(failed, Outcome::Failed(Value::String("An error has occurred: Error: thrown".into())));
        let structured = classify(br#"!{"error":{"code":7},"other":1}"#.to_vec());
        assert_eq!(structured, Outcome::Failed(serde_json::json!({ "code": 7 })));
        // Only `!` and an object with an `error` is a failure; a failure is never a result.
        for junk in
            [&b"!"[..], b"!{}", b"!\"thrown\"", b"![1]", b"!{\"error\":", b" !{\"error\":1}", b"!!{\"error\":1}"]
        {
            assert_eq!(classify(junk.to_vec()), Outcome::NotADictionary, "{junk:?}");
        }
    }

    #[test]
    fn concurrency_comes_from_a_number_above_one() {
        assert_eq!(concurrency(None), 1);
        assert_eq!(concurrency(Some("1")), 1);
        assert_eq!(concurrency(Some("0")), 1);
        assert_eq!(concurrency(Some("true")), 1);
        assert_eq!(concurrency(Some(" 4 ")), 4);
        assert_eq!(concurrency(Some("100000")), MAX_CONCURRENCY);
    }
}
