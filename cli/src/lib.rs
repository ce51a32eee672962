//! gust-cli: the `gust` binary's library side.
//!
//! - [`client`]: a typed client of the OpenWhisk REST API (the end-to-end tests reuse it);
//! - [`props`]: `~/.wskprops`-style settings;
//! - [`commands`]: the `wsk`-shaped client commands;
//! - [`standalone`] and [`wiring`]: the roles, and the one place that picks their backends.

mod bridge;
pub mod client;
pub mod commands;
pub mod config;
pub mod props;
pub mod roles;
pub mod standalone;
pub mod telemetry;
pub mod wiring;
