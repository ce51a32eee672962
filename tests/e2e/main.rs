//! End-to-end tests: each starts a real `gust standalone` (SQLite, in-process bus, Wasm
//! engine) on a free port and drives it over HTTP with real Wasm actions.
//! One test binary, one module per area (so it is linked once).

mod actions;
mod activations;
mod errors;
mod hostile;
mod invoke;
mod load;
mod sdk;
mod server;
