//! End-to-end tests: each starts a real `gust standalone` (SQLite, in-process bus, Wasm
//! engine, and for the `docker_*` modules a real Docker daemon with the runtime images) on a
//! free port and drives it over HTTP with real actions.
//! One test binary, one module per area (so it is linked once).

mod actions;
mod activations;
mod compat;
mod connections;
mod crash;
mod data;
mod distributed;
mod docker_api;
mod docker_hostile;
mod docker_runtimes;
mod errors;
mod fused;
mod hostile;
mod invoke;
mod load;
mod openapi;
mod scenarios;
mod sdk;
mod server;
