//! The WASI command contract: parameters on stdin (read to EOF), the result on stdout.

use std::fmt::Display;
use std::io::{self, Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::invoke::{error_result, invoke, parse_params};

/// Runs one activation: stdin to EOF, `f`, the result object (and a newline) to stdout.
///
/// Exits with status 1 only when stdout cannot be written, since the host then has no result.
pub(crate) fn run_command<P, R, E>(f: impl FnOnce(P) -> Result<R, E>)
where
    P: DeserializeOwned,
    R: Serialize,
    E: Display,
{
    let mut input = Vec::new();
    let result = match io::stdin().lock().read_to_end(&mut input) {
        Ok(_) => match parse_params(&input) {
            Ok(params) => invoke(f, params),
            Err(message) => error_result(message),
        },
        Err(e) => error_result(format!("cannot read the parameters: {e}")),
    };
    if let Err(e) = write_result(&mut io::stdout().lock(), &result) {
        crate::log!("gust-sdk: cannot write the result: {e}");
        std::process::exit(1);
    }
}

/// Writes `result` as compact JSON and a newline, then flushes.
fn write_result(out: &mut impl Write, result: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, result)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn results_are_one_compact_line() -> io::Result<()> {
        let mut out = Vec::new();
        write_result(&mut out, &json!({ "a": [1, 2], "b": "x\ny" }))?;
        assert_eq!(out, b"{\"a\":[1,2],\"b\":\"x\\ny\"}\n");
        Ok(())
    }
}
