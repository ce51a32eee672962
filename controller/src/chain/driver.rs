//! The consumer of the `chains` topic: every controller takes chains from it (one consumer
//! group), drives each to its end, stores its record, answers the controller whose caller
//! waits, and only then commits the message. A chain whose driver dies is delivered again.

use std::sync::Arc;
use std::time::Duration;

use gust_core::activation::{Activation, ActivationResponse, ActivationStatus};
use gust_core::bus::{BusConsumer, Delivery, MessageBus};
use gust_core::messages::{AckMessage, ActivationMessage, BusMessage};
use gust_core::names::FullyQualifiedName;
use gust_core::time::now_ms;
use gust_core::topic::Topic;
use tracing::Instrument;

use super::run::Abandoned;
use super::{ChainKind, Counts};
use crate::entitle::Privilege;
use crate::invocation::Invocation;
use crate::resolve::{self, ResolveError};
use crate::state::AppState;

/// The group every controller consumes `chains` in.
const GROUP: &str = "chains";

/// What a chain whose action is gone (or is no chain any more) ends with.
const GONE: &str = "Action could not be found or may have been deleted.";

/// Consumes `chains` until the bus closes, driving up to `max_chains` chains at once.
pub(crate) async fn consume(bus: Arc<dyn MessageBus>, state: AppState) {
    let topic = Topic::chains();
    let consumer: Box<dyn BusConsumer> = match bus.subscribe(&topic, GROUP).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "Cannot consume chains; sequences and compositions will not run.");
            return;
        }
    };
    let slots = state.0.config.max_chains;
    gust_core::consume::bounded(consumer, slots, "the chains topic", |delivery| {
        let state = state.clone();
        async move { state.drive(delivery).await }
    })
    .await;
}

impl AppState {
    /// Drives one chain message to its stored record, answers its caller, commits it.
    async fn drive(&self, delivery: Delivery) {
        let Delivery { message, receipt } = delivery;
        let BusMessage::Activation(msg) = message else {
            receipt.commit();
            return;
        };
        let span = tracing::info_span!("chain", activation_id = %msg.activation_id, action = %msg.action);
        async {
            let activations = self.0.services.activations.clone();
            // Delivered again after its record was stored: only the answer may be missing.
            let record = match activations.get(&msg.user.namespace, msg.activation_id).await {
                Ok(Some(done)) => Arc::new(done),
                _ => {
                    tracing::info!("Driving the chain.");
                    let Ok(record) = self.chain_record(&msg).await else {
                        // Left uncommitted: it is delivered again once a controller runs.
                        tracing::info!("Stopping: the chain is left to be driven again.");
                        return;
                    };
                    self.store_chain_record(record).await
                }
            };
            if msg.blocking {
                self.answer(&msg, record).await;
            }
            receipt.commit();
        }
        .instrument(span)
        .await
    }

    /// Runs the chain `msg` carries and returns its record.
    async fn chain_record(&self, msg: &ActivationMessage) -> Result<Activation, Abandoned> {
        // The name as invoked: through its binding when it was named through one.
        let name = match &msg.binding {
            Some(b) => FullyQualifiedName::new(b.clone(), msg.action.name.clone()),
            None => msg.action.clone(),
        };
        let inv = Invocation {
            caller: msg.user.clone(),
            action: name,
            args: msg.content.clone(),
            blocking: true,
            wait: Duration::ZERO,
            step: None,
            transid: msg.transid.clone(),
        };
        let mut backoff = Duration::from_millis(50);
        let resolved = loop {
            match resolve::action(self.0.services.entities.as_ref(), &msg.user, &inv.action, Privilege::Activate).await
            {
                Ok(r) => break Some(r),
                Err(ResolveError::Store(e)) => {
                    tracing::warn!(error = %e, "Could not read the chain's action; retrying.");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(_) => break None,
            }
        };
        let kind = resolved.as_ref().and_then(|r| ChainKind::of(&r.action, None));
        let (Some(resolved), Some(kind)) = (resolved, kind) else {
            return Ok(gone(msg));
        };
        let head = self.chain_head(&inv, &resolved, kind, msg.activation_id, None);
        self.run_chain(head, kind, &inv, Counts::new(kind)).await
    }

    /// Stores a chain's record, trying again while the store fails: the chain's message is
    /// committed only after its record is stored.
    pub(crate) async fn store_chain_record(&self, record: Activation) -> Arc<Activation> {
        let record = Arc::new(record);
        let store = self.0.services.activations.as_ref();
        gust_core::store::persist(store, &record, store.store(record.clone())).await;
        record
    }

    /// Hands the record to the controller whose caller waits: this one directly, another over
    /// its completion topic.
    async fn answer(&self, msg: &ActivationMessage, record: Arc<Activation>) {
        let st = &self.0;
        if msg.root_controller == st.config.id {
            st.completions.complete(record);
            return;
        }
        let ack = AckMessage {
            transid: msg.transid.clone(),
            activation_id: msg.activation_id,
            is_system_error: record.response.status == ActivationStatus::WhiskError,
            result: Some(record),
            completed: true,
            invoker: None,
        };
        if let Err(e) = st.services.bus.publish(&msg.root_controller.topic(), BusMessage::Ack(ack)).await {
            // The record is stored: the waiting controller finds it by polling.
            tracing::warn!(error = %e, "Could not answer the chain's caller.");
        }
    }
}

/// The record of a chain whose action was deleted (or changed into a plain action) before it
/// could run.
fn gone(msg: &ActivationMessage) -> Activation {
    let now = now_ms();
    Activation {
        namespace: msg.user.namespace.clone(),
        name: msg.action.name.clone(),
        subject: msg.user.subject.clone(),
        activation_id: msg.activation_id,
        start: now,
        end: now,
        duration: Some(0),
        response: ActivationResponse::error(ActivationStatus::ApplicationError, GONE),
        logs: vec![],
        version: msg.version,
        publish: false,
        annotations: gust_core::params::Params::new()
            .with("path", serde_json::json!(msg.action.doc_id()))
            .with("kind", serde_json::json!(gust_core::exec::SEQUENCE_KIND)),
        cause: None,
    }
}
