//! The entry point: pick the protocol the process was started with and serve it.

use std::fmt::Display;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Runs the action `f` as the process's main loop; [`action!`](crate::action) calls this.
///
/// * Built for `wasm32-wasip1`, or natively without `__OW_PROXY_VERSION` in the environment:
///   one activation, parameters read from stdin to EOF, result written to stdout.
/// * Built natively for Unix and started by an OpenWhisk actionloop proxy (which sets
///   `__OW_PROXY_VERSION`): one activation per stdin line, results on file descriptor 3, until
///   stdin ends.
///
/// See [`invoke`](crate::invoke) for how each outcome becomes a result object. Returns when the
/// activation(s) are done; the process then exits normally with status 0.
pub fn run<P, R, E>(f: impl FnMut(P) -> Result<R, E>)
where
    P: DeserializeOwned,
    R: Serialize,
    E: Display,
{
    #[cfg(all(unix, not(target_family = "wasm")))]
    if std::env::var_os("__OW_PROXY_VERSION").is_some() {
        return crate::actionloop::run_actionloop(f);
    }
    crate::command::run_command(f)
}
