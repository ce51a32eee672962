//! Log output for every role: `tracing` to stderr, filtered by `RUST_LOG` (default `info` for
//! Gust's own crates, `warn` for the rest).

use tracing_subscriber::EnvFilter;

/// Installs the subscriber; `verbose` raises Gust's crates to `debug`.
pub fn init(verbose: bool) {
    let default = if verbose {
        "warn,gust=debug,gust_controller=debug,gust_invoker=debug,gust_sqlite=debug,gust_cli=debug"
    } else {
        "warn,gust=info,gust_controller=info,gust_invoker=info,gust_sqlite=info,gust_cli=info"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}
