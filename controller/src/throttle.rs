//! Namespace throttles, as OpenWhisk counts them: invocations and trigger fires per fixed
//! clock minute, and invocations in flight. Each controller counts its own traffic against
//! its share of the limits ([`Throttles::share`]), so a deployment of N controllers allows
//! about 1.2 times the limit in all, as OpenWhisk does.

use dashmap::DashMap;
use gust_core::subject::Identity;
use gust_core::user_limits::Throttles;

/// A throttle that was hit. The text is OpenWhisk's (429).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Throttled {
    /// Too many invocations (or fires) started in this minute.
    #[error("Too many requests in the last minute (count: {count}, allowed: {allowed}).")]
    PerMinute {
        /// Requests counted this minute, this one included.
        count: u64,
        /// The limit.
        allowed: u32,
    },
    /// Too many invocations in flight.
    #[error("Too many concurrent requests in flight (count: {count}, allowed: {allowed}).")]
    Concurrent {
        /// Activations in flight.
        count: u64,
        /// The limit.
        allowed: u32,
    },
}

/// What a per-minute counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Rate {
    /// Action invocations.
    Invocations = 0,
    /// Trigger fires.
    Fires = 1,
}

/// The current minute's count of one namespace and rate.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    minute: u64,
    count: u64,
}

/// Per-minute counters by namespace, and the limits this controller enforces.
pub(crate) struct Throttler {
    /// The system's defaults (the whole deployment's).
    defaults: Throttles,
    /// Controllers sharing the deployment.
    controllers: u64,
    /// This minute's counts by namespace: invocations, then fires.
    buckets: [DashMap<String, Bucket>; 2],
}

impl Throttler {
    pub(crate) fn new(defaults: Throttles, controllers: u64) -> Self {
        Self { defaults, controllers: controllers.max(1), buckets: [DashMap::new(), DashMap::new()] }
    }

    /// The limits in force for `identity`'s namespace in the whole deployment.
    pub(crate) fn limits(&self, identity: &Identity) -> Throttles {
        self.defaults.with(&identity.limits)
    }

    /// This controller's share of them.
    pub(crate) fn local(&self, identity: &Identity) -> Throttles {
        self.limits(identity).share(self.controllers)
    }

    /// Counts one request of `rate` for `identity` in the minute `now_ms` falls in, and
    /// refuses it past the limit. A refused request still counts (OpenWhisk's rule).
    pub(crate) fn check_rate(&self, identity: &Identity, rate: Rate, now_ms: u64) -> Result<(), Throttled> {
        let local = self.local(identity);
        let allowed = match rate {
            Rate::Invocations => local.invocations_per_minute,
            Rate::Fires => local.fires_per_minute,
        };
        let minute = now_ms / 60_000;
        let count_in = |b: &mut Bucket| {
            if b.minute != minute {
                *b = Bucket { minute, count: 0 };
            }
            b.count += 1;
            b.count
        };
        let buckets = &self.buckets[rate as usize];
        // The namespace is usually counted already: no key to allocate then.
        let count = match buckets.get_mut(identity.namespace.as_str()) {
            Some(mut b) => count_in(&mut b),
            None => count_in(&mut buckets.entry(identity.namespace.clone()).or_insert(Bucket { minute, count: 0 })),
        };
        if count <= u64::from(allowed) { Ok(()) } else { Err(Throttled::PerMinute { count, allowed }) }
    }

    /// Refuses a new invocation while `active` of `identity`'s are in flight at the limit.
    pub(crate) fn check_concurrent(&self, identity: &Identity, active: u64) -> Result<(), Throttled> {
        let allowed = self.local(identity).concurrent_invocations;
        if active < u64::from(allowed) { Ok(()) } else { Err(Throttled::Concurrent { count: active, allowed }) }
    }

    /// Forgets the counters of past minutes (called now and then, so that namespaces that
    /// stopped calling do not stay in memory).
    pub(crate) fn forget_before(&self, now_ms: u64) {
        let minute = now_ms / 60_000;
        for buckets in &self.buckets {
            buckets.retain(|_, b| b.minute >= minute);
        }
    }
}

