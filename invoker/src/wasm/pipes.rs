//! The guest's stdout and stderr as host-side buffers that never trap.
//!
//! wasmtime's `MemoryOutputPipe` traps when it is full. OpenWhisk instead truncates logs at the
//! action's `logs` limit and turns an oversized result into an application error, so both
//! streams here accept every write, keep what fits, and remember that something was dropped.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use gust_core::time::{log_line, now_us};
use parking_lot::Mutex;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// How much a guest may write in one `write` call (the permit of `check_write`).
const WRITE_PERMIT: usize = 64 * 1024;

/// Something that accepts guest bytes.
trait Sink: Send + 'static {
    fn accept(&mut self, bytes: &[u8]);
}

/// Adapts a shared [`Sink`] to the WASI stream traits.
struct Stream<S>(Arc<Mutex<S>>);

impl<S> Clone for Stream<S> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl<S: Sink> Pollable for Stream<S> {
    async fn ready(&mut self) {}
}

impl<S: Sink> OutputStream for Stream<S> {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.0.lock().accept(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(WRITE_PERMIT)
    }
}

impl<S: Sink> AsyncWrite for Stream<S> {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.0.lock().accept(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl<S: Sink> IsTerminal for Stream<S> {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl<S: Sink> StdoutStream for Stream<S> {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

/// The result channel (stdout): keeps the first `cap` bytes and counts the rest.
struct ResultBuf {
    bytes: Vec<u8>,
    cap: usize,
    total: usize,
}

impl Sink for ResultBuf {
    fn accept(&mut self, bytes: &[u8]) {
        let room = self.cap.saturating_sub(self.bytes.len());
        self.bytes.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.total += bytes.len();
    }
}

/// The guest's stdout.
#[derive(Clone)]
pub(crate) struct ResultPipe(Stream<ResultBuf>);

impl ResultPipe {
    /// A pipe that keeps up to `cap` bytes.
    pub(crate) fn new(cap: usize) -> Self {
        Self(Stream(Arc::new(Mutex::new(ResultBuf { bytes: Vec::new(), cap, total: 0 }))))
    }

    /// The stream to hand to WASI.
    pub(crate) fn stream(&self) -> impl StdoutStream + 'static {
        self.0.clone()
    }

    /// What was kept, and how many bytes were written in all.
    pub(crate) fn take(&self) -> (Vec<u8>, usize) {
        let mut g = self.0.0.lock();
        (std::mem::take(&mut g.bytes), g.total)
    }
}

/// The log channel (stderr): timestamped lines up to a byte limit.
struct LogBuf {
    stream: &'static str,
    lines: Vec<String>,
    partial: Vec<u8>,
    partial_at: u64,
    used: u64,
    limit: u64,
    truncated: bool,
}

impl LogBuf {
    fn push_line(&mut self, line: &[u8], at: u64) {
        if self.truncated {
            return;
        }
        let cost = line.len() as u64 + 1;
        if self.used + cost > self.limit {
            self.truncated = true;
            return;
        }
        self.used += cost;
        self.lines.push(log_line(at, self.stream, &String::from_utf8_lossy(line)));
    }
}

impl Sink for LogBuf {
    fn accept(&mut self, mut bytes: &[u8]) {
        // A zero limit means the action asked for no logs at all.
        if self.truncated || self.limit == 0 {
            return;
        }
        let now = now_us();
        while let Some(nl) = bytes.iter().position(|&b| b == b'\n') {
            let (line, rest) = bytes.split_at(nl);
            if self.partial.is_empty() {
                self.push_line(line, now);
            } else {
                let mut full = std::mem::take(&mut self.partial);
                full.extend_from_slice(line);
                let at = self.partial_at;
                self.push_line(&full, at);
            }
            bytes = &rest[1..];
        }
        if !bytes.is_empty() {
            if self.partial.is_empty() {
                self.partial_at = now;
            }
            // A line longer than the whole limit can never be kept.
            if (self.partial.len() + bytes.len()) as u64 > self.limit {
                self.truncated = true;
                return;
            }
            self.partial.extend_from_slice(bytes);
        }
    }
}

/// The guest's stderr, turned into activation log lines.
#[derive(Clone)]
pub(crate) struct LogPipe(Stream<LogBuf>);

impl LogPipe {
    /// A pipe that keeps lines of `stream` up to `limit` bytes.
    pub(crate) fn new(stream: &'static str, limit: u64) -> Self {
        Self(Stream(Arc::new(Mutex::new(LogBuf {
            stream,
            lines: Vec::new(),
            partial: Vec::new(),
            partial_at: 0,
            used: 0,
            limit,
            truncated: false,
        }))))
    }

    /// The stream to hand to WASI.
    pub(crate) fn stream(&self) -> impl StdoutStream + 'static {
        self.0.clone()
    }

    /// The lines, with an unterminated last line and the truncation notice where due.
    pub(crate) fn take(&self) -> Vec<String> {
        let mut g = self.0.0.lock();
        if !g.partial.is_empty() {
            let partial = std::mem::take(&mut g.partial);
            let at = g.partial_at;
            g.push_line(&partial, at);
        }
        let mut lines = std::mem::take(&mut g.lines);
        if g.truncated && g.limit > 0 {
            lines.push(log_line(now_us(), g.stream, &crate::classify::messages::logs_truncated(g.limit)));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &LogPipe, s: &str) {
        p.0.0.lock().accept(s.as_bytes());
    }

    #[test]
    fn lines_are_split_and_stamped() {
        let p = LogPipe::new("stderr", 1 << 20);
        write(&p, "one\ntw");
        write(&p, "o\nthree");
        let lines = p.take();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].ends_with(" stderr: one"), "{}", lines[0]);
        assert!(lines[1].ends_with(" stderr: two"));
        assert!(lines[2].ends_with(" stderr: three"));
        assert!(lines[0].starts_with("20"), "timestamp first: {}", lines[0]);
    }

    #[test]
    fn logs_stop_at_the_limit_with_a_notice() {
        let p = LogPipe::new("stderr", 10);
        write(&p, "12345\n12345\n12345\n");
        let lines = p.take();
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with("Logs were truncated because the total bytes size exceeds the limit of 10 bytes."));
    }

    #[test]
    fn a_zero_limit_keeps_nothing() {
        let p = LogPipe::new("stderr", 0);
        write(&p, "x\n");
        assert!(p.take().is_empty());
    }

    #[test]
    fn results_keep_the_cap_and_count_the_rest() {
        let r = ResultPipe::new(4);
        r.0.0.lock().accept(b"abcdef");
        let (kept, total) = r.take();
        assert_eq!(kept, b"abcd");
        assert_eq!(total, 6);
    }
}
