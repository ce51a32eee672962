//! Per-action limits (`timeout`, `memory`, `logs`, `concurrency`) and their allowed ranges.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most atomic actions a sequence may hold, nested sequences inlined, and the most component
/// activations a composition may make (OpenWhisk's `actionSequenceLimit`).
pub const SEQUENCE_MAX_ACTIONS: usize = 50;

/// Allowed ranges and defaults for action limits (OpenWhisk's system defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitBounds {
    /// Shortest timeout, ms.
    pub min_timeout: u64,
    /// Longest timeout, ms.
    pub max_timeout: u64,
    /// Default timeout, ms.
    pub std_timeout: u64,
    /// Smallest memory, MB.
    pub min_memory: u32,
    /// Largest memory, MB.
    pub max_memory: u32,
    /// Default memory, MB.
    pub std_memory: u32,
    /// Smallest log limit, MB.
    pub min_logs: u32,
    /// Largest log limit, MB.
    pub max_logs: u32,
    /// Default log limit, MB.
    pub std_logs: u32,
    /// Smallest intra-container concurrency.
    pub min_concurrency: u32,
    /// Largest intra-container concurrency.
    pub max_concurrency: u32,
    /// Default intra-container concurrency.
    pub std_concurrency: u32,
}

impl Default for LimitBounds {
    fn default() -> Self {
        Self {
            min_timeout: 100,
            max_timeout: 300_000,
            std_timeout: 60_000,
            min_memory: 128,
            max_memory: 512,
            std_memory: 256,
            min_logs: 0,
            max_logs: 10,
            std_logs: 10,
            min_concurrency: 1,
            max_concurrency: 500,
            std_concurrency: 1,
        }
    }
}

/// The limits stored with an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionLimits {
    /// Run time limit, ms.
    pub timeout: u64,
    /// Memory limit, MB.
    pub memory: u32,
    /// Log size limit, MB.
    pub logs: u32,
    /// Activations one container may run at once.
    #[serde(default = "one")]
    pub concurrency: u32,
}

fn one() -> u32 {
    1
}

impl ActionLimits {
    /// The defaults of `bounds`.
    pub fn defaults(bounds: &LimitBounds) -> Self {
        Self {
            timeout: bounds.std_timeout,
            memory: bounds.std_memory,
            logs: bounds.std_logs,
            concurrency: bounds.std_concurrency,
        }
    }

    /// Memory limit in bytes.
    pub fn memory_bytes(&self) -> u64 {
        u64::from(self.memory) << 20
    }

    /// Log limit in bytes.
    pub fn log_bytes(&self) -> u64 {
        u64::from(self.logs) << 20
    }
}

/// A limits object as a client sent it: every field optional, values not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LimitsPut {
    /// Requested timeout.
    pub timeout: Option<Value>,
    /// Requested memory.
    pub memory: Option<Value>,
    /// Requested log limit.
    pub logs: Option<Value>,
    /// Requested concurrency.
    pub concurrency: Option<Value>,
}

/// Why requested limits were refused. The text is OpenWhisk's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// A limit that is not a whole number (the field's word, e.g. `time`).
    #[error("{0} limit must be whole number")]
    NotWhole(&'static str),
    /// Timeout above the maximum.
    #[error("duration {0} milliseconds exceeds allowed threshold of {1} milliseconds")]
    TimeoutAbove(u64, u64),
    /// Timeout below the minimum.
    #[error("duration {0} milliseconds below allowed threshold of {1} milliseconds")]
    TimeoutBelow(u64, u64),
    /// Memory above the maximum.
    #[error("memory size {0} MB exceeds allowed threshold of {1} MB")]
    MemoryAbove(u64, u32),
    /// Memory below the minimum.
    #[error("memory size {0} MB below allowed threshold of {1} MB")]
    MemoryBelow(u64, u32),
    /// Log limit above the maximum.
    #[error("log size {0} MB exceeds allowed threshold of {1} MB")]
    LogsAbove(u64, u32),
    /// Log limit below the minimum.
    #[error("log size {0} MB below allowed threshold of {1} MB")]
    LogsBelow(u64, u32),
    /// Concurrency above the maximum.
    #[error("concurrency {0} exceeds allowed threshold of {1}")]
    ConcurrencyAbove(u64, u32),
    /// Concurrency below the minimum.
    #[error("concurrency {0} below allowed threshold of {1}")]
    ConcurrencyBelow(u64, u32),
}