/// Drops, once a minute, the counters of minutes gone by. Stops with the controller.
pub(crate) async fn forget_past_minutes(state: std::sync::Weak<crate::state::Inner>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let Some(inner) = state.upgrade() else { return };
        inner.throttler.forget_before(gust_core::time::now_ms());
    }
}

#[cfg(test)]
mod tests {
    use gust_core::subject::{AuthKey, GUEST_AUTH};
    use gust_core::user_limits::UserLimits;

    use super::*;

    fn guest(limits: UserLimits) -> Identity {
        let key: AuthKey = GUEST_AUTH.parse().unwrap_or_else(|e| panic!("{e}"));
        Identity { limits, ..Identity::new("guest", "guest", key) }
    }

    #[test]
    fn per_minute_counts_reset_with_the_clock_minute_and_refusals_count() {
        let t = Throttler::new(Throttles::default(), 1);
        let g = guest(UserLimits { invocations_per_minute: Some(2), ..Default::default() });
        let m = 7 * 60_000;
        assert_eq!(t.check_rate(&g, Rate::Invocations, m), Ok(()));
        assert_eq!(t.check_rate(&g, Rate::Invocations, m + 59_999), Ok(()));
        let third = t.check_rate(&g, Rate::Invocations, m + 1);
        assert_eq!(third, Err(Throttled::PerMinute { count: 3, allowed: 2 }));
        assert_eq!(third.unwrap_err().to_string(), "Too many requests in the last minute (count: 3, allowed: 2).");
        assert_eq!(t.check_rate(&g, Rate::Invocations, m + 2), Err(Throttled::PerMinute { count: 4, allowed: 2 }));
        assert_eq!(t.check_rate(&g, Rate::Fires, m), Ok(()), "fires are counted apart");
        assert_eq!(t.check_rate(&g, Rate::Invocations, m + 60_000), Ok(()), "a new minute starts over");
        t.forget_before(m + 120_000);
        assert!(t.buckets.iter().all(DashMap::is_empty));
    }

    #[test]
    fn fires_have_their_own_limit() {
        let t = Throttler::new(Throttles::default(), 1);
        let g = guest(UserLimits { fires_per_minute: Some(1), ..Default::default() });
        assert_eq!(t.check_rate(&g, Rate::Fires, 0), Ok(()));
        assert_eq!(t.check_rate(&g, Rate::Fires, 1), Err(Throttled::PerMinute { count: 2, allowed: 1 }));
        assert_eq!(t.check_rate(&g, Rate::Invocations, 1), Ok(()));
    }

    #[test]
    fn concurrency_allows_strictly_below_the_limit() {
        let t = Throttler::new(Throttles::default(), 1);
        let g = guest(UserLimits { concurrent_invocations: Some(2), ..Default::default() });
        assert_eq!(t.check_concurrent(&g, 1), Ok(()));
        let e = t.check_concurrent(&g, 2).unwrap_err();
        assert_eq!(e.to_string(), "Too many concurrent requests in flight (count: 2, allowed: 2).");
        let zero = guest(UserLimits { concurrent_invocations: Some(0), ..Default::default() });
        assert!(t.check_concurrent(&zero, 0).is_err(), "a limit of 0 allows nothing");
    }

    #[test]
    fn each_controller_enforces_its_share() {
        let t = Throttler::new(Throttles { invocations_per_minute: 10, ..Throttles::default() }, 2);
        let g = guest(UserLimits::default());
        assert_eq!(t.limits(&g).invocations_per_minute, 10);
        assert_eq!(t.local(&g).invocations_per_minute, 6); // ceil(12) / 2
        for i in 0..6 {
            assert_eq!(t.check_rate(&g, Rate::Invocations, i), Ok(()));
        }
        assert!(t.check_rate(&g, Rate::Invocations, 7).is_err());
    }
}
