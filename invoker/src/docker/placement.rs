//! Where an activation runs: a pure function of the pool's containers and the request, so every
//! rule (warm reuse, prewarm, cold start, eviction, queueing) is unit-tested.
//!
//! The order is OpenWhisk's: a warm container of the same action revision for the same invoking
//! namespace; else a prewarmed stem cell of the same kind and memory; else a cold container if
//! the invoker's user memory has room; else evict idle warm containers, least recently used
//! first, if that makes room; else wait.

use std::time::Instant;

/// A container's identity inside the pool.
pub(crate) type SlotId = u64;

/// What a warm container is reusable for: (invoking namespace, action document id, revision).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct WarmKey {
    pub(crate) namespace: String,
    pub(crate) action: String,
    pub(crate) revision: String,
}

/// The life of a pool container. Exactly one state at a time, owned by the pool task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerState {
    /// Being created and started (a stem cell, or a cold start for an action).
    Starting,
    /// A started stem cell with no code yet.
    Prewarmed,
    /// Being given an action's code (`/init` in flight); not reusable until it is done.
    Initializing,
    /// Given code (or being given it): `active` activations are in flight.
    Running,
    /// Initialised and idle.
    Ready,
    /// Being paused after its idle grace.
    Pausing,
    /// Paused; unpaused on reuse.
    Paused,
    /// Being removed; its memory is already free.
    Removing,
}

/// What placement needs to know of one container.
#[derive(Debug, Clone)]
pub(crate) struct SlotView<'a> {
    pub(crate) id: SlotId,
    pub(crate) state: ContainerState,
    pub(crate) kind: &'a str,
    pub(crate) memory_mb: u64,
    /// Set once the container has (or is getting) an action's code.
    pub(crate) key: Option<&'a WarmKey>,
    /// Activations in flight.
    pub(crate) active: u32,
    /// Activations it may run at once (the action's concurrency limit).
    pub(crate) max_active: u32,
    pub(crate) last_used: Instant,
}

/// What is being placed.
#[derive(Debug, Clone)]
pub(crate) struct PlaceRequest<'a> {
    pub(crate) key: &'a WarmKey,
    pub(crate) kind: &'a str,
    pub(crate) memory_mb: u64,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Run on this warm container (unpause it first if it is paused).
    Warm(SlotId),
    /// Initialise this stem cell with the action, then run.
    Prewarm(SlotId),
    /// Start a new container.
    Cold,
    /// Remove these idle containers, then start a new one.
    EvictThenCold(Vec<SlotId>),
    /// Nothing can be done now: wait for a container to free up.
    Queue,
}

