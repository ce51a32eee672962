//! The invoker's main loop: consume its topic with bounded concurrency, run each activation,
//! store its record, acknowledge it to the controller, and only then commit the message.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use gust_core::activation::{Activation, ActivationResponse, ActivationStatus};
use gust_core::bus::{BusConsumer, BusError, Delivery, MessageBus};
use gust_core::chain::{ChainHead, Next, Tally, with_input};
use gust_core::messages::{AckMessage, ActivationMessage, BusMessage, FusedSequence, InvokerId};
use gust_core::registry::{InvokerInfo, InvokerRegistry, RegistryError};
use gust_core::store::{ActivationStore, Durable, EntityStore};
use gust_core::time::now_ms;
use tracing::Instrument;

use crate::executor::{Executor, Leftovers, PrepareError, RunRequest};
use crate::prepared::{Lookup, Prepared, PreparedCache};
use crate::record::{self, Timing};

/// What an invoker is and offers.
#[derive(Debug, Clone)]
pub struct InvokerConfig {
    /// Its id: it consumes topic `invoker{id}`.
    pub id: InvokerId,
    /// Memory offered to actions, MB (announced to the controllers).
    pub user_memory_mb: u64,
    /// Activations run at once; more wait on the bus (backpressure).
    pub max_concurrent: usize,
    /// The API host actions see in `__OW_API_HOST` (every action; containers of the Docker
    /// executor get theirs from its own settings).
    pub api_host: Option<String>,
    /// Action revisions kept prepared.
    pub prepared_capacity: usize,
    /// Answer a blocking caller as soon as the record is queued in the activation store,
    /// before it is durable. Right when the controller reads the same store instance (one
    /// process: the queued record is readable at once); a distributed invoker waits for
    /// durability first, so a controller that reads the record right after the answer finds it.
    pub answer_before_durable: bool,
}

impl InvokerConfig {
    /// Defaults for invoker `id`.
    pub fn new(id: InvokerId) -> Self {
        Self {
            id,
            user_memory_mb: 2048,
            max_concurrent: 256,
            api_host: None,
            prepared_capacity: 4096,
            answer_before_durable: false,
        }
    }
}

/// The services an invoker talks to (chosen by the binary, in one place).
#[derive(Clone)]
pub struct InvokerServices {
    /// Work in, completions out.
    pub bus: Arc<dyn MessageBus>,
    /// Where action revisions are read.
    pub entities: Arc<dyn EntityStore>,
    /// Where records are written.
    pub activations: Arc<dyn ActivationStore>,
    /// Where the invoker announces itself.
    pub registry: Arc<dyn InvokerRegistry>,
}

impl fmt::Debug for InvokerServices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvokerServices").finish_non_exhaustive()
    }
}

/// Why an invoker stopped.
#[derive(Debug, thiserror::Error)]
pub enum InvokerError {
    /// The bus failed for good.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// The registry refused the invoker.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// The records of a fused sequence's components, with their pending writes.
type Steps = Vec<(Arc<Activation>, Durable)>;

/// The message OpenWhisk gives when the action disappeared between accept and run.
const ACTION_REMOVED: &str = "Action could not be found or may have been deleted.";

/// One invoker.
pub struct Invoker {
    config: InvokerConfig,
    services: InvokerServices,
    executors: Vec<Arc<dyn Executor>>,
    prepared: PreparedCache,
}

impl fmt::Debug for Invoker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invoker").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Invoker {
    /// An invoker running actions with `executors` (the first that accepts a kind runs it).
    pub fn new(config: InvokerConfig, services: InvokerServices, executors: Vec<Arc<dyn Executor>>) -> Arc<Self> {
        let prepared = PreparedCache::new(config.prepared_capacity);
        Arc::new(Self { config, services, executors, prepared })
    }

