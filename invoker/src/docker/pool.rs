//! The container pool: one task owns every container's state and makes every placement
//! decision (see [`super::placement`]); the activations do the slow Docker and HTTP work
//! outside it and report back. Idle containers are paused after a grace period and removed
//! after an idle timeout; stem cells are kept at their configured count; requests that fit
//! nowhere wait in a FIFO (the head only is placed, so large actions are not starved).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::client::Docker;
use super::container::Container;
use super::placement::{self, ContainerState, PlaceRequest, Placement, SlotId, SlotView, WarmKey};
use super::start::Starter;

/// A stem-cell configuration: keep `count` started containers of `kind` with `memory_mb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StemCell {
    /// The runtime kind.
    pub kind: String,
    /// Its image.
    pub image: String,
    /// Memory limit, MB.
    pub memory_mb: u64,
    /// How many to keep.
    pub count: usize,
}

/// How the pool behaves.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Memory for action containers, MB: the sum of their memory limits stays within it.
    pub user_memory_mb: u64,
    /// Idle time before a warm container is paused (OpenWhisk: 10 s).
    pub pause_grace: Duration,
    /// Paused time before a container is removed (OpenWhisk: 10 min).
    pub idle_timeout: Duration,
    /// Stem cells to keep ready.
    pub stem_cells: Vec<StemCell>,
}

/// What an activation needs placed.
#[derive(Debug, Clone)]
pub(crate) struct AcquireRequest {
    pub(crate) key: WarmKey,
    pub(crate) kind: String,
    pub(crate) memory_mb: u64,
    pub(crate) max_active: u32,
}

/// Where an activation runs.
#[derive(Debug)]
pub(crate) enum Lease {
    /// An initialised container; unpause it first when `paused`.
    Warm { slot: SlotId, container: Arc<Container>, paused: bool },
    /// A stem cell to initialise with the action.
    Prewarm { slot: SlotId, container: Arc<Container> },
    /// No container yet: start one (its memory is reserved under `slot`).
    Cold { slot: SlotId },
}

/// How an activation left its container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Healthy: keep it warm.
    Keep,
    /// Failed, timed out or unusable: remove it.
    Destroy,
}

enum Msg {
    Acquire(AcquireRequest, oneshot::Sender<Lease>),
    Initialized(SlotId, Arc<Container>),
    Release(SlotId, Option<Arc<Container>>, Fate),
    Started(SlotId, Option<Arc<Container>>),
    Paused(SlotId, bool),
    Removed(SlotId),
    Shutdown(oneshot::Sender<()>),
}

/// The handle activations use.
#[derive(Clone)]
pub(crate) struct Pool {
    tx: mpsc::UnboundedSender<Msg>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    /// Starts the pool task (and its stem cells).
    pub(crate) fn start(config: PoolConfig, docker: Docker, starter: Starter) -> Pool {
        let (tx, rx) = mpsc::unbounded_channel();
        let owner = Owner {
            config,
            docker,
            starter,
            slots: HashMap::new(),
            queue: VecDeque::new(),
            next_id: 1,
            tx: tx.clone(),
            stopping: None,
        };
        tokio::spawn(owner.run(rx));
        Pool { tx }
    }

    /// Waits for a place to run `req`.
    pub(crate) async fn acquire(&self, req: AcquireRequest) -> Option<Lease> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Msg::Acquire(req, tx)).ok()?;
        rx.await.ok()
    }

    /// Tells the pool that `slot` has the action's code: concurrent runs may use it now.
    pub(crate) fn initialized(&self, slot: SlotId, container: Arc<Container>) {
        let _ = self.tx.send(Msg::Initialized(slot, container));
    }

    /// Gives `slot` back after an activation (with the container, for a cold start).
    pub(crate) fn release(&self, slot: SlotId, container: Option<Arc<Container>>, fate: Fate) {
        let _ = self.tx.send(Msg::Release(slot, container, fate));
    }

    /// Removes every container and stops the pool.
    pub(crate) async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

struct Slot {
    state: ContainerState,
    kind: String,
    memory_mb: u64,
    key: Option<WarmKey>,
    active: u32,
    max_active: u32,
    last_used: Instant,
    container: Option<Arc<Container>>,
}

struct Owner {
    config: PoolConfig,
    docker: Docker,
    starter: Starter,
    slots: HashMap<SlotId, Slot>,
    queue: VecDeque<(AcquireRequest, oneshot::Sender<Lease>)>,
    next_id: SlotId,
    tx: mpsc::UnboundedSender<Msg>,
    stopping: Option<oneshot::Sender<()>>,
}

