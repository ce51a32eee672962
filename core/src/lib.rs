//! gust-core: what every Gust role shares.
//!
//! - the OpenWhisk entity model with its exact JSON: [`action`], [`exec`], [`limits`],
//!   [`params`], [`activation`], [`names`], [`ids`], [`subject`];
//! - the messages controllers and invokers exchange: [`messages`];
//! - the seams, one trait each, with an in-process or in-memory implementation beside it:
//!   [`store`] (+ [`memory`]), [`bus`], [`registry`], [`prepare`].
//!
//! Nothing here knows about HTTP, SQLite, Kafka, CouchDB, Consul, Docker or wasmtime.

pub mod action;
pub mod activation;
pub mod bus;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod entity;
pub mod exec;
pub mod ids;
pub mod limits;
pub mod memory;
pub mod messages;
pub mod names;
pub mod params;
pub mod prepare;
pub mod registry;
pub mod store;
pub mod subject;
pub mod time;
