//! What the whisk.system catalog's actions share: the few JavaScript semantics they mirror
//! (OpenWhisk's originals are Node.js actions) and the ISO 8601 clock format of `utils/date`.
//!
//! Each action is one binary in `src/bin/`, built to `wasm32-wasip1` by the `gust-catalog`
//! crate's build script and embedded there.

#![warn(missing_docs)]

pub mod js;
pub mod params;
pub mod time;
