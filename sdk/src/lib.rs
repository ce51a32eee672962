//! Write a Gust (OpenWhisk) action once, as a plain Rust function, and build it either to
//! `wasm32-wasip1` for Gust's WebAssembly fast path or natively for an OpenWhisk actionloop
//! container.
//!
//! An action is a function from typed parameters (anything serde can deserialize) to
//! `Result<R, E>`, where `R` serializes to a JSON object and `E` implements `Display`. The
//! [`action!`] macro turns it into the program's `main`:
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Params {
//!     name: Option<String>,
//! }
//!
//! #[derive(Serialize)]
//! struct Greeting {
//!     greeting: String,
//! }
//!
//! fn hello(params: Params) -> Result<Greeting, String> {
//!     let name = params.name.unwrap_or_else(|| "stranger".to_owned());
//!     if name.is_empty() {
//!         return Err("name must not be empty".to_owned());
//!     }
//!     let ctx = gust_sdk::Context::current();
//!     gust_sdk::log!("greeting {name} in activation {}", ctx.activation_id);
//!     Ok(Greeting { greeting: format!("Hello, {name}!") })
//! }
//!
//! gust_sdk::action!(hello);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip1` (the workspace's
//! `--profile wasm-action` makes smaller modules), or natively with `cargo build --release`.
//! A native build runs from a shell exactly like the Wasm one does in Gust:
//! `echo '{"name":"Ann"}' | ./hello` prints `{"greeting":"Hello, Ann!"}`.
//!
//! # Outcomes
//!
//! | the action…                                     | the result                                   |
//! |-------------------------------------------------|----------------------------------------------|
//! | returns `Ok(r)`                                 | `r` as a JSON object                         |
//! | returns `Err(e)`                                | `{"error": e.to_string()}`                   |
//! | gets parameters that do not fit its type        | `{"error": "invalid parameters: <why>"}`     |
//! | returns `Ok` of something that is not an object | `{"error": "the action returned …"}`         |
//! | panics                                          | none: the process dies (a trap in Wasm)      |
//!
//! A result with a top-level `"error"` key is an *application error* for the platform. Empty
//! input counts as `{}`. In every case but a panic the process exits with status 0. An action
//! that cannot fail returns `Result<R, std::convert::Infallible>`.
//!
//! # Context and logs
//!
//! [`Context::current`] reads the activation id, action name, namespace, version, deadline,
//! transaction id and (when the action asked for them) the API host and key from the `__OW_*`
//! environment variables. Whatever the action writes to stderr (`eprintln!`, or the [`log!`]
//! shorthand) becomes the activation's log lines; stdout carries the result in the Wasm
//! contract, so do not print to it.
//!
//! The guest has no filesystem and no network; `std::thread::sleep` and the clock work.
//!
//! # Testing an action
//!
//! [`invoke`] runs an action on a JSON value without any I/O, the way [`run`] does:
//!
//! ```
//! use serde_json::json;
//!
//! fn add(p: (i64, i64)) -> Result<serde_json::Value, std::convert::Infallible> {
//!     Ok(json!({ "sum": p.0 + p.1 }))
//! }
//!
//! assert_eq!(gust_sdk::invoke(add, json!([2, 3])), json!({ "sum": 5 }));
//! let bad = gust_sdk::invoke(add, json!({}));
//! assert!(bad["error"].as_str().is_some_and(|e| e.starts_with("invalid parameters: ")));
//! ```
//!
//! # Native builds and the actionloop proxy
//!
//! Built natively for Unix, the same program also speaks the OpenWhisk actionloop protocol
//! when the proxy starts it (it sets `__OW_PROXY_VERSION`): it serves one activation per stdin
//! line, exporting each activation's `__OW_*` variables before calling the action and writing
//! each result as one JSON line to file descriptor 3. The environment is changed between
//! activations, so an action must not leave threads running after it returns.

mod command;
mod context;
mod invoke;
mod run;

#[cfg(all(unix, not(target_family = "wasm")))]
mod actionloop;

pub use context::Context;
pub use invoke::invoke;
pub use run::run;

/// The `serde` this crate uses, so an action can derive with
/// `#[derive(gust_sdk::serde::Deserialize)] #[serde(crate = "gust_sdk::serde")]`
/// without depending on serde itself.
#[doc(no_inline)]
pub use serde;
/// The `serde_json` this crate uses (for `Value`, `Map` and `json!`).
#[doc(no_inline)]
pub use serde_json;

/// Makes `fn main()` run the given action function through [`run`].
///
/// ```no_run
/// fn echo(params: serde_json::Value) -> Result<serde_json::Value, std::convert::Infallible> {
///     Ok(params)
/// }
///
/// gust_sdk::action!(echo);
/// ```
#[macro_export]
macro_rules! action {
    ($f:expr $(,)?) => {
        fn main() {
            $crate::run($f)
        }
    };
}

/// Writes one line to the activation's logs (stderr); takes `format!` arguments.
///
/// ```
/// gust_sdk::log!("resized {} images", 3);
/// ```
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        ::std::eprintln!($($arg)*)
    };
}
