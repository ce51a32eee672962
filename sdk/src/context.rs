//! The activation's context: who is running, for whom, and until when.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the platform tells an activation about itself, through `__OW_*` environment variables.
///
/// Read it with [`Context::current`] inside the action function (in actionloop mode the
/// variables change from one activation to the next, so read it per call, not once).
///
/// `Debug` output hides the API key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// `__OW_ACTIVATION_ID`: this activation's id.
    pub activation_id: String,
    /// `__OW_ACTION_NAME`: the fully qualified action name, `/namespace/[package/]name`.
    pub action_name: String,
    /// `__OW_NAMESPACE`: the namespace the activation runs in.
    pub namespace: String,
    /// `__OW_ACTION_VERSION`: the action's semantic version.
    pub action_version: String,
    /// `__OW_DEADLINE`: when the platform stops the activation, in milliseconds since the Unix
    /// epoch; `0` when the variable is absent or not a number.
    pub deadline: u64,
    /// `__OW_TRANSACTION_ID`: the id of the request that caused the activation.
    pub transaction_id: String,
    /// `__OW_API_HOST`: the platform's API host (every action gets it, as in OpenWhisk; `None`
    /// only when the platform was not told one).
    pub api_host: Option<String>,
    /// `__OW_API_KEY`: the invoking subject's API key, only when the action asked for it.
    pub api_key: Option<String>,
}

impl Context {
    /// Reads the context from the process environment.
    pub fn current() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds a context from any variable lookup, e.g. a map in a unit test:
    ///
    /// ```
    /// let ctx = gust_sdk::Context::from_lookup(|name| match name {
    ///     "__OW_ACTIVATION_ID" => Some("0123abcd".to_owned()),
    ///     "__OW_DEADLINE" => Some("1700000060000".to_owned()),
    ///     _ => None,
    /// });
    /// assert_eq!(ctx.activation_id, "0123abcd");
    /// assert_eq!(ctx.deadline, 1_700_000_060_000);
    /// assert_eq!(ctx.api_key, None);
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let text = |name: &str| lookup(name).unwrap_or_default();
        let optional = |name: &str| lookup(name).filter(|v| !v.is_empty());
        Self {
            activation_id: text("__OW_ACTIVATION_ID"),
            action_name: text("__OW_ACTION_NAME"),
            namespace: text("__OW_NAMESPACE"),
            action_version: text("__OW_ACTION_VERSION"),
            deadline: lookup("__OW_DEADLINE").and_then(|v| v.trim().parse().ok()).unwrap_or(0),
            transaction_id: text("__OW_TRANSACTION_ID"),
            api_host: optional("__OW_API_HOST"),
            api_key: optional("__OW_API_KEY"),
        }
    }

    /// Time left until [`deadline`](Self::deadline): zero once it has passed, `None` when the
    /// deadline is unknown.
    pub fn remaining_time(&self) -> Option<Duration> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        self.remaining_at(u64::try_from(now.as_millis()).unwrap_or(u64::MAX))
    }

    /// Time left until the deadline as seen at `now_ms` (milliseconds since the epoch).
    fn remaining_at(&self, now_ms: u64) -> Option<Duration> {
        (self.deadline != 0).then(|| Duration::from_millis(self.deadline.saturating_sub(now_ms)))
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("activation_id", &self.activation_id)
            .field("action_name", &self.action_name)
            .field("namespace", &self.namespace)
            .field("action_version", &self.action_version)
            .field("deadline", &self.deadline)
            .field("transaction_id", &self.transaction_id)
            .field("api_host", &self.api_host)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Context {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Context::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn every_variable_is_read() {
        let ctx = from(&[
            ("__OW_ACTIVATION_ID", "a1"),
            ("__OW_ACTION_NAME", "/guest/pkg/hello"),
            ("__OW_NAMESPACE", "guest"),
            ("__OW_ACTION_VERSION", "0.0.2"),
            ("__OW_DEADLINE", "1700000000123"),
            ("__OW_TRANSACTION_ID", "tid"),
            ("__OW_API_HOST", "https://h"),
            ("__OW_API_KEY", "user:secret"),
        ]);
        assert_eq!(ctx.activation_id, "a1");
        assert_eq!(ctx.action_name, "/guest/pkg/hello");
        assert_eq!(ctx.namespace, "guest");
        assert_eq!(ctx.action_version, "0.0.2");
        assert_eq!(ctx.deadline, 1_700_000_000_123);
        assert_eq!(ctx.transaction_id, "tid");
        assert_eq!(ctx.api_host.as_deref(), Some("https://h"));
        assert_eq!(ctx.api_key.as_deref(), Some("user:secret"));
    }

    #[test]
    fn absent_variables_are_empty() {
        let ctx = from(&[("__OW_API_HOST", "")]);
        assert_eq!(ctx, Context::default());
        assert_eq!(ctx.remaining_time(), None);
    }

    #[test]
    fn a_malformed_deadline_is_unknown() {
        assert_eq!(from(&[("__OW_DEADLINE", "soon")]).deadline, 0);
        assert_eq!(from(&[("__OW_DEADLINE", "-5")]).deadline, 0);
    }

    #[test]
    fn remaining_time_counts_down_to_zero() {
        let ctx = from(&[("__OW_DEADLINE", "10000")]);
        assert_eq!(ctx.remaining_at(7_500), Some(Duration::from_millis(2_500)));
        assert_eq!(ctx.remaining_at(12_000), Some(Duration::ZERO));
    }

    #[test]
    fn debug_hides_the_api_key() {
        let debug = format!("{:?}", from(&[("__OW_API_KEY", "user:secret")]));
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}
