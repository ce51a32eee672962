//! Choosing an invoker, as OpenWhisk's sharding balancer does: a home invoker by hash of the
//! caller's namespace and the action name, then co-prime steps over the healthy invokers.
//! Pure functions, so the probing order is unit-tested.

/// Java's `String.hashCode` (OpenWhisk hashes with it; keeping it keeps the same homes).
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Numbers in 1..=n that are co-prime to `n` and to each other (OpenWhisk's step sizes).
pub fn pairwise_coprimes_until(n: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for x in 1..=n {
        if gcd(x, n) == 1 && out.iter().all(|&y| gcd(x, y) == 1) {
            out.push(x);
        }
    }
    out
}

/// The order in which `n` invokers are probed for an action of `fqn` invoked from `namespace`.
pub fn probe_order(namespace: &str, fqn: &str, n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let hash = (java_string_hash(namespace) ^ java_string_hash(fqn)).unsigned_abs() as usize;
    probe_order_for_hash(hash, n)
}

fn probe_order_for_hash(hash: usize, n: usize) -> Vec<usize> {
    let steps = pairwise_coprimes_until(n);
    let step = steps.get(hash % steps.len().max(1)).copied().unwrap_or(1);
    let home = hash % n;
    (0..n).map(|i| (home + i * step) % n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coprimes_match_openwhisk() {
        assert_eq!(pairwise_coprimes_until(10), vec![1, 3, 7]);
        assert_eq!(pairwise_coprimes_until(1), vec![1]);
    }

    #[test]
    fn probing_visits_every_invoker_once_from_home() {
        // The example in OpenWhisk's source: 10 invokers, hash 13 -> home 3, step 3.
        assert_eq!(probe_order_for_hash(13, 10), vec![3, 6, 9, 2, 5, 8, 1, 4, 7, 0]);
        let mut o = probe_order("guest", "guest/hello", 7);
        o.sort_unstable();
        assert_eq!(o, (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99_162_322);
    }
}

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use gust_core::ids::ActivationId;
use gust_core::messages::InvokerId;
use gust_core::registry::InvokerInfo;

/// What an activation occupies on its invoker, as this controller counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Capacity {
    /// Container memory, MB (Docker actions, OpenWhisk's accounting).
    Memory(u64),
    /// One WebAssembly instance slot (Wasm actions use a fraction of their memory limit, so
    /// they are counted by the invoker's instance slots instead).
    WasmSlot,
}

/// Where an activation went and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The chosen invoker.
    pub(crate) invoker: InvokerId,
    /// True when every invoker was full and this one was forced (OpenWhisk's overload path).
    pub(crate) forced: bool,
}

#[derive(Debug)]
struct InFlight {
    invoker: InvokerId,
    capacity: Capacity,
    /// The namespace it counts against (its concurrent-invocations throttle).
    namespace: Arc<str>,
    /// When the slot is released even without a completion (the invoker may have died).
    deadline: Instant,
}

/// OpenWhisk's sharding balancer: per invoker, this controller's share of its memory (and of
/// its Wasm slots) as counters; an activation takes the first invoker in its probe order with
/// room, or a random healthy one when all are full. Completions (or a forced timeout) give the
/// room back.
pub(crate) struct LoadBalancer {
    /// Controllers sharing every invoker: each gets 1/N of it.
    controllers: u64,
    /// Wasm instance slots each invoker offers.
    wasm_slots: u64,
    free: DashMap<(InvokerId, bool), Arc<AtomicI64>>,
    inflight: DashMap<ActivationId, InFlight>,
    /// Activations in flight per namespace (OpenWhisk's `activeActivationsFor`).
    per_namespace: DashMap<Arc<str>, u64>,
}

impl LoadBalancer {
    pub(crate) fn new(controllers: u64, wasm_slots: u64) -> Self {
        Self {
            controllers: controllers.max(1),
            wasm_slots,
            free: DashMap::new(),
            inflight: DashMap::new(),
            per_namespace: DashMap::new(),
        }
    }

    /// How many activations of `namespace` this controller has in flight.
    pub(crate) fn active_for(&self, namespace: &str) -> u64 {
        self.per_namespace.get(namespace).map_or(0, |n| *n)
    }

    /// This controller's share of `info`'s pool (memory MB, or Wasm slots).
    fn share(&self, info: &InvokerInfo, wasm: bool) -> i64 {
        let total = if wasm { self.wasm_slots } else { info.user_memory_mb };
        let min = if wasm { 1 } else { 128 };
        (total / self.controllers).max(min) as i64
    }

    fn counter(&self, info: &InvokerInfo, wasm: bool) -> Arc<AtomicI64> {
        self.free.entry((info.id, wasm)).or_insert_with(|| Arc::new(AtomicI64::new(self.share(info, wasm)))).clone()
    }

    /// Picks an invoker for an activation of `fqn` (invoked from `namespace`) and takes its
    /// capacity; `None` only when no invoker is healthy.
    pub(crate) fn schedule(
        &self,
        invokers: &[InvokerInfo],
        namespace: &str,
        fqn: &str,
        capacity: Capacity,
    ) -> Option<Placement> {
        if invokers.is_empty() {
            return None;
        }
        let (wasm, need) = match capacity {
            Capacity::Memory(mb) => (false, mb as i64),
            Capacity::WasmSlot => (true, 1),
        };
        for i in probe_order(namespace, fqn, invokers.len()) {
            let info = &invokers[i];
            let counter = self.counter(info, wasm);
            let mut free = counter.load(Ordering::Acquire);
            while free >= need {
                match counter.compare_exchange_weak(free, free - need, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => return Some(Placement { invoker: info.id, forced: false }),
                    Err(now) => free = now,
                }
            }
        }
        // Everything is full: overload a random invoker rather than refuse (it queues there).
        let info = &invokers[rand::random_range(0..invokers.len())];
        self.counter(info, wasm).fetch_sub(need, Ordering::AcqRel);
        tracing::warn!(invoker = %info.id, "Every invoker is at capacity; overloading one.");
        Some(Placement { invoker: info.id, forced: true })
    }

    /// Remembers what activation `id` of `namespace` holds until its completion (or
    /// `hold_for` passes).
    pub(crate) fn track(
        &self,
        id: ActivationId,
        namespace: &str,
        invoker: InvokerId,
        capacity: Capacity,
        hold_for: Duration,
    ) {
        let namespace: Arc<str> = match self.per_namespace.get_mut(namespace) {
            Some(mut n) => {
                *n += 1;
                n.key().clone()
            }
            None => {
                let key: Arc<str> = Arc::from(namespace);
                *self.per_namespace.entry(key.clone()).or_insert(0) += 1;
                key
            }
        };
        self.inflight.insert(id, InFlight { invoker, capacity, namespace, deadline: Instant::now() + hold_for });
    }

    /// Gives back what activation `id` held (on its completion); idempotent.
    pub(crate) fn release(&self, id: ActivationId) {
        if let Some((_, f)) = self.inflight.remove(&id) {
            self.give_back(&f);
            self.per_namespace.remove_if_mut(&f.namespace, |_, n| {
                *n = n.saturating_sub(1);
                *n == 0
            });
        }
    }

    fn give_back(&self, f: &InFlight) {
        let (wasm, n) = match f.capacity {
            Capacity::Memory(mb) => (false, mb as i64),
            Capacity::WasmSlot => (true, 1),
        };
        if let Some(c) = self.free.get(&(f.invoker, wasm)) {
            c.fetch_add(n, Ordering::AcqRel);
        }
    }

    /// Releases activations whose completion never came in time; returns how many.
    pub(crate) fn expire(&self) -> usize {
        let now = Instant::now();
        let late: Vec<ActivationId> = self.inflight.iter().filter(|e| e.deadline <= now).map(|e| *e.key()).collect();
        for id in &late {
            tracing::warn!(activation_id = %id, "No completion in time; releasing its capacity.");
            self.release(*id);
        }
        late.len()
    }

    /// Activations this controller is waiting on.
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.inflight.len()
    }
}

