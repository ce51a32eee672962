//! Driving a chain step by step through the invocation core: a sequence's components one after
//! the other, or a composition's conductor and the components it names, in turn.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use gust_core::activation::{Activation, ActivationResponse};
use gust_core::chain::{ChainFailure, ChainHead, Continuation, Next, Tally, conductor_input};
use gust_core::exec::SEQUENCE_KIND;
use gust_core::limits::SEQUENCE_MAX_ACTIONS;
use gust_core::names::FullyQualifiedName;
use gust_core::time::now_ms;
use serde_json::{Map, Value};

use super::{ChainKind, Counts};
use crate::invocation::{Invocation, InvokeError, Outcome, Step};
use crate::state::AppState;

/// A chain being driven.
pub(crate) struct ChainRun<'a> {
    /// What its record will say.
    pub(crate) head: ChainHead,
    /// The invocation that started it (caller, name as invoked, arguments, transaction).
    pub(crate) inv: &'a Invocation,
    /// What it and the chains of its kind around it counted.
    pub(crate) counts: Arc<Counts>,
    /// True while every step so far had a record already (a chain driven again after a crash).
    replay: bool,
}

/// A chain that stopped without a record because this process is stopping: its message stays
/// uncommitted, and it is driven again from its first step with no record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Abandoned;

/// How a step ended, as a chain sees it.
enum StepEnd {
    /// Its record.
    Done(Arc<Activation>),
    /// It did not finish within its wait.
    Late(gust_core::ids::ActivationId),
    /// It was refused.
    Refused(InvokeError),
}