impl Owner {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        let tick = (self.config.pause_grace / 2).clamp(Duration::from_millis(50), Duration::from_secs(1));
        let mut ticker = tokio::time::interval(tick);
        self.refill();
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(m) => self.handle(m),
                    None => break,
                },
                _ = ticker.tick() => self.tick(),
            }
            if self.stopping.is_some() && self.slots.is_empty() {
                if let Some(done) = self.stopping.take() {
                    let _ = done.send(());
                }
                break;
            }
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Acquire(req, reply) => {
                self.queue.push_back((req, reply));
                self.schedule();
            }
            Msg::Initialized(id, container) => {
                if let Some(s) = self.slots.get_mut(&id) {
                    s.container = Some(container);
                    if s.state == ContainerState::Initializing {
                        s.state = ContainerState::Running;
                    }
                }
                self.schedule();
            }
            Msg::Release(id, container, fate) => {
                self.release(id, container, fate);
                self.schedule();
                self.refill();
            }
            Msg::Started(id, container) => {
                match (self.slots.get_mut(&id), container) {
                    (Some(s), Some(c)) if self.stopping.is_none() => {
                        s.container = Some(c);
                        s.state = ContainerState::Prewarmed;
                        s.last_used = Instant::now();
                    }
                    (Some(_), Some(c)) => {
                        self.slots.entry(id).and_modify(|s| s.container = Some(c));
                        self.remove(id);
                    }
                    _ => {
                        self.slots.remove(&id);
                    }
                }
                self.schedule();
            }
            Msg::Paused(id, ok) => {
                if let Some(s) = self.slots.get_mut(&id)
                    && s.state == ContainerState::Pausing
                {
                    if ok {
                        s.state = ContainerState::Paused;
                    } else {
                        self.remove(id);
                    }
                }
            }
            Msg::Removed(id) => {
                self.slots.remove(&id);
                self.schedule();
                self.refill();
            }
            Msg::Shutdown(done) => {
                self.stopping = Some(done);
                for (_, reply) in self.queue.drain(..) {
                    drop(reply);
                }
                let ids: Vec<SlotId> = self.slots.keys().copied().collect();
                for id in ids {
                    let s = &self.slots[&id];
                    if s.state != ContainerState::Starting {
                        self.remove(id);
                    }
                }
            }
        }
    }

    fn views(&self) -> Vec<SlotView<'_>> {
        self.slots
            .iter()
            .map(|(id, s)| SlotView {
                id: *id,
                state: s.state,
                kind: &s.kind,
                memory_mb: s.memory_mb,
                key: s.key.as_ref(),
                active: s.active,
                max_active: s.max_active,
                last_used: s.last_used,
            })
            .collect()
    }

    /// Places the head of the queue while it can be placed.
    fn schedule(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        while let Some((req, _)) = self.queue.front() {
            let decision = {
                let views = self.views();
                let pr = PlaceRequest { key: &req.key, kind: &req.kind, memory_mb: req.memory_mb };
                placement::place(&views, &pr, self.config.user_memory_mb)
            };
            let Some((req, reply)) = self.queue.pop_front() else { break };
            let lease = match decision {
                Placement::Queue => {
                    self.queue.push_front((req, reply));
                    break;
                }
                Placement::Warm(id) => self.take_warm(id),
                Placement::Prewarm(id) => self.take_prewarm(id, &req),
                Placement::Cold => self.reserve_cold(&req),
                Placement::EvictThenCold(victims) => {
                    tracing::debug!(evicted = victims.len(), "Evicting idle containers to make room.");
                    for v in victims {
                        self.remove(v);
                    }
                    self.reserve_cold(&req)
                }
            };
            let Some(lease) = lease else { continue };
            if let Err(lease) = reply.send(lease) {
                // The activation went away: give the place back.
                let id = match lease {
                    Lease::Warm { slot, .. } | Lease::Prewarm { slot, .. } | Lease::Cold { slot } => slot,
                };
                self.release(id, None, if matches!(lease, Lease::Cold { .. }) { Fate::Destroy } else { Fate::Keep });
            }
        }
        if !self.queue.is_empty() {
            tracing::debug!(waiting = self.queue.len(), "Activations wait for container memory.");
        }
        self.refill();
    }

    fn take_warm(&mut self, id: SlotId) -> Option<Lease> {
        let s = self.slots.get_mut(&id)?;
        let paused = s.state == ContainerState::Paused;
        s.state = ContainerState::Running;
        s.active += 1;
        s.last_used = Instant::now();
        Some(Lease::Warm { slot: id, container: s.container.clone()?, paused })
    }

    fn take_prewarm(&mut self, id: SlotId, req: &AcquireRequest) -> Option<Lease> {
        let s = self.slots.get_mut(&id)?;
        s.state = ContainerState::Initializing;
        s.key = Some(req.key.clone());
        s.active = 1;
        s.max_active = req.max_active;
        s.last_used = Instant::now();
        Some(Lease::Prewarm { slot: id, container: s.container.clone()? })
    }

    fn reserve_cold(&mut self, req: &AcquireRequest) -> Option<Lease> {
        let id = self.new_slot(&req.kind, req.memory_mb);
        let s = self.slots.get_mut(&id)?;
        s.state = ContainerState::Initializing;
        s.key = Some(req.key.clone());
        s.active = 1;
        s.max_active = req.max_active;
        Some(Lease::Cold { slot: id })
    }

    fn new_slot(&mut self, kind: &str, memory_mb: u64) -> SlotId {
        let id = self.next_id;
        self.next_id += 1;
        self.slots.insert(
            id,
            Slot {
                state: ContainerState::Starting,
                kind: kind.to_owned(),
                memory_mb,
                key: None,
                active: 0,
                max_active: 1,
                last_used: Instant::now(),
                container: None,
            },
        );
        id
    }

    fn release(&mut self, id: SlotId, container: Option<Arc<Container>>, fate: Fate) {
        let Some(s) = self.slots.get_mut(&id) else { return };
        if container.is_some() {
            s.container = container;
        }
        s.active = s.active.saturating_sub(1);
        s.last_used = Instant::now();
        if fate == Fate::Destroy || s.container.is_none() {
            self.remove(id);
            return;
        }
        if s.state != ContainerState::Removing {
            s.state = if s.active == 0 { ContainerState::Ready } else { ContainerState::Running };
        }
    }

    /// Marks `id` as removing (its memory is free at once) and removes it in the background.
    fn remove(&mut self, id: SlotId) {
        let Some(s) = self.slots.get_mut(&id) else { return };
        if s.state == ContainerState::Removing {
            return;
        }
        s.state = ContainerState::Removing;
        let container = s.container.clone();
        let docker = self.docker.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            if let Some(c) = container
                && let Err(e) = docker.remove(&c.id).await
            {
                tracing::warn!(container = %c.id, error = %e, "Could not remove a container.");
            }
            let _ = tx.send(Msg::Removed(id));
        });
    }

    /// Pauses containers idle past the grace, removes those paused past the idle timeout.
    fn tick(&mut self) {
        let now = Instant::now();
        let grace = self.config.pause_grace;
        let idle = self.config.idle_timeout;
        let mut to_pause = vec![];
        let mut to_remove = vec![];
        for (id, s) in &self.slots {
            let idle_for = now.saturating_duration_since(s.last_used);
            match s.state {
                ContainerState::Ready if idle_for >= grace => to_pause.push(*id),
                ContainerState::Paused if idle_for >= grace + idle => to_remove.push(*id),
                _ => {}
            }
        }
        for id in to_remove {
            self.remove(id);
        }
        for id in to_pause {
            let Some(s) = self.slots.get_mut(&id) else { continue };
            let Some(c) = s.container.clone() else { continue };
            s.state = ContainerState::Pausing;
            let docker = self.docker.clone();
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let ok = docker.pause(&c.id).await.is_ok();
                let _ = tx.send(Msg::Paused(id, ok));
            });
        }
        self.refill();
    }

    /// Starts stem cells until each configuration has its count (memory permitting).
    fn refill(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        for cell in self.config.stem_cells.clone() {
            let have = self
                .slots
                .values()
                .filter(|s| s.key.is_none() && s.kind == cell.kind && s.memory_mb == cell.memory_mb)
                .filter(|s| matches!(s.state, ContainerState::Starting | ContainerState::Prewarmed))
                .count();
            for _ in have..cell.count {
                let used = placement::used_memory(&self.views());
                if used + cell.memory_mb > self.config.user_memory_mb {
                    return;
                }
                let id = self.new_slot(&cell.kind, cell.memory_mb);
                let starter = self.starter.clone();
                let tx = self.tx.clone();
                let (kind, image, memory) = (cell.kind.clone(), cell.image.clone(), cell.memory_mb);
                tokio::spawn(async move {
                    let started = match starter.start(id, &kind, &image, memory, "prewarm").await {
                        Ok(c) => Some(Arc::new(c)),
                        Err(e) => {
                            tracing::warn!(kind, error = %e, "Could not start a stem cell.");
                            // Do not retry in a tight loop.
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            None
                        }
                    };
                    let _ = tx.send(Msg::Started(id, started));
                });
            }
        }
    }
}
