//! Blocking invocations wait here for their result: a one-shot channel per activation id,
//! completed by the consumer of this controller's `completed{C}` topic.

use std::sync::Arc;

use dashmap::DashMap;
use gust_core::activation::Activation;
use gust_core::bus::MessageBus;
use gust_core::ids::ActivationId;
use gust_core::messages::{BusMessage, ControllerId};
use tokio::sync::oneshot;

use crate::recent::Recent;

/// Waiting callers by activation id.
pub(crate) struct Completions {
    waiting: DashMap<ActivationId, oneshot::Sender<Arc<Activation>>>,
    /// Records handed out lately, readable before the store has them (only when invokers
    /// may answer before their store write is readable).
    pub(crate) recent: Option<Recent>,
}

/// A registered wait; deregisters itself when dropped (a caller that gave up).
pub(crate) struct Waiter<'a> {
    id: ActivationId,
    rx: Option<oneshot::Receiver<Arc<Activation>>>,
    owner: &'a Completions,
}

impl Waiter<'_> {
    /// The record, if it comes within `wait`; may be called again after a `None`.
    pub(crate) async fn wait(&mut self, wait: std::time::Duration) -> Option<Arc<Activation>> {
        let rx = self.rx.as_mut()?;
        match tokio::time::timeout(wait, rx).await {
            Ok(Ok(record)) => {
                self.rx = None;
                Some(record)
            }
            Ok(Err(_)) => {
                self.rx = None;
                None
            }
            Err(_) => None,
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.owner.waiting.remove(&self.id);
    }
}

impl Completions {
    /// Completions that keep the records they hand out when `keep_recent`.
    pub(crate) fn new(keep_recent: bool) -> Self {
        Self { waiting: DashMap::new(), recent: keep_recent.then(Recent::default) }
    }

    /// Registers interest in `id`'s result; call before publishing the activation.
    pub(crate) fn register(&self, id: ActivationId) -> Waiter<'_> {
        let (tx, rx) = oneshot::channel();
        self.waiting.insert(id, tx);
        Waiter { id, rx: Some(rx), owner: self }
    }

    /// Hands a result to its waiter, if it is still waiting, and keeps it for readers.
    pub(crate) fn complete(&self, record: Arc<Activation>) {
        if let Some(recent) = &self.recent {
            recent.put(record.clone());
        }
        if let Some((_, tx)) = self.waiting.remove(&record.activation_id) {
            let _ = tx.send(record);
        }
    }
}

/// Consumes `completed{C}` until the bus closes, completing waiters.
pub(crate) async fn consume(bus: Arc<dyn MessageBus>, id: ControllerId, state: crate::state::AppState) {
    let topic = id.topic();
    let mut consumer = match bus.subscribe(&topic, topic.name()).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, %topic, "Cannot consume completions; blocking invokes will time out.");
            return;
        }
    };
    loop {
        match consumer.next().await {
            Ok(Some(d)) => {
                if let BusMessage::Ack(ack) = d.message {
                    if ack.completed {
                        state.0.balancer.release(ack.activation_id);
                    }
                    if let Some(record) = ack.result {
                        state.0.completions.complete(record);
                    }
                }
                d.receipt.commit();
            }
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "Reading completions failed; retrying.");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
}

/// Releases, once a second, the capacity of activations whose completion never came (an
/// invoker that died with them): OpenWhisk's forced completion. Stops with the controller.
pub(crate) async fn expire(state: std::sync::Weak<crate::state::Inner>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        let Some(inner) = state.upgrade() else { return };
        inner.balancer.expire();
    }
}
