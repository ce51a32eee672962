//! `chatty`: writes 20 MiB of logs to stderr, 20,480 lines of 1,023 characters plus a newline
//! (line `i`, counting from 0, is `i`, a space, then `x`s), then returns `{"done": true}`. The
//! host must still report success and cap or truncate the logs by its log limit.

use std::io::{self, BufWriter, Write};

use gust_sdk::serde::de::IgnoredAny;
use serde_json::{Value, json};

/// Number of lines written.
const LINES: usize = 20_480;
/// Characters per line, without the newline.
const LINE_CHARS: usize = 1_023;

fn chatty(_params: IgnoredAny) -> Result<Value, io::Error> {
    let mut logs = BufWriter::new(io::stderr().lock());
    let mut line = String::with_capacity(LINE_CHARS + 1);
    for i in 0..LINES {
        line.clear();
        line.push_str(&i.to_string());
        line.push(' ');
        line.extend(std::iter::repeat_n('x', LINE_CHARS - line.len()));
        line.push('\n');
        logs.write_all(line.as_bytes())?;
    }
    logs.flush()?;
    Ok(json!({ "done": true }))
}

gust_sdk::action!(chatty);