/// Memory the pool has committed: every container that is not being removed.
pub(crate) fn used_memory(slots: &[SlotView<'_>]) -> u64 {
    slots.iter().filter(|s| s.state != ContainerState::Removing).map(|s| s.memory_mb).sum()
}

/// Decides where `req` runs, given the pool's containers and its user memory (MB).
pub(crate) fn place(slots: &[SlotView<'_>], req: &PlaceRequest<'_>, user_memory_mb: u64) -> Placement {
    // 1. Warm: same key, initialised, with room. Prefer running/ready over paused, then the
    //    most recently used (its caches are the warmest).
    let warm = slots
        .iter()
        .filter(|s| s.key == Some(req.key) && s.active < s.max_active)
        .filter(|s| matches!(s.state, ContainerState::Ready | ContainerState::Running | ContainerState::Paused))
        .max_by_key(|s| (s.state != ContainerState::Paused, s.last_used));
    if let Some(s) = warm {
        return Placement::Warm(s.id);
    }
    // 2. A stem cell of the same kind and memory.
    let prewarm = slots
        .iter()
        .filter(|s| s.state == ContainerState::Prewarmed && s.kind == req.kind && s.memory_mb == req.memory_mb)
        .min_by_key(|s| s.last_used);
    if let Some(s) = prewarm {
        return Placement::Prewarm(s.id);
    }
    // 3. Cold, if it fits.
    let used = used_memory(slots);
    if used + req.memory_mb <= user_memory_mb {
        return Placement::Cold;
    }
    // 4. Evict idle warm containers, least recently used first, if that makes enough room.
    let mut idle: Vec<&SlotView<'_>> = slots
        .iter()
        .filter(|s| s.active == 0 && s.key.is_some())
        .filter(|s| matches!(s.state, ContainerState::Ready | ContainerState::Paused))
        .collect();
    idle.sort_by_key(|s| s.last_used);
    let mut freed = 0;
    let mut victims = Vec::new();
    for s in idle {
        if used - freed + req.memory_mb <= user_memory_mb {
            break;
        }
        freed += s.memory_mb;
        victims.push(s.id);
    }
    if !victims.is_empty() && used - freed + req.memory_mb <= user_memory_mb {
        return Placement::EvictThenCold(victims);
    }
    Placement::Queue
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(action: &str) -> WarmKey {
        WarmKey { namespace: "guest".into(), action: format!("guest/{action}"), revision: "1".into() }
    }

    struct Pool {
        t0: Instant,
        keys: Vec<WarmKey>,
    }

    impl Pool {
        fn new() -> Self {
            Self { t0: Instant::now(), keys: vec![key("a"), key("b"), key("c")] }
        }

        fn slot(&self, id: SlotId, state: ContainerState, key: Option<usize>, active: u32, age: u64) -> SlotView<'_> {
            SlotView {
                id,
                state,
                kind: "nodejs:18",
                memory_mb: 256,
                key: key.map(|k| &self.keys[k]),
                active,
                max_active: 1,
                last_used: self.t0 + Duration::from_secs(age),
            }
        }

        fn req(&self, k: usize) -> PlaceRequest<'_> {
            PlaceRequest { key: &self.keys[k], kind: "nodejs:18", memory_mb: 256 }
        }
    }

    use ContainerState::*;

    #[test]
    fn a_warm_container_of_the_same_revision_is_reused() {
        let p = Pool::new();
        let slots =
            [p.slot(1, Ready, Some(1), 0, 5), p.slot(2, Ready, Some(0), 0, 3), p.slot(3, Prewarmed, None, 0, 9)];
        assert_eq!(place(&slots, &p.req(0), 2048), Placement::Warm(2));
    }

    #[test]
    fn a_running_container_is_reused_only_below_its_concurrency() {
        let p = Pool::new();
        let mut busy = p.slot(1, Running, Some(0), 1, 5);
        assert_eq!(place(std::slice::from_ref(&busy), &p.req(0), 2048), Placement::Cold);
        busy.max_active = 4;
        assert_eq!(place(&[busy], &p.req(0), 2048), Placement::Warm(1));
    }

    #[test]
    fn a_ready_container_is_preferred_to_a_paused_one() {
        let p = Pool::new();
        let slots = [p.slot(1, Paused, Some(0), 0, 9), p.slot(2, Ready, Some(0), 0, 1)];
        assert_eq!(place(&slots, &p.req(0), 2048), Placement::Warm(2));
        assert_eq!(place(&slots[..1], &p.req(0), 2048), Placement::Warm(1), "a paused one is still warm");
    }

    #[test]
    fn a_stem_cell_of_the_same_kind_and_memory_comes_next() {
        let p = Pool::new();
        let mut other_mem = p.slot(1, Prewarmed, None, 0, 1);
        other_mem.memory_mb = 512;
        let mut other_kind = p.slot(2, Prewarmed, None, 0, 1);
        other_kind.kind = "python:3.11";
        let good = p.slot(3, Prewarmed, None, 0, 1);
        let starting = p.slot(4, Starting, None, 0, 1);
        assert_eq!(
            place(&[other_mem.clone(), other_kind.clone(), starting, good], &p.req(0), 4096),
            Placement::Prewarm(3)
        );
        assert_eq!(place(&[other_mem, other_kind], &p.req(0), 4096), Placement::Cold);
    }

    #[test]
    fn idle_containers_are_evicted_least_recently_used_first() {
        let p = Pool::new();
        // 1024 MB: four 256 MB containers fill it.
        let slots = [
            p.slot(1, Ready, Some(1), 0, 7),
            p.slot(2, Paused, Some(2), 0, 2),
            p.slot(3, Running, Some(1), 1, 1),
            p.slot(4, Ready, Some(2), 0, 5),
        ];
        assert_eq!(place(&slots, &p.req(0), 1024), Placement::EvictThenCold(vec![2]));
        let mut big = p.req(0);
        big.memory_mb = 512;
        assert_eq!(place(&slots, &big, 1024), Placement::EvictThenCold(vec![2, 4]));
    }

    #[test]
    fn when_nothing_can_be_evicted_the_request_waits() {
        let p = Pool::new();
        let mut other_cell = p.slot(2, Prewarmed, None, 0, 1);
        other_cell.kind = "python:3.11";
        let slots = [p.slot(1, Running, Some(1), 1, 1), other_cell, p.slot(3, Initializing, Some(2), 1, 1)];
        assert_eq!(place(&slots, &p.req(0), 768), Placement::Queue, "stem cells and busy containers are not evicted");
    }

    #[test]
    fn removing_containers_no_longer_count() {
        let p = Pool::new();
        let slots = [p.slot(1, Removing, Some(1), 0, 1), p.slot(2, Running, Some(1), 1, 1)];
        assert_eq!(used_memory(&slots), 256);
        assert_eq!(place(&slots, &p.req(0), 512), Placement::Cold);
    }
}