impl AppState {
    /// Runs the chain `kind` of `inv` to its end and returns its record (not stored yet).
    pub(crate) fn run_chain<'a>(
        &'a self,
        head: ChainHead,
        kind: ChainKind,
        inv: &'a Invocation,
        counts: Arc<Counts>,
    ) -> Pin<Box<dyn Future<Output = Result<Activation, Abandoned>> + Send + 'a>> {
        Box::pin(async move {
            let mut run = ChainRun { head, inv, counts, replay: true };
            let tally = match kind {
                ChainKind::Sequence => self.run_sequence(&mut run).await?,
                ChainKind::Conductor => self.run_composition(&mut run).await?,
            };
            Ok(run.head.record(tally, now_ms()))
        })
    }

    /// A sequence: each component on the previous one's result, up to the first error.
    async fn run_sequence(&self, run: &mut ChainRun<'_>) -> Result<Tally, Abandoned> {
        let mut tally = Tally::new(run.inv.args.clone());
        let components = match self.sequence_components(run).await {
            Ok(c) => c,
            Err(failure) => {
                tally.fail(&failure, None);
                return Ok(tally);
            }
        };
        for (i, component) in components.iter().enumerate() {
            if run.counts.actions.load(std::sync::atomic::Ordering::Relaxed) >= SEQUENCE_MAX_ACTIONS {
                tally.fail(&ChainFailure::SequenceTooLong, None);
                break;
            }
            let name = component.resolve_default(&run.inv.caller.namespace);
            match self.step(run, i as u32, name, tally.next_input(), false).await {
                StepEnd::Done(record) => {
                    if !is_chain(&record) {
                        Counts::bump(&run.counts.actions);
                    }
                    if tally.add_component(&record) == Next::Stop {
                        break;
                    }
                }
                StepEnd::Late(id) => {
                    tally.fail(&ChainFailure::SequenceTimeout(id), Some(id));
                    break;
                }
                StepEnd::Refused(InvokeError::ShuttingDown) => return Err(Abandoned),
                StepEnd::Refused(InvokeError::NotFound | InvokeError::NotAnAction) => {
                    tally.fail(&ChainFailure::ComponentMissing, None);
                    break;
                }
                StepEnd::Refused(e) => {
                    tracing::warn!(error = %e, component = %component, "A sequence component could not be invoked.");
                    tally.fail(&ChainFailure::SequenceFailed, None);
                    break;
                }
            }
        }
        Ok(tally)
    }

    /// The components of the sequence being run, as stored now.
    async fn sequence_components(&self, run: &ChainRun<'_>) -> Result<Vec<FullyQualifiedName>, ChainFailure> {
        let doc = self.0.services.entities.get(&run.head.action.doc_id()).await.map_err(|e| {
            tracing::warn!(error = %e, "Could not read the sequence.");
            ChainFailure::SequenceFailed
        })?;
        let action = doc.as_ref().and_then(|d| d.doc.as_action()).ok_or(ChainFailure::ComponentMissing)?;
        action.exec.components().map(<[_]>::to_vec).ok_or(ChainFailure::ComponentMissing)
    }

    /// A composition: the conductor, then the component it names, then the conductor again on
    /// that component's result and its state, until the conductor names no action.
    async fn run_composition(&self, run: &mut ChainRun<'_>) -> Result<Tally, Abandoned> {
        let mut tally = Tally::new(None);
        tally.max_memory = Some(u64::from(run.head.limits.memory));
        let mut input = run.inv.args.clone();
        let mut state: Option<Map<String, Value>> = None;
        let mut index = 0u32;
        loop {
            if Counts::bump(&run.counts.conductors) > 2 * SEQUENCE_MAX_ACTIONS {
                tally.response = ChainFailure::CompositionTooLong.response();
                return Ok(tally);
            }
            let params = conductor_input(input.take(), state.as_ref());
            let conductor = match self.step(run, index, run.inv.action.clone(), params, true).await {
                StepEnd::Done(r) => r,
                StepEnd::Late(id) => {
                    tally.fail(&ChainFailure::CompositionTimeout(id), Some(id));
                    return Ok(tally);
                }
                StepEnd::Refused(InvokeError::ShuttingDown) => return Err(Abandoned),
                StepEnd::Refused(e) => {
                    tracing::warn!(error = %e, "The conductor action could not be invoked.");
                    tally.fail(&ChainFailure::CompositionFailed, None);
                    return Ok(tally);
                }
            };
            index += 1;
            tally.add(&conductor);
            let next = Continuation::of(conductor.response.result.as_ref());
            state = next.state;
            let Some(name) = next.action else {
                let result = next.params.map(Value::Object).or_else(|| conductor.response.result.clone());
                tally.response = ActivationResponse { result, size: None, ..conductor.response.clone() };
                return Ok(tally);
            };
            let name = match name.as_str().map(|s| FullyQualifiedName::parse_relative(s, &run.inv.caller.namespace)) {
                Some(Ok(n)) => n,
                _ => {
                    input = Some(error(ChainFailure::ComponentInvalid(name.to_string())));
                    continue;
                }
            };
            if run.counts.actions.load(std::sync::atomic::Ordering::Relaxed) >= SEQUENCE_MAX_ACTIONS {
                input = Some(error(ChainFailure::CompositionTooLong));
                continue;
            }
            let shown = name.doc_id();
            match self.step(run, index, name, next.params.map(Value::Object), false).await {
                StepEnd::Done(r) => {
                    index += 1;
                    if !r.annotations.is_true("conductor") {
                        Counts::bump(&run.counts.actions);
                    }
                    tally.add(&r);
                    input = r.response.result.clone();
                }
                StepEnd::Late(id) => {
                    tally.fail(&ChainFailure::CompositionTimeout(id), Some(id));
                    return Ok(tally);
                }
                StepEnd::Refused(InvokeError::ShuttingDown) => return Err(Abandoned),
                StepEnd::Refused(InvokeError::NotFound | InvokeError::NotAnAction) => {
                    input = Some(error(ChainFailure::ComponentNotFound(shown)));
                }
                StepEnd::Refused(InvokeError::Forbidden(_)) => {
                    input = Some(error(ChainFailure::ComponentNotAccessible(shown)));
                }
                StepEnd::Refused(e) => {
                    tracing::warn!(error = %e, component = %shown, "A composition component could not be invoked.");
                    tally.fail(&ChainFailure::CompositionFailed, None);
                    return Ok(tally);
                }
            }
        }
    }

    /// Runs step `index` of the chain: `action` on `args`, blocking. A chain driven again takes
    /// the record an earlier run stored for the step instead of running it again.
    async fn step(
        &self,
        run: &mut ChainRun<'_>,
        index: u32,
        action: FullyQualifiedName,
        args: Option<Value>,
        plain: bool,
    ) -> StepEnd {
        let id = run.head.id.derived(index);
        if run.replay {
            match self.0.services.activations.get(&run.head.namespace, id).await {
                Ok(Some(r)) => return StepEnd::Done(Arc::new(r)),
                _ => run.replay = false,
            }
        }
        let step = Step { cause: run.head.id, id, plain, counts: run.counts.clone() };
        let inv = Invocation {
            caller: run.inv.caller.clone(),
            action,
            args,
            blocking: true,
            wait: Duration::ZERO,
            step: Some(step),
            transid: run.inv.transid.clone(),
        };
        match self.invoke(inv).await {
            Ok(Outcome::Finished(r)) => StepEnd::Done(r),
            Ok(Outcome::Accepted(id)) => StepEnd::Late(id),
            Err(e) => StepEnd::Refused(e),
        }
    }
}

/// True when `record` is a chain's own (a nested sequence or composition).
fn is_chain(record: &Activation) -> bool {
    record.annotations.get("kind").and_then(Value::as_str) == Some(SEQUENCE_KIND)
}

/// `{"error": failure}`: what a conductor is given back when its step could not run.
fn error(failure: ChainFailure) -> Value {
    Value::Object(Map::from_iter([("error".to_owned(), Value::String(failure.to_string()))]))
}
