//! The invocation core: the one place that turns "this caller invokes this name with these
//! arguments" into an activation. Every entry point (the REST invoke route, the steps of
//! sequences and compositions, and trigger fires and web actions as they come) parses its
//! input into an [`Invocation`] and calls [`AppState::invoke`](crate::AppState::invoke); none
//! of them repeats what happens here:
//!
//! 1. throttles of the caller's namespace (429), counted before anything is looked up (a chain
//!    counts once against the invocation rate: its steps skip that throttle);
//! 2. resolution of the name through its package and binding, with entitlement on the
//!    resource (403, 404, 409);
//! 3. argument assembly: package < binding < action parameters < the invocation's, refusing
//!    to override defined parameters of a `final` action (400);
//! 4. the balancer's choice of an invoker (503 when none is healthy), and publishing;
//! 5. for a blocking invocation, the wait for the record (with a store poll should the
//!    completion be lost), up to the invocation's wait.
//!
//! A sequence or a conductor action is handed to [`crate::chain`] after step 3: it publishes
//! the chain for a controller to drive, or runs a step that is itself a chain in place.
//!
//! Nothing here knows about HTTP.

mod wait;

use std::sync::Arc;
use std::time::Duration;

use gust_core::activation::Activation;
use gust_core::bus::BusError;
use gust_core::exec::ExecError;
use gust_core::ids::{ActivationId, TransactionId};
use gust_core::messages::{ActivationMessage, BusMessage};
use gust_core::names::FullyQualifiedName;
use gust_core::store::StoreError;
use gust_core::subject::Identity;
use gust_core::time::now_ms;
use gust_core::topic::Topic;
use serde_json::Value;
use tracing::Instrument;

use crate::balancer::{self, Capacity};
use crate::resolve::ResolveError;
use crate::state::AppState;
use crate::throttle::{Rate, Throttled};

/// One invocation, as every entry point describes it.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Who invokes (its namespace is charged, and owns the record).
    pub caller: Arc<Identity>,
    /// The name invoked: `ns/name`, `ns/pkg/name` or through a binding `ns/binding/name`
    /// (with `_` already replaced by the caller's namespace).
    pub action: FullyQualifiedName,
    /// The invocation's own arguments: an object (over the action's parameters), or an array
    /// (a sequence step's input, passed as it is).
    pub args: Option<Value>,
    /// Whether to wait for the record.
    pub blocking: bool,
    /// How long a blocking invocation waits before it is answered as accepted (a step waits
    /// for its action's time limit and a minute, whatever this says).
    pub wait: Duration,
    /// Set when a chain invokes this as one of its steps.
    pub step: Option<Step>,
    /// The request's transaction id.
    pub transid: TransactionId,
}

/// What makes an invocation a step of a chain.
#[derive(Debug, Clone)]
pub struct Step {
    /// The chain's activation id: the step's `cause`.
    pub cause: ActivationId,
    /// The step's own activation id, derived from the chain's and the step's index.
    pub id: ActivationId,
    /// Run a conductor action as a plain action (a composition's own conductor activations).
    pub plain: bool,
    /// What the chain this step belongs to has counted so far.
    pub counts: Arc<crate::chain::Counts>,
}

/// What an invocation came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Published: it will produce a record with this id (non-blocking, or blocking past its wait).
    Accepted(ActivationId),
    /// Finished within the wait: its record.
    Finished(Arc<Activation>),
}

/// Why an invocation was refused; nothing was published. The texts are OpenWhisk's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// 429: a throttle of the caller's namespace.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// 403: not entitled to the action (named in the message).
    #[error("The supplied authentication is not authorized to access '{0}'.")]
    Forbidden(String),
    /// 404: no such action.
    #[error("The requested resource does not exist.")]
    NotFound,
    /// 409: the name is an entity of another collection.
    #[error("Resource by this name exists but is not in this collection.")]
    NotAnAction,
    /// 400: arguments override defined parameters of a `final` action.
    #[error("Request defines parameters that are not allowed (e.g., reserved properties).")]
    ReservedParameters,
    /// 400: the action's runtime kind is deprecated.
    #[error(transparent)]
    Deprecated(ExecError),
    /// 503: no invoker can take it now, or the bus refused it.
    #[error("{0}")]
    Unavailable(String),
    /// 503: the bus is closed, this process is stopping. A chain that meets it stops without a
    /// record and is driven again (another controller, or this one after its restart).
    #[error("The activation could not be queued: the system is shutting down.")]
    ShuttingDown,
    /// The entity store failed (503 when unreachable, else 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl InvokeError {
    /// True for the caller's mistakes (4xx), false for the system's (5xx): a trigger's log
    /// line and a sequence's record report them differently.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, InvokeError::Unavailable(_) | InvokeError::ShuttingDown | InvokeError::Store(_))
    }
}

impl From<ResolveError> for InvokeError {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Forbidden(f) => InvokeError::Forbidden(f.0),
            ResolveError::NotFound => InvokeError::NotFound,
            ResolveError::NotAnAction => InvokeError::NotAnAction,
            ResolveError::Store(s) => InvokeError::Store(s),
        }
    }
}

