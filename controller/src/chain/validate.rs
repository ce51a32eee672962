//! The checks on a sequence before it is written, with OpenWhisk's messages: the caller may
//! read every component (403), there is at least one, each exists, none leads back to the
//! sequence itself, and nested sequences inlined it holds at most
//! [`SEQUENCE_MAX_ACTIONS`] atomic actions.

use gust_core::limits::SEQUENCE_MAX_ACTIONS;
use gust_core::names::FullyQualifiedName;
use gust_core::store::EntityStore;
use gust_core::subject::Identity;

use crate::entitle::Privilege;
use crate::error::ApiError;
use crate::resolve::{self, ResolveError};

/// Why a sequence was refused (400s, except [`SequenceError::Forbidden`] and store failures).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SequenceError {
    /// No components.
    #[error("No component specified for the sequence.")]
    Empty,
    /// A component that does not exist (or is not an action).
    #[error("Sequence component does not exist.")]
    Missing,
    /// The sequence reaches itself.
    #[error("Sequence may not refer to itself.")]
    Cycle,
    /// Too many atomic actions.
    #[error("Too many actions in the sequence.")]
    TooLong,
    /// Not entitled to read a component.
    #[error(transparent)]
    Resolve(ResolveError),
}

impl From<SequenceError> for ApiError {
    fn from(e: SequenceError) -> Self {
        match e {
            SequenceError::Resolve(r) => r.into(),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

/// Checks the components (already with `_` replaced) of sequence `seq` for `caller`.
pub(crate) async fn sequence(
    entities: &dyn EntityStore,
    caller: &Identity,
    seq: &FullyQualifiedName,
    components: &[FullyQualifiedName],
) -> Result<(), SequenceError> {
    for c in components {
        resolve::entitled(entities, caller, c, Privilege::Read).await.map_err(SequenceError::Resolve)?;
    }
    if components.is_empty() {
        return Err(SequenceError::Empty);
    }
    if components.len() > SEQUENCE_MAX_ACTIONS {
        return Err(SequenceError::TooLong);
    }
    let mut count = 0;
    let mut path = vec![seq.clone()];
    count_atomic(entities, caller, components, &mut path, &mut count).await
}

/// Adds the atomic actions `components` hold to `count`, nested sequences inlined, refusing a
/// component that is on `path` (the sequences being inlined, the new one first).
async fn count_atomic(
    entities: &dyn EntityStore,
    caller: &Identity,
    components: &[FullyQualifiedName],
    path: &mut Vec<FullyQualifiedName>,
    count: &mut usize,
) -> Result<(), SequenceError> {
    for c in components {
        // Named directly, the sequence is refused before it is looked for (it may not exist yet).
        if path.contains(c) {
            return Err(SequenceError::Cycle);
        }
        let resolved = match resolve::action(entities, caller, c, Privilege::Read).await {
            Ok(r) => r,
            Err(ResolveError::Store(e)) => return Err(SequenceError::Resolve(ResolveError::Store(e))),
            Err(_) => return Err(SequenceError::Missing),
        };
        let real = resolved.action.fqn();
        if path.contains(&real) {
            return Err(SequenceError::Cycle);
        }
        match resolved.action.exec.components() {
            Some(inner) => {
                let inner: Vec<_> = inner.iter().map(|i| i.resolve_default(real.namespace())).collect();
                path.push(real);
                Box::pin(count_atomic(entities, caller, &inner, path, count)).await?;
                path.pop();
            }
            None => *count += 1,
        }
        if *count > SEQUENCE_MAX_ACTIONS {
            return Err(SequenceError::TooLong);
        }
    }
    Ok(())
}
