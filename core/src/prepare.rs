//! The seam through which the controller checks and prepares an action's code at create time,
//! so that bad code is refused with a 400 and good code is never compiled on the request path.

use async_trait::async_trait;

use crate::exec::Exec;

/// Why an exec was refused: the message the client sees (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExecRejected(pub String);

/// Checks and prepares executables (a Wasm module is validated and precompiled).
#[async_trait]
pub trait ExecPreparer: Send + Sync + 'static {
    /// Called on every create and update before anything is written.
    async fn prepare(&self, exec: &Exec) -> Result<(), ExecRejected>;
}