/// How long a slot is held without a completion: OpenWhisk's
/// `max(action timeout, 60 s) * 2 + 1 min`.
pub(crate) fn completion_timeout(action_timeout: Duration) -> Duration {
    action_timeout.max(Duration::from_secs(60)) * 2 + Duration::from_secs(60)
}

#[cfg(test)]
mod balancer_tests {
    use super::*;

    fn invokers(n: u32, mem: u64) -> Vec<InvokerInfo> {
        (0..n).map(|i| InvokerInfo { id: InvokerId(i), user_memory_mb: mem }).collect()
    }

    #[test]
    fn activations_fill_the_home_invoker_then_step_on() {
        let lb = LoadBalancer::new(1, 256);
        let inv = invokers(3, 512);
        let home = probe_order("guest", "guest/a", 3)[0];
        let a = lb.schedule(&inv, "guest", "guest/a", Capacity::Memory(256)).unwrap();
        let b = lb.schedule(&inv, "guest", "guest/a", Capacity::Memory(256)).unwrap();
        let c = lb.schedule(&inv, "guest", "guest/a", Capacity::Memory(256)).unwrap();
        assert_eq!(a.invoker.0 as usize, home);
        assert_eq!(b.invoker.0 as usize, home);
        assert_ne!(c.invoker.0 as usize, home, "the home invoker is full after two");
        assert!(!c.forced);
    }

