//! Namespace throttles: the system's defaults and the per-namespace overrides an operator sets
//! with `gust admin limits` (OpenWhisk's `invocationsPerMinute`, `concurrentInvocations`,
//! `firesPerMinute`).

use serde::{Deserialize, Serialize};

/// The limits set for one namespace; an absent field means "the system's default".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserLimits {
    /// Action invocations started per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocations_per_minute: Option<u32>,
    /// Action invocations in flight at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_invocations: Option<u32>,
    /// Trigger fires per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fires_per_minute: Option<u32>,
}

impl UserLimits {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == UserLimits::default()
    }
}

/// The throttles in force for a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttles {
    /// Action invocations started per minute.
    pub invocations_per_minute: u32,
    /// Action invocations in flight at once.
    pub concurrent_invocations: u32,
    /// Trigger fires per minute.
    pub fires_per_minute: u32,
}

impl Default for Throttles {
    /// OpenWhisk's deployed defaults: 60 invocations and 60 fires per minute, 30 in flight.
    fn default() -> Self {
        Self { invocations_per_minute: 60, concurrent_invocations: 30, fires_per_minute: 60 }
    }
}

impl Throttles {
    /// These defaults with `overrides` applied.
    pub fn with(self, overrides: &UserLimits) -> Throttles {
        Throttles {
            invocations_per_minute: overrides.invocations_per_minute.unwrap_or(self.invocations_per_minute),
            concurrent_invocations: overrides.concurrent_invocations.unwrap_or(self.concurrent_invocations),
            fires_per_minute: overrides.fires_per_minute.unwrap_or(self.fires_per_minute),
        }
    }

    /// One controller's share of these limits when `controllers` share a deployment, as
    /// OpenWhisk splits them: each limit raised by 20 %, divided among the controllers, at
    /// least 1 (a limit of 0 stays 0: nothing is allowed anywhere).
    pub fn share(self, controllers: u64) -> Throttles {
        let part = |limit: u32| -> u32 {
            if limit == 0 || controllers <= 1 {
                return limit;
            }
            let raised = (u64::from(limit) * 12).div_ceil(10);
            u32::try_from((raised / controllers).max(1)).unwrap_or(u32::MAX)
        };
        Throttles {
            invocations_per_minute: part(self.invocations_per_minute),
            concurrent_invocations: part(self.concurrent_invocations),
            fires_per_minute: part(self.fires_per_minute),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn overrides_replace_only_what_they_set() {
        let o = UserLimits { concurrent_invocations: Some(2), ..Default::default() };
        let t = Throttles::default().with(&o);
        assert_eq!(t, Throttles { invocations_per_minute: 60, concurrent_invocations: 2, fires_per_minute: 60 });
        assert_eq!(serde_json::to_value(o).unwrap(), json!({"concurrentInvocations": 2}));
        assert!(UserLimits::default().is_empty());
        assert!(serde_json::from_value::<UserLimits>(json!({"bogus": 1})).is_err());
    }

    #[test]
    fn controllers_split_limits_as_openwhisk_does() {
        // OpenWhisk's example: 1000 concurrent across 5 controllers gives 240 each.
        let t = Throttles { invocations_per_minute: 60, concurrent_invocations: 1000, fires_per_minute: 1 };
        let s = t.share(5);
        assert_eq!(s.concurrent_invocations, 240);
        assert_eq!(s.invocations_per_minute, 14); // ceil(72) / 5
        assert_eq!(s.fires_per_minute, 1, "never below 1");
        assert_eq!(t.share(1), t, "one controller takes the whole limit");
        let zero = Throttles { invocations_per_minute: 0, ..t };
        assert_eq!(zero.share(3).invocations_per_minute, 0);
    }
}
