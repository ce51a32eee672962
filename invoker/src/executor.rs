//! The executor seam: how an invoker runs one activation of one action revision, whatever the
//! sandbox (a Wasm instance here; a Docker container in the Docker executor).

use std::sync::Arc;

use async_trait::async_trait;
use gust_core::action::Action;
use gust_core::activation::{ActivationResponse, ActivationStatus};
use gust_core::exec::Exec;
use gust_core::messages::ActivationMessage;

/// Everything a run needs, prepared by the invoker.
#[derive(Debug)]
pub struct RunRequest<'a> {
    /// The bus message (ids, caller, blocking).
    pub msg: &'a ActivationMessage,
    /// The action revision, without its code.
    pub action: &'a Action,
    /// The `__OW_*` context and the `init: true` parameters, as environment variables.
    pub env: Vec<(String, String)>,
    /// The run parameters as one JSON object.
    pub params: Vec<u8>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// Outcome and result.
    pub response: ActivationResponse,
    /// Formatted log lines.
    pub logs: Vec<String>,
    /// True when the time limit hit.
    pub timed_out: bool,
    /// Initialisation time, ms, when this run had to initialise (a cold container).
    pub init_time_ms: Option<u64>,
    /// When the action's code started (init or run), epoch ms, when that was later than the
    /// activation's pickup (time spent waiting for a container counts as `waitTime`).
    pub started_ms: Option<u64>,
    /// What the run leaves to release once the caller has its answer.
    pub leftovers: Leftovers,
}

/// What a run leaves to release after its caller has the answer: a Wasm instance's store,
/// whose teardown (resetting the memory pages the guest dirtied, giving the slot back to the
/// pool) need not delay the reply. Dropping it releases everything; the invoker does so
/// before it frees the activation's slot, so the pool never holds more instances than the
/// invoker runs at once.
#[derive(Default)]
pub struct Leftovers(Option<Box<dyn Send>>);

impl Leftovers {
    /// Leftovers holding `what` until they are dropped.
    pub fn new(what: impl Send + 'static) -> Self {
        Self(Some(Box::new(what)))
    }
}

impl std::fmt::Debug for Leftovers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Leftovers(held)" } else { "Leftovers(none)" })
    }
}

/// Why an action revision could not be made runnable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PrepareError {
    /// Whose fault: a developer error (bad code) or a whisk internal error (the platform).
    pub status: ActivationStatus,
    /// What the activation record says.
    pub message: String,
}

impl PrepareError {
    /// The action's code cannot run.
    pub fn developer(message: impl Into<String>) -> Self {
        Self { status: ActivationStatus::DeveloperError, message: message.into() }
    }

    /// The platform cannot run it now.
    pub fn internal(message: impl Into<String>) -> Self {
        Self { status: ActivationStatus::WhiskError, message: message.into() }
    }
}

/// A sandbox technology (Wasm, Docker).
#[async_trait]
pub trait Executor: Send + Sync + 'static {
    /// True for the execs this executor runs.
    fn runs(&self, exec: &Exec) -> bool;

    /// Makes an action revision runnable. Called once per revision per invoker; the invoker
    /// caches the result, so this is off the warm path.
    async fn prepare(&self, action: &Action) -> Result<Arc<dyn Runnable>, PrepareError>;
}

/// A prepared action revision.
#[async_trait]
pub trait Runnable: Send + Sync + 'static {
    /// Runs one activation. Never fails: every failure is an activation outcome.
    async fn run(&self, req: RunRequest<'_>) -> RunOutcome;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_hold_what_they_are_given_until_dropped() {
        let store = Arc::new(());
        let held = Leftovers::new(store.clone());
        assert_eq!(Arc::strong_count(&store), 2);
        assert_eq!(format!("{held:?}"), "Leftovers(held)");
        drop(held);
        assert_eq!(Arc::strong_count(&store), 1);
        assert_eq!(format!("{:?}", Leftovers::default()), "Leftovers(none)");
    }
}