    #[test]
    fn when_all_are_full_one_is_forced_and_completions_give_room_back() {
        let lb = LoadBalancer::new(2, 256);
        let inv = invokers(1, 512); // this controller's share: 256 MB
        let a = lb.schedule(&inv, "g", "g/a", Capacity::Memory(256)).unwrap();
        assert!(!a.forced);
        lb.track(ActivationId::generate(), "g", a.invoker, Capacity::Memory(256), Duration::from_secs(60));
        let b = lb.schedule(&inv, "g", "g/a", Capacity::Memory(256)).unwrap();
        assert!(b.forced);
        let id = ActivationId::generate();
        lb.track(id, "g", b.invoker, Capacity::Memory(256), Duration::from_secs(60));
        assert_eq!(lb.active_for("g"), 2);
        lb.release(id);
        lb.release(id);
        assert_eq!(lb.in_flight(), 1);
        assert_eq!(lb.active_for("g"), 1, "a second release of one activation counts once");
        assert_eq!(lb.active_for("other"), 0);
    }

    #[test]
    fn wasm_slots_are_counted_apart_from_memory() {
        let lb = LoadBalancer::new(1, 2);
        let inv = invokers(1, 128);
        assert!(!lb.schedule(&inv, "g", "g/w", Capacity::WasmSlot).unwrap().forced);
        assert!(!lb.schedule(&inv, "g", "g/w", Capacity::WasmSlot).unwrap().forced);
        assert!(lb.schedule(&inv, "g", "g/w", Capacity::WasmSlot).unwrap().forced);
        assert!(!lb.schedule(&inv, "g", "g/d", Capacity::Memory(128)).unwrap().forced, "memory is separate");
    }

    #[test]
    fn late_completions_are_expired() {
        let lb = LoadBalancer::new(1, 4);
        let inv = invokers(1, 128);
        let p = lb.schedule(&inv, "g", "g/x", Capacity::Memory(128)).unwrap();
        lb.track(ActivationId::generate(), "g", p.invoker, Capacity::Memory(128), Duration::ZERO);
        assert_eq!(lb.active_for("g"), 1);
        assert_eq!(lb.expire(), 1);
        assert_eq!(lb.active_for("g"), 0, "an expired activation no longer counts against its namespace");
        assert!(!lb.schedule(&inv, "g", "g/x", Capacity::Memory(128)).unwrap().forced, "room came back");
        assert_eq!(completion_timeout(Duration::from_secs(1)), Duration::from_secs(180));
    }

    #[test]
    fn no_healthy_invoker_means_no_placement() {
        assert_eq!(LoadBalancer::new(1, 1).schedule(&[], "g", "g/x", Capacity::WasmSlot), None);
    }
}
