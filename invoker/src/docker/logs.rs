//! Activation logs from a container's output: lines are stamped as they arrive, an activation's
//! lines end at the sentinel the runtime writes on both streams, and the `logs` limit cuts them
//! with OpenWhisk's notice.

use std::time::Duration;

use bytes::Bytes;
use gust_core::time::{log_line, now_us};
use tokio::sync::mpsc;

use crate::classify::messages::logs_truncated;

/// The line every runtime writes to stdout and stderr after each activation.
pub(crate) const SENTINEL: &str = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";

/// The note OpenWhisk appends when the sentinels did not come.
pub(crate) const MISSING: &str = "There was an issue while collecting your logs. Data might be missing.";

/// One chunk of container output: (from stderr, bytes, arrival time in epoch µs).
pub(crate) type Chunk = (bool, Bytes, u64);

/// Splits a container's output into activations.
pub(crate) struct LogReader {
    rx: mpsc::UnboundedReceiver<Chunk>,
    /// Output that came after the last activation's sentinels, in the same chunk.
    pending: Option<Chunk>,
    /// Unterminated text per stream (stdout, stderr), with the time its first byte came.
    partial: [(Vec<u8>, u64); 2],
}

/// What one activation's collection produced.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) lines: Vec<String>,
    /// True when both sentinels arrived.
    pub(crate) complete: bool,
    /// True when the log limit cut the logs.
    pub(crate) truncated: bool,
}

impl LogReader {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<Chunk>) -> Self {
        Self { rx, pending: None, partial: [(Vec::new(), 0), (Vec::new(), 0)] }
    }

    /// Reads the lines of one activation: until a sentinel has come on both streams, or no
    /// output for `idle` (then the result is marked incomplete). Lines past `limit` bytes are
    /// dropped and a truncation notice is added; a `limit` of 0 keeps nothing.
    pub(crate) async fn collect(&mut self, limit: u64, idle: Duration) -> Collected {
        let mut out = Collected::default();
        let mut used = 0u64;
        let mut seen = [false, false];
        while !(seen[0] && seen[1]) {
            let next = match self.pending.take() {
                Some(chunk) => Some(chunk),
                None => tokio::time::timeout(idle, self.rx.recv()).await.ok().flatten(),
            };
            let Some((is_err, bytes, at)) = next else {
                break;
            };
            let s = usize::from(is_err);
            let mut rest: &[u8] = &bytes;
            while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
                if seen[0] && seen[1] {
                    // The next activation's output: keep it for then.
                    break;
                }
                let (head, tail) = rest.split_at(nl);
                rest = &tail[1..];
                let (buf, first) = &mut self.partial[s];
                let stamp = if buf.is_empty() { at } else { *first };
                buf.extend_from_slice(head);
                let line = std::mem::take(buf);
                if line == SENTINEL.as_bytes() {
                    seen[s] = true;
                    continue;
                }
                let cost = line.len() as u64 + 1;
                if limit == 0 || out.truncated {
                    continue;
                }
                if used + cost > limit {
                    out.truncated = true;
                    continue;
                }
                used += cost;
                let stream = if is_err { "stderr" } else { "stdout" };
                out.lines.push(log_line(stamp, stream, &String::from_utf8_lossy(&line)));
            }
            if seen[0] && seen[1] {
                if !rest.is_empty() {
                    self.pending = Some((is_err, bytes.slice(bytes.len() - rest.len()..), at));
                }
                break;
            }
            if !rest.is_empty() {
                let (buf, first) = &mut self.partial[s];
                if buf.is_empty() {
                    *first = at;
                }
                buf.extend_from_slice(rest);
            }
        }
        out.complete = seen[0] && seen[1];
        if out.truncated {
            out.lines.push(log_line(now_us(), "stderr", &logs_truncated(limit)));
        }
        if !out.complete {
            out.lines.push(log_line(now_us(), "stderr", MISSING));
        }
        out
    }

    /// Throws away whatever output is queued (used where logs are not collected).
    pub(crate) fn discard(&mut self) {
        self.pending = None;
        while self.rx.try_recv().is_ok() {}
        self.partial = [(Vec::new(), 0), (Vec::new(), 0)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(tx: &mpsc::UnboundedSender<Chunk>, err: bool, s: &str) {
        tx.send((err, Bytes::from(s.to_owned()), now_us())).unwrap();
    }

    #[tokio::test]
    async fn an_activation_ends_at_the_sentinels_of_both_streams() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut r = LogReader::new(rx);
        feed(&tx, false, "one\ntw");
        feed(&tx, true, "err\n");
        feed(&tx, false, &format!("o\n{SENTINEL}\n"));
        feed(&tx, true, &format!("{SENTINEL}\nnext\n"));
        let c = r.collect(1 << 20, Duration::from_secs(1)).await;
        assert!(c.complete);
        assert_eq!(c.lines.len(), 3);
        assert!(c.lines[0].ends_with(" stdout: one"));
        assert!(c.lines[1].ends_with(" stderr: err"));
        assert!(c.lines[2].ends_with(" stdout: two"));
        feed(&tx, false, &format!("{SENTINEL}\n"));
        let next = r.collect(1 << 20, Duration::from_millis(200)).await;
        assert!(!next.complete, "only one sentinel: {next:?}");
        assert!(next.lines[0].ends_with(" stderr: next"));
        assert!(next.lines.last().unwrap().ends_with(MISSING));
    }

    #[tokio::test]
    async fn logs_are_cut_at_the_limit() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut r = LogReader::new(rx);
        feed(&tx, false, &format!("12345\n12345\n12345\n{SENTINEL}\n"));
        feed(&tx, true, &format!("{SENTINEL}\n"));
        let c = r.collect(12, Duration::from_secs(1)).await;
        assert!(c.complete && c.truncated);
        assert_eq!(c.lines.len(), 3);
        assert!(c.lines[2].contains("exceeds the limit of 12 bytes"));
    }
}