    /// Registers, consumes until the bus closes, finishes what is in flight, deregisters.
    pub async fn run(self: Arc<Self>) -> Result<(), InvokerError> {
        let topic = self.config.id.topic();
        let consumer: Box<dyn BusConsumer> = self.services.bus.subscribe(&topic, topic.name()).await?;
        let info = InvokerInfo { id: self.config.id, user_memory_mb: self.config.user_memory_mb };
        self.services.registry.register(info).await?;
        tracing::info!(invoker = %self.config.id, slots = self.config.max_concurrent, "Invoker started.");

        // Finishes every in-flight activation before saying goodbye.
        gust_core::consume::bounded(consumer, self.config.max_concurrent, "the invoker topic", |delivery| {
            let me = self.clone();
            async move { me.process(delivery).await }
        })
        .await;
        if let Err(e) = self.services.registry.deregister(self.config.id).await {
            tracing::warn!(error = %e, "Could not deregister the invoker.");
        }
        tracing::info!(invoker = %self.config.id, "Invoker stopped.");
        Ok(())
    }

    async fn process(&self, delivery: Delivery) {
        let Delivery { message, receipt } = delivery;
        let BusMessage::Activation(msg) = message else {
            receipt.commit();
            return;
        };
        let span = tracing::info_span!("activation", activation_id = %msg.activation_id, action = %msg.action);
        async {
            let (record, leftovers, steps) = match &msg.fused {
                Some(fused) => self.execute_fused(&msg, fused).await,
                None => {
                    let (record, leftovers) = self.execute(&msg).await;
                    (record, leftovers, Vec::new())
                }
            };
            let record = Arc::new(record);
            // Queued, the record is readable at once; the caller is answered before the write
            // is durable, and the message is committed only after it is.
            // The sandbox is torn down as soon as it no longer delays the answer, and well
            // before the slot is freed: a store kept until its record is durable would keep
            // its pool slot (and that slot's memory) busy for a whole group commit.
            let durable = self.services.activations.store(record.clone());
            if self.config.answer_before_durable {
                self.acknowledge(&msg, record.clone()).await;
                // Let the answer go out first: the completion and the waiting caller are
                // ready to run on this worker.
                tokio::task::yield_now().await;
                drop(leftovers);
                self.persist_steps(steps).await;
                self.persist(&record, durable).await;
            } else {
                // The answer waits for the write anyway: tear down while it is under way.
                drop(leftovers);
                self.persist_steps(steps).await;
                self.persist(&record, durable).await;
                self.acknowledge(&msg, record.clone()).await;
            }
            receipt.commit();
        }
        .instrument(span)
        .await
    }

    /// Runs one activation and builds its record, and returns what the run left to release.
    /// Never fails.
    async fn execute(&self, msg: &ActivationMessage) -> (Activation, Leftovers) {
        let start = now_ms();
        let began = Instant::now();
        let key = (msg.action.doc_id(), msg.revision.clone());
        let lookup = self.prepared.get_or_prepare(key, || self.prepare(msg)).await;
        let (prepared, prepare_ms) = match lookup {
            Ok(Lookup::Warm(p)) => (p, None),
            Ok(Lookup::Cold(p)) => (p, Some(began.elapsed().as_millis() as u64)),
            Err(e) => {
                tracing::info!(error = %e.message, "Action could not be prepared.");
                let out = record::not_run(ActivationResponse::error(e.status, e.message));
                let record = record::build(msg, None, out, Timing { start, end: now_ms(), prepare_ms: None });
                return (record, Leftovers::default());
            }
        };
        let action = &prepared.action;
        let deadline = now_ms() + action.limits.timeout;
        let (params, env) = record::run_input(msg, action, self.config.api_host.as_deref(), deadline);
        let mut outcome = prepared.runnable.run(RunRequest { msg, action, env, params }).await;
        let leftovers = std::mem::take(&mut outcome.leftovers);
        (record::build(msg, Some(action), outcome, Timing { start, end: now_ms(), prepare_ms }), leftovers)
    }

