//! gust-cli: the `gust` binary's library side.
//!
//! - [`client`]: a typed client of the OpenWhisk REST API (the end-to-end tests reuse it);
//! - [`props`]: `~/.wskprops`-style settings;
//! - [`commands`]: the `wsk`-shaped client commands;
//! - [`admin`]: `gust admin`, wskadmin's commands on a deployment's store;
//! - [`catalog`]: installs the `whisk.system` catalog when a deployment starts;
//! - [`standalone`] and [`wiring`]: the roles, and the one place that picks their backends.

pub mod admin;
mod bridge;
pub mod catalog;
pub mod client;
pub mod commands;
pub mod config;
pub mod datadir;
pub mod props;
pub mod roles;
pub mod standalone;
pub mod telemetry;
pub mod wiring;
