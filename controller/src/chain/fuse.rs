//! The fused path: a sequence whose components are all Wasm actions goes to one invoker as one
//! message, with its components resolved here, and runs there with no bus hop in between.

use std::sync::Arc;
use std::time::Duration;

use gust_core::ids::ActivationId;
use gust_core::limits::SEQUENCE_MAX_ACTIONS;
use gust_core::messages::{FusedComponent, FusedSequence};
use tracing::Instrument;

use crate::balancer::{self, Capacity};
use crate::invocation::{Invocation, InvokeError, Outcome};
use crate::resolve::Resolved;
use crate::state::AppState;

impl AppState {
    /// The sequence `resolved`, resolved for the fused path, when every one of its components
    /// is a plain Wasm action (no nested chain, no conductor) the caller may invoke now.
    /// Anything else (a component missing, refused, of another kind) takes the driven path,
    /// which reports it as OpenWhisk does.
    pub(super) async fn fusable(
        &self,
        inv: &Invocation,
        resolved: &Resolved,
    ) -> Result<Option<FusedSequence>, InvokeError> {
        let st = &self.0;
        let Some(names) = resolved.action.exec.components() else { return Ok(None) };
        if names.is_empty() || names.len() > SEQUENCE_MAX_ACTIONS {
            return Ok(None);
        }
        let mut components = Vec::with_capacity(names.len());
        for name in names {
            let name = name.resolve_default(&inv.caller.namespace);
            let Ok(c) = st.resolved.invocable(st.services.entities.as_ref(), &inv.caller, &name).await else {
                return Ok(None);
            };
            let action = &c.action;
            if !action.exec.is_wasm() || action.meta.annotations.is_truthy("conductor") {
                return Ok(None);
            }
            components.push(FusedComponent {
                action: action.fqn(),
                version: action.meta.version,
                revision: c.rev.0.clone(),
                parameters: c.parameters.to_object(),
                init_args: c.parameters.init_keys(),
                binding: c.binding.clone(),
            });
        }
        Ok(Some(FusedSequence { limits: resolved.action.limits, components }))
    }

    /// Publishes the fused sequence `id` to an invoker with a free Wasm slot and, when
    /// blocking, waits for its record.
    pub(super) async fn dispatch_fused(
        &self,
        inv: &Invocation,
        resolved: &Arc<Resolved>,
        id: ActivationId,
        fused: FusedSequence,
    ) -> Result<Outcome, InvokeError> {
        let st = &self.0;
        let fqn = resolved.action.fqn();
        let invokers = st.services.registry.healthy();
        let placement = st
            .balancer
            .schedule(&invokers, &inv.caller.namespace, &fqn.doc_id(), Capacity::WasmSlot)
            .ok_or_else(|| InvokeError::Unavailable("No invokers available".into()))?;
        let total: u64 = resolved.action.limits.timeout.saturating_mul(fused.components.len() as u64);
        let hold = balancer::completion_timeout(Duration::from_millis(total));
        let mut msg = self.chain_message(inv, resolved, id);
        msg.fused = Some(fused);
        let invoker = placement.invoker;
        st.balancer.track(id, &inv.caller.namespace, invoker, Capacity::WasmSlot, hold);
        let span = tracing::info_span!("fused", %invoker);
        let outcome = self.dispatch(msg, &invoker.topic(), inv.wait).instrument(span).await;
        if outcome.is_err() {
            st.balancer.release(id);
        }
        outcome
    }
}
