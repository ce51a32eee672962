//! `gust-proxy`: the process inside each Gust runtime container.
//!
//! It serves OpenWhisk's action protocol on port 8080 (`POST /init`, then `POST /run` per
//! activation) and runs the action in a long-lived launcher process speaking the actionloop
//! protocol: one JSON line per activation on the launcher's stdin, one JSON line back on its
//! file descriptor 3, its stdout and stderr being the activation's logs. After every activation
//! (and after a failed init) it writes OpenWhisk's log sentinel to stdout and stderr.
//!
//! Settings come from the environment: `GUST_RUNTIME` (`python`, `nodejs` or `native`),
//! `GUST_PROXY_PORT` (8080), `GUST_ACTION_DIR` (`/action`), `GUST_LAUNCHER_DIR` (`/gust`).
//! `gust-proxy --version` prints the version.
//!
//! For `python` and `nodejs` the proxy starts one launcher at once, before any `/init` (a
//! zygote: the interpreter is up by the time the action arrives), and hands it the action at
//! `/init`; see `child` and `init`.

mod child;
mod code;
mod config;
mod init;
mod run;
mod sentinel;
mod server;
mod unzip;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::server::Proxy;

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        if arg == "--version" || arg == "-V" {
            println!("gust-proxy {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        eprintln!("gust-proxy: unexpected argument {arg:?} (settings come from the environment; see --version)");
        return ExitCode::FAILURE;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("gust-proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("gust-proxy: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gust-proxy: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let port = config.port;
    // First, so that the zygote's interpreter starts while the proxy gets ready to listen.
    let proxy = Arc::new(Proxy::new(config));
    let listener =
        TcpListener::bind(("0.0.0.0", port)).await.map_err(|e| format!("cannot listen on 0.0.0.0:{port}: {e}"))?;
    let app = server::router(proxy);
    axum::serve(listener, app).with_graceful_shutdown(stopped()).await.map_err(|e| format!("server failed: {e}"))
}

/// Resolves on SIGTERM or SIGINT (as PID 1 in a container, nothing else would stop the proxy).
async fn stopped() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        eprintln!("gust-proxy: cannot listen for SIGTERM/SIGINT");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
