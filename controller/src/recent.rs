//! Records this controller has just handed to blocking callers, for `GET .../activations/{id}`
//! until the store has them: an invoker may answer before its write to the activation store
//! is durable (OpenWhisk's order too), and a client that reads the record right after its
//! blocking invoke must find it. Bounded by count and age.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use gust_core::activation::Activation;
use gust_core::ids::ActivationId;
use parking_lot::Mutex;

/// How many records are kept.
const CAPACITY: usize = 8192;
/// How long a record is kept: far longer than a store write takes.
const MAX_AGE: Duration = Duration::from_secs(30);

/// Recently completed records by activation id.
#[derive(Default)]
pub(crate) struct Recent {
    records: DashMap<ActivationId, Arc<Activation>>,
    order: Mutex<VecDeque<(Instant, ActivationId)>>,
}

impl Recent {
    /// Keeps `record`, dropping the oldest beyond the bounds.
    pub(crate) fn put(&self, record: Arc<Activation>) {
        let id = record.activation_id;
        let now = Instant::now();
        let mut order = self.order.lock();
        while let Some(&(at, old)) = order.front() {
            if order.len() < CAPACITY && now.duration_since(at) < MAX_AGE {
                break;
            }
            order.pop_front();
            self.records.remove(&old);
        }
        order.push_back((now, id));
        self.records.insert(id, record);
    }

    /// The record of `id`, if it completed here lately.
    pub(crate) fn get(&self, id: ActivationId) -> Option<Arc<Activation>> {
        self.records.get(&id).map(|r| r.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gust_core::activation::ActivationResponse;

    fn record() -> Arc<Activation> {
        Arc::new(Activation {
            namespace: "guest".into(),
            name: "a".into(),
            subject: "guest".into(),
            activation_id: ActivationId::generate(),
            start: 1,
            end: 2,
            duration: Some(1),
            response: ActivationResponse::success(serde_json::json!({}), None),
            logs: vec![],
            version: Default::default(),
            publish: false,
            annotations: Default::default(),
            cause: None,
        })
    }

    #[test]
    fn keeps_the_latest_records_up_to_its_capacity() {
        let recent = Recent::default();
        let first = record();
        recent.put(first.clone());
        assert_eq!(recent.get(first.activation_id).map(|r| r.activation_id), Some(first.activation_id));
        for _ in 0..CAPACITY {
            recent.put(record());
        }
        assert!(recent.get(first.activation_id).is_none(), "the oldest is dropped");
        assert_eq!(recent.records.len(), CAPACITY);
        assert!(recent.get(ActivationId::generate()).is_none());
    }
}
