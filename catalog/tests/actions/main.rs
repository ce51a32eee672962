//! Behaviour tests of the catalog's actions: each embedded module runs in wasmtime as Gust
//! runs it, on the cases of OpenWhisk's originals and their error cases.

mod utils;
mod wasm;