    /// Runs a fused sequence: each component on the previous one's result, up to the first
    /// error, as a controller would drive it, with the same records. Returns the sequence's
    /// record and the components' records with their pending writes.
    async fn execute_fused(&self, msg: &ActivationMessage, fused: &FusedSequence) -> (Activation, Leftovers, Steps) {
        let head = ChainHead {
            id: msg.activation_id,
            action: msg.action.clone(),
            version: msg.version,
            limits: fused.limits,
            namespace: msg.user.namespace.clone(),
            subject: msg.user.subject.clone(),
            binding: msg.binding.clone(),
            cause: None,
            conductor: false,
            arrived: msg.transid.start,
            start: now_ms(),
        };
        let mut tally = Tally::new(msg.content.clone());
        let mut steps = Vec::with_capacity(fused.components.len());
        for (i, c) in fused.components.iter().enumerate() {
            let step = ActivationMessage {
                transid: msg.transid.clone(),
                action: c.action.clone(),
                version: c.version,
                revision: c.revision.clone(),
                user: msg.user.clone(),
                activation_id: msg.activation_id.derived(i as u32),
                root_controller: msg.root_controller.clone(),
                blocking: true,
                content: Some(with_input(c.parameters.clone(), tally.next_input())),
                init_args: c.init_args.clone(),
                cause: Some(msg.activation_id),
                binding: c.binding.clone(),
                fused: None,
            };
            let (record, leftovers) = self.execute(&step).await;
            drop(leftovers);
            let record = Arc::new(record);
            steps.push((record.clone(), self.services.activations.store(record.clone())));
            if tally.add_component(&record) == Next::Stop {
                break;
            }
        }
        (head.record(tally, now_ms()), Leftovers::default(), steps)
    }

    /// Waits until the records of a fused sequence's components are durable.
    async fn persist_steps(&self, steps: Steps) {
        for (record, durable) in steps {
            self.persist(&record, durable).await;
        }
    }

    /// Loads the revision from the entity store and hands it to the executor for its kind.
    async fn prepare(&self, msg: &ActivationMessage) -> Result<Prepared, PrepareError> {
        let doc_id = msg.action.doc_id();
        let doc = self
            .services
            .entities
            .get(&doc_id)
            .await
            .map_err(|e| PrepareError::internal(format!("Could not read the action: {e}")))?;
        let Some(doc) = doc else {
            return Err(PrepareError { status: ActivationStatus::ApplicationError, message: ACTION_REMOVED.into() });
        };
        if doc.rev.0 != msg.revision {
            tracing::debug!(wanted = %msg.revision, found = %doc.rev, "Running the current revision of an updated action.");
        }
        let Some(action) = doc.doc.as_action() else {
            return Err(PrepareError { status: ActivationStatus::ApplicationError, message: ACTION_REMOVED.into() });
        };
        let executor = self.executors.iter().find(|e| e.runs(&action.exec)).ok_or_else(|| {
            PrepareError::internal(format!(
                "This invoker cannot run actions of kind '{}': no runtime for it is available.",
                action.exec.kind()
            ))
        })?;
        let runnable = executor.prepare(action).await?;
        Ok(Prepared { action: action.without_code(), runnable })
    }

    /// Waits until the record is durable ([`gust_core::store::persist`]).
    async fn persist(&self, record: &Arc<Activation>, first: Durable) {
        gust_core::store::persist(self.services.activations.as_ref(), record, first).await;
    }

    async fn acknowledge(&self, msg: &ActivationMessage, record: Arc<Activation>) {
        let ack = AckMessage {
            transid: msg.transid.clone(),
            activation_id: msg.activation_id,
            is_system_error: record.response.status == ActivationStatus::WhiskError,
            result: msg.blocking.then_some(record),
            completed: true,
            invoker: Some(self.config.id),
        };
        if let Err(e) = self.services.bus.publish(&msg.root_controller.topic(), BusMessage::Ack(ack)).await {
            // The record is stored; a waiting controller finds it by polling.
            tracing::warn!(error = %e, "Could not acknowledge the activation.");
        }
    }
}