impl AppState {
    /// Runs the invocation core: checks, resolves, publishes and, when blocking, waits.
    pub async fn invoke(&self, inv: Invocation) -> Result<Outcome, InvokeError> {
        let st = &self.0;
        let caller = &inv.caller;
        if inv.step.is_none() {
            st.throttler.check_rate(caller, Rate::Invocations, now_ms())?;
        }
        st.throttler.check_concurrent(caller, st.balancer.active_for(&caller.namespace))?;

        let resolved = st.resolved.invocable(st.services.entities.as_ref(), caller, &inv.action).await?;
        let action = &resolved.action;
        // A chain's step passes the previous result on: `final` guards only what a caller sends.
        if inv.step.is_none()
            && action.meta.annotations.is_true("final")
            && let Some(Value::Object(a)) = &inv.args
            && a.keys().any(|k| resolved.parameters.get(k).is_some_and(|v| !v.is_null()))
        {
            return Err(InvokeError::ReservedParameters);
        }
        if st.config.manifest.get(action.exec.kind()).is_some_and(|k| k.deprecated) {
            return Err(InvokeError::Deprecated(ExecError::Deprecated(action.exec.kind().to_owned())));
        }
        if let Some(kind) = crate::chain::ChainKind::of(action, inv.step.as_ref()) {
            return self.start_chain(inv, resolved, kind).await;
        }
        let init_args = resolved.parameters.init_keys();
        let args = gust_core::chain::with_input(resolved.parameters.to_object(), inv.args.clone());

        let capacity =
            if action.exec.is_wasm() { Capacity::WasmSlot } else { Capacity::Memory(u64::from(action.limits.memory)) };
        let fqn = action.fqn();
        let invokers = st.services.registry.healthy();
        let placement = st
            .balancer
            .schedule(&invokers, &caller.namespace, &fqn.doc_id(), capacity)
            .ok_or_else(|| InvokeError::Unavailable("No invokers available".into()))?;
        let hold = balancer::completion_timeout(Duration::from_millis(action.limits.timeout));

        let activation_id = inv.step.as_ref().map_or_else(ActivationId::generate, |s| s.id);
        let wait = step_wait(&inv, action.limits.timeout);
        let msg = ActivationMessage {
            transid: inv.transid,
            action: fqn,
            version: action.meta.version,
            revision: resolved.rev.0.clone(),
            user: inv.caller.clone(),
            activation_id,
            root_controller: st.config.id.clone(),
            blocking: inv.blocking,
            content: Some(args),
            init_args,
            cause: inv.step.as_ref().map(|s| s.cause),
            binding: resolved.binding.clone(),
            fused: None,
        };
        let invoker = placement.invoker;
        let span =
            tracing::info_span!("invoke", %activation_id, action = %msg.action, %invoker, blocking = inv.blocking);
        st.balancer.track(activation_id, &caller.namespace, invoker, capacity, hold);
        let outcome = self.dispatch(msg, &invoker.topic(), wait).instrument(span).await;
        if outcome.is_err() {
            // Never published: nothing will complete it.
            st.balancer.release(activation_id);
        }
        outcome
    }

    /// Publishes the activation and, for a blocking one, waits for its record.
    pub(crate) async fn dispatch(
        &self,
        msg: ActivationMessage,
        topic: &Topic,
        wait: Duration,
    ) -> Result<Outcome, InvokeError> {
        let st = &self.0;
        let activation_id = msg.activation_id;
        let namespace = msg.user.namespace.clone();
        let waiter = msg.blocking.then(|| st.completions.register(activation_id));
        st.services.bus.publish(topic, BusMessage::Activation(Box::new(msg))).await.map_err(|e| match e {
            BusError::Closed => InvokeError::ShuttingDown,
            e => InvokeError::Unavailable(format!("The activation could not be queued: {e}")),
        })?;
        tracing::debug!("Activation published.");
        Ok(match waiter {
            None => Outcome::Accepted(activation_id),
            Some(w) => match wait::record(w, st.services.activations.as_ref(), &namespace, activation_id, wait).await {
                // Answered 202 after all: the promise must survive a crash from here on.
                Outcome::Accepted(id) => {
                    st.services
                        .bus
                        .keep(id)
                        .await
                        .map_err(|e| InvokeError::Unavailable(format!("The activation could not be kept: {e}")))?;
                    Outcome::Accepted(id)
                }
                finished => finished,
            },
        })
    }

    /// Counts one trigger fire of `caller`'s namespace against its fires-per-minute throttle
    /// (refused fires count too).
    pub fn count_fire(&self, caller: &Identity) -> Result<(), Throttled> {
        self.0.throttler.check_rate(caller, Rate::Fires, now_ms())
    }
}

/// How long an invocation waits: a chain's step waits for its action's time limit and a
/// minute (OpenWhisk's wait for a component), anything else as it asked.
pub(crate) fn step_wait(inv: &Invocation, timeout_ms: u64) -> Duration {
    match inv.step {
        Some(_) => Duration::from_millis(timeout_ms) + Duration::from_secs(60),
        None => inv.wait,
    }
}
