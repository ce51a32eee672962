//! gust-core: what every Gust role shares.
//!
//! - the OpenWhisk entity model with its exact JSON: [`entity`] (the metadata every entity
//!   shares), [`action`], [`exec`], [`limits`], [`package`], [`trigger`], [`rule`], [`params`],
//!   [`activation`], [`names`], [`ids`], [`semver`], [`subject`] (with namespace limits);
//! - the messages controllers and invokers exchange: [`messages`];
//! - the seams, one trait each, with an in-process or in-memory implementation beside it:
//!   [`store`] (+ [`memory`]), [`bus`], [`registry`], [`prepare`];
//! - activation retention (the background sweeper every store gets): [`retention`];
//! - data files only their owner can read: [`private_files`].
//!
//! Nothing here knows about HTTP, SQLite, Kafka, CouchDB, Consul, Docker or wasmtime.

pub mod action;
pub mod activation;
pub mod bus;
pub mod chain;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod consume;
pub mod entity;
pub mod exec;
pub mod ids;
pub mod limits;
pub mod memory;
pub mod messages;
pub mod names;
pub mod package;
pub mod params;
pub mod prepare;
pub mod private_files;
pub mod registry;
pub mod retention;
pub mod rule;
pub mod semver;
pub mod store;
pub mod subject;
pub mod time;
pub mod topic;
pub mod trigger;
pub mod user_limits;
