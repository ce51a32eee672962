//! The end-of-activation marker the invoker reads the container's logs up to.

use std::io::{self, Write};

/// The line OpenWhisk's log collector waits for, once on stdout and once on stderr.
pub(crate) const SENTINEL: &str = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";

/// Writes the sentinel line to the proxy's stdout and stderr and flushes both.
///
/// The launchers flush their own output before they answer on file descriptor 3, and they share
/// the proxy's stdout and stderr, so the sentinels land after everything the activation printed.
pub(crate) fn write_sentinels() {
    let line = format!("{SENTINEL}\n");
    if let Err(e) = write_line(&mut io::stdout().lock(), &line) {
        eprintln!("gust-proxy: cannot write the sentinel to stdout: {e}");
    }
    // Nothing useful can be done if stderr itself is gone.
    let _ = write_line(&mut io::stderr().lock(), &line);
}

fn write_line(out: &mut impl Write, line: &str) -> io::Result<()> {
    out.write_all(line.as_bytes())?;
    out.flush()
}
