//! Chains: sequences and conductor compositions, where one invocation becomes several
//! activations, each step's result feeding the next.
//!
//! Where a chain runs, and what a crash does to it:
//!
//! - The invocation core resolves the sequence or conductor action, checks the caller's right
//!   to invoke a sequence's components (403), and gives the chain its activation id.
//! - When every component of a sequence is a Wasm action (and fusion is on), the whole
//!   sequence goes to one invoker as one message ([`fuse`]): it runs the components one after
//!   the other with no bus hop between them, and stores each component's record and the
//!   sequence's. The invoker commits the message only after those are stored; one that dies
//!   halfway has the message redelivered and runs the sequence again.
//! - Any other chain is published on the `chains` topic ([`Topic::chains`]), which every
//!   controller consumes in one consumer group ([`driver`]). The controller that takes it
//!   drives it step by step through the invocation core and commits the message once the
//!   chain's record is stored. A controller that dies halfway (OpenWhisk loses the chain then)
//!   leaves the message uncommitted: Kafka hands it to another controller, and `gust
//!   standalone` replays it from its journal when it starts again.
//! - Every step's activation id is derived from the chain's and the step's index, so a chain
//!   driven again finds the records its earlier run stored, takes them instead of running
//!   those steps again, and goes on from the first step with no record. Only a step that was
//!   running when the driver died may run twice (its record is written under the same id).
//!
//! A step that is itself a chain (a nested sequence, a composition as a component) is run in
//! place by the driver of the enclosing chain, with its own record.
//!
//! [`Topic::chains`]: gust_core::topic::Topic::chains

pub(crate) mod driver;
mod fuse;
mod run;
pub(crate) mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gust_core::action::Action;
use gust_core::chain::ChainHead;
use gust_core::ids::ActivationId;
use gust_core::messages::ActivationMessage;
use gust_core::time::now_ms;
use gust_core::topic::Topic;
use tracing::Instrument;

use crate::entitle::Privilege;
use crate::invocation::{Invocation, InvokeError, Outcome, Step};
use crate::resolve::{self, Resolved};
use crate::state::AppState;

/// The two kinds of chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainKind {
    /// `exec.kind: sequence`.
    Sequence,
    /// An action annotated `conductor` (truthy), not run as a plain step of its own composition.
    Conductor,
}

impl ChainKind {
    /// The chain `action` starts, if it starts one when invoked as `step`.
    pub(crate) fn of(action: &Action, step: Option<&Step>) -> Option<ChainKind> {
        if action.exec.components().is_some() {
            Some(ChainKind::Sequence)
        } else if action.meta.annotations.is_truthy("conductor") && !step.is_some_and(|s| s.plain) {
            Some(ChainKind::Conductor)
        } else {
            None
        }
    }
}

/// What a chain (and the chains of the same kind nested in it) has run so far, against the
/// limits OpenWhisk sets: atomic actions of a sequence, components and conductor activations
/// of a composition.
#[derive(Debug)]
pub struct Counts {
    kind: ChainKind,
    /// Atomic actions (sequence) or components (composition) run.
    pub(crate) actions: AtomicUsize,
    /// Conductor activations run (composition).
    pub(crate) conductors: AtomicUsize,
}

impl Counts {
    /// Fresh counts for a chain of `kind`.
    pub(crate) fn new(kind: ChainKind) -> Arc<Counts> {
        Arc::new(Counts { kind, actions: AtomicUsize::new(0), conductors: AtomicUsize::new(0) })
    }

    /// The counts a chain of `kind` started as `step` shares: its enclosing chain's when of the
    /// same kind (OpenWhisk counts nested sequences, and nested compositions, together).
    fn for_step(kind: ChainKind, step: Option<&Step>) -> Arc<Counts> {
        match step {
            Some(s) if s.counts.kind == kind => s.counts.clone(),
            _ => Counts::new(kind),
        }
    }

    /// Counts one more; the number counted before.
    pub(crate) fn bump(counter: &AtomicUsize) -> usize {
        counter.fetch_add(1, Ordering::Relaxed)
    }
}

impl AppState {
    /// Starts the chain `resolved` begins: a topmost one is published (fused to an invoker, or
    /// for a controller to drive) and waited for as asked; a step runs in place.
    pub(crate) async fn start_chain(
        &self,
        inv: Invocation,
        resolved: Arc<Resolved>,
        kind: ChainKind,
    ) -> Result<Outcome, InvokeError> {
        let st = &self.0;
        let caller = &inv.caller;
        if let Some(components) = resolved.action.exec.components() {
            // OpenWhisk checks the right to invoke the (direct) components before anything runs.
            for c in components {
                let c = c.resolve_default(&caller.namespace);
                resolve::entitled(st.services.entities.as_ref(), caller, &c, Privilege::Activate).await?;
            }
        }
        if let Some(step) = &inv.step {
            let head = self.chain_head(&inv, &resolved, kind, step.id, Some(step.cause));
            let counts = Counts::for_step(kind, Some(step));
            let record = self.run_chain(head, kind, &inv, counts).await.map_err(|_| InvokeError::ShuttingDown)?;
            return Ok(Outcome::Finished(self.store_chain_record(record).await));
        }
        let id = ActivationId::generate();
        let span = tracing::info_span!("chain", activation_id = %id, action = %resolved.action.fqn(), ?kind);
        async {
            if kind == ChainKind::Sequence
                && st.config.fuse_sequences
                && let Some(fused) = self.fusable(&inv, &resolved).await?
            {
                return self.dispatch_fused(&inv, &resolved, id, fused).await;
            }
            let msg = self.chain_message(&inv, &resolved, id);
            self.dispatch(msg, &Topic::chains(), inv.wait).await
        }
        .instrument(span)
        .await
    }

    /// The message that carries a topmost chain: an activation of the sequence or conductor
    /// action itself, with the invocation's own arguments (the driver merges each step's).
    fn chain_message(&self, inv: &Invocation, resolved: &Resolved, id: ActivationId) -> ActivationMessage {
        ActivationMessage {
            transid: inv.transid.clone(),
            action: resolved.action.fqn(),
            version: resolved.action.meta.version,
            revision: resolved.rev.0.clone(),
            user: inv.caller.clone(),
            activation_id: id,
            root_controller: self.0.config.id.clone(),
            blocking: inv.blocking,
            content: inv.args.clone(),
            init_args: vec![],
            cause: None,
            binding: resolved.binding.clone(),
            fused: None,
        }
    }

    /// The facts a chain's record states.
    fn chain_head(
        &self,
        inv: &Invocation,
        resolved: &Resolved,
        kind: ChainKind,
        id: ActivationId,
        cause: Option<ActivationId>,
    ) -> ChainHead {
        let action = &resolved.action;
        ChainHead {
            id,
            action: action.fqn(),
            version: action.meta.version,
            limits: action.limits,
            namespace: inv.caller.namespace.clone(),
            subject: inv.caller.subject.clone(),
            binding: resolved.binding.clone(),
            cause,
            conductor: kind == ChainKind::Conductor,
            arrived: inv.transid.start,
            start: now_ms(),
        }
    }
}
