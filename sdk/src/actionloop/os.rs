//! The operating-system hooks of actionloop mode: file descriptor 3 and exported variables.
//!
//! These are the SDK's only `unsafe` calls, each in its own small function.

use std::fs::File;
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicBool, Ordering};

/// The result channel the proxy opened as file descriptor 3; `None` if already taken.
#[allow(unsafe_code)]
pub(super) fn result_channel() -> Option<File> {
    static TAKEN: AtomicBool = AtomicBool::new(false);
    if TAKEN.swap(true, Ordering::SeqCst) {
        return None;
    }
    // SAFETY: this runs only when `__OW_PROXY_VERSION` is set, i.e. the process was started by
    // the actionloop proxy, which guarantees that fd 3 is the open write end of its result pipe
    // and that nothing else in the process uses it. `TAKEN` makes this the only `File` ever
    // built from fd 3, so exactly one owner closes it.
    Some(unsafe { File::from_raw_fd(3) })
}

/// Sets (`Some`) or removes (`None`) the environment variable `name`.
#[allow(unsafe_code)]
pub(super) fn export(name: &str, value: Option<&str>) {
    // SAFETY: changing the environment is unsound only while another thread reads or writes it
    // through libc. This runs on the thread that called `gust_sdk::run`, between activations,
    // when no action code is running; the SDK starts no threads, and the crate documentation
    // requires an action in actionloop mode not to leave threads running past its return.
    // `name` and `value` contain no `=` or NUL (checked by `env_var`), so the calls cannot panic.
    unsafe {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}
