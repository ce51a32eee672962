//! The OpenWhisk actionloop protocol, for native builds run by the actionloop proxy.
//!
//! The proxy starts the executable once with `__OW_PROXY_VERSION` set, then writes one JSON
//! object per line on stdin: `{"value": {...}, "activation_id": "...", ...}`. Each key other
//! than `value` is exported as `__OW_<KEY>` (so [`Context::current`](crate::Context::current)
//! and plain `std::env::var` see it), the action runs on `value`, and its result goes to file
//! descriptor 3 as one line of compact JSON. Stdout and stderr stay the activation's logs.

mod os;

use std::fmt::Display;
use std::io::{self, BufRead, BufReader, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::invoke::{error_result, invoke};

/// Serves activations from stdin until it ends; exits with status 1 if the proxy goes away.
pub(crate) fn run_actionloop<P, R, E>(f: impl FnMut(P) -> Result<R, E>)
where
    P: DeserializeOwned,
    R: Serialize,
    E: Display,
{
    let Some(mut results) = os::result_channel() else {
        crate::log!("gust-sdk: file descriptor 3 was already taken");
        std::process::exit(1);
    };
    let wanted = std::env::var_os("__OW_WAIT_FOR_ACK").is_some();
    let served = acknowledge(&mut results, wanted)
        .and_then(|()| serve(f, BufReader::new(io::stdin()), &mut results, os::export));
    if let Err(e) = served {
        crate::log!("gust-sdk: actionloop stopped: {e}");
        std::process::exit(1);
    }
}

/// Writes `{"ok":true}` first when the proxy asked for it (with `__OW_WAIT_FOR_ACK`).
fn acknowledge(results: &mut impl Write, wanted: bool) -> io::Result<()> {
    if !wanted {
        return Ok(());
    }
    results.write_all(b"{\"ok\":true}\n")?;
    results.flush()
}

/// One line from the proxy, decoded.
#[derive(Debug, PartialEq)]
struct Activation {
    /// The action's parameters (`value`; `{}` when absent).
    params: Value,
    /// `__OW_<KEY>` variables to export, from every other key.
    env: Vec<(String, String)>,
}

/// The activation loop proper, over any input and result channel.
///
/// `export(name, Some(value))` sets a variable, `export(name, None)` removes one that the
/// previous activation set but this one does not carry. Before each result is written,
/// stdout and stderr are flushed so the proxy finds all of the activation's logs.
fn serve<P, R, E>(
    mut f: impl FnMut(P) -> Result<R, E>,
    mut input: impl BufRead,
    results: &mut impl Write,
    mut export: impl FnMut(&str, Option<&str>),
) -> io::Result<()>
where
    P: DeserializeOwned,
    R: Serialize,
    E: Display,
{
    let mut exported: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let result = match parse_line(&line) {
            Ok(activation) => {
                let carried = |name: &String| activation.env.iter().any(|(k, _)| k == name);
                for stale in exported.iter().filter(|name| !carried(name)) {
                    export(stale, None);
                }
                for (name, value) in &activation.env {
                    export(name, Some(value));
                }
                exported = activation.env.into_iter().map(|(name, _)| name).collect();
                invoke(&mut f, activation.params)
            }
            Err(message) => error_result(message),
        };
        io::stdout().flush()?;
        io::stderr().flush()?;
        let mut out = serde_json::to_vec(&result)?;
        out.push(b'\n');
        results.write_all(&out)?;
        results.flush()?;
    }
}

/// Decodes one line: a JSON object whose `value` is the parameters.
fn parse_line(line: &[u8]) -> Result<Activation, String> {
    let fields = match serde_json::from_slice(line) {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => return Err("invalid activation: not a JSON object".to_owned()),
        Err(e) => return Err(format!("invalid activation: {e}")),
    };
    let mut params = Value::Object(Map::new());
    let mut env = Vec::new();
    for (key, value) in fields {
        if key == "value" {
            params = value;
        } else if let Some(pair) = env_var(&key, value) {
            env.push(pair);
        }
    }
    Ok(Activation { params, env })
}

/// `("__OW_<KEY>", value)`: strings as they are, other values as JSON, `null` and names or
/// values the OS cannot hold (`=`, NUL) left out.
fn env_var(key: &str, value: Value) -> Option<(String, String)> {
    let value = match value {
        Value::Null => return None,
        Value::String(s) => s,
        other => other.to_string(),
    };
    let usable = !key.is_empty() && !key.contains(['=', '\0']) && !value.contains('\0');
    usable.then(|| (format!("__OW_{}", key.to_uppercase()), value))
}

#[cfg(test)]
mod tests;
