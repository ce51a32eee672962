//! The wait of a blocking invocation: the record normally comes on this controller's
//! completion topic; should that completion be lost (a controller restart between, a bus
//! hiccup), the activation store is polled, less and less often, until the wait is over.

use std::time::{Duration, Instant};

use gust_core::ids::ActivationId;
use gust_core::store::ActivationStore;

use super::Outcome;
use crate::completion::Waiter;

/// The first store poll comes after this; each next one after twice as long, up to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_secs(1);
const MAX_POLL: Duration = Duration::from_secs(8);

/// Waits up to `wait` for activation `id` of `namespace`: finished, or still only accepted.
pub(super) async fn record(
    mut waiter: Waiter<'_>,
    store: &dyn ActivationStore,
    namespace: &str,
    id: ActivationId,
    wait: Duration,
) -> Outcome {
    let deadline = Instant::now() + wait;
    let mut poll = FIRST_POLL;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Some(record) = waiter.wait(poll.min(left)).await {
            return Outcome::Finished(record);
        }
        if let Ok(Some(r)) = store.get(namespace, id).await {
            return Outcome::Finished(std::sync::Arc::new(r));
        }
        if Instant::now() >= deadline {
            return Outcome::Accepted(id);
        }
        poll = (poll * 2).min(MAX_POLL);
    }
}
