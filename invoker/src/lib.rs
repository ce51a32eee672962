//! gust-invoker: consumes its bus topic, runs each activation in a sandbox, stores the record
//! and acknowledges it to the controller that asked.
//!
//! - [`Invoker`] ([`invoker`]): the loop, with bounded concurrency as backpressure, and the
//!   at-least-once order: run, store, acknowledge, then commit the message.
//! - [`executor`]: the seam between the loop and a sandbox ([`Executor`], [`Runnable`]).
//! - [`wasm`]: the WebAssembly fast path (wasmtime, WASI preview 1).
//! - [`classify`]: how output becomes an OpenWhisk outcome, shared by every sandbox.

pub mod classify;
pub mod docker;
pub mod executor;
mod invoker;
mod prepared;
mod record;
pub mod wasm;

pub use executor::{Executor, PrepareError, RunOutcome, RunRequest, Runnable};
pub use invoker::{Invoker, InvokerConfig, InvokerError, InvokerServices};