fn whole(v: &Value, word: &'static str) -> Result<u64, LimitError> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(u)
            } else if n.as_i64().is_some() {
                // Negative whole numbers are below any minimum; report them as 0.
                Ok(0)
            } else {
                Err(LimitError::NotWhole(word))
            }
        }
        _ => Err(LimitError::NotWhole(word)),
    }
}

impl LimitsPut {
    /// Applies the requested fields on top of `base`, checking each against `bounds`.
    pub fn apply(&self, base: ActionLimits, bounds: &LimitBounds) -> Result<ActionLimits, LimitError> {
        let mut out = base;
        if let Some(v) = self.timeout.as_ref().filter(|v| !v.is_null()) {
            let t = whole(v, "time")?;
            if t > bounds.max_timeout {
                return Err(LimitError::TimeoutAbove(t, bounds.max_timeout));
            }
            if t < bounds.min_timeout {
                return Err(LimitError::TimeoutBelow(t, bounds.min_timeout));
            }
            out.timeout = t;
        }
        if let Some(v) = self.memory.as_ref().filter(|v| !v.is_null()) {
            let m = whole(v, "memory")?;
            if m > u64::from(bounds.max_memory) {
                return Err(LimitError::MemoryAbove(m, bounds.max_memory));
            }
            if m < u64::from(bounds.min_memory) {
                return Err(LimitError::MemoryBelow(m, bounds.min_memory));
            }
            out.memory = m as u32;
        }
        if let Some(v) = self.logs.as_ref().filter(|v| !v.is_null()) {
            let l = whole(v, "log")?;
            if l > u64::from(bounds.max_logs) {
                return Err(LimitError::LogsAbove(l, bounds.max_logs));
            }
            if l < u64::from(bounds.min_logs) {
                return Err(LimitError::LogsBelow(l, bounds.min_logs));
            }
            out.logs = l as u32;
        }
        if let Some(v) = self.concurrency.as_ref().filter(|v| !v.is_null()) {
            let c = whole(v, "concurrency")?;
            if c > u64::from(bounds.max_concurrency) {
                return Err(LimitError::ConcurrencyAbove(c, bounds.max_concurrency));
            }
            if c < u64::from(bounds.min_concurrency) {
                return Err(LimitError::ConcurrencyBelow(c, bounds.min_concurrency));
            }
            out.concurrency = c as u32;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(v: Value) -> LimitsPut {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn missing_fields_keep_the_base() {
        let b = LimitBounds::default();
        let base = ActionLimits::defaults(&b);
        let got = put(json!({"memory": 128})).apply(base, &b).unwrap();
        assert_eq!(got, ActionLimits { memory: 128, ..base });
    }

    #[test]
    fn out_of_range_limits_get_openwhisk_messages() {
        let b = LimitBounds::default();
        let base = ActionLimits::defaults(&b);
        let cases = [
            (json!({"memory": 1024}), "memory size 1024 MB exceeds allowed threshold of 512 MB"),
            (json!({"memory": 64}), "memory size 64 MB below allowed threshold of 128 MB"),
            (
                json!({"timeout": 400000}),
                "duration 400000 milliseconds exceeds allowed threshold of 300000 milliseconds",
            ),
            (json!({"logs": 20}), "log size 20 MB exceeds allowed threshold of 10 MB"),
            (json!({"timeout": 1.5}), "time limit must be whole number"),
            (json!({"concurrency": 501}), "concurrency 501 exceeds allowed threshold of 500"),
        ];
        for (req, msg) in cases {
            assert_eq!(put(req).apply(base, &b).unwrap_err().to_string(), msg);
        }
    }
}
