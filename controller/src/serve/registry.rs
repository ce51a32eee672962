//! The open connections of a server: what each is doing (a phase, and since when on a coarse
//! clock, so that a request costs a few atomic stores and no system call), the orders the
//! server gives them (close when idle, drain, kill), the timeouts a periodic sweep enforces,
//! and the connection limit with the eviction of the oldest idle connection.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::task::AtomicWaker;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::ServeSettings;

/// Reading a request head (or nothing yet, on a new connection): the header timeout runs.
const HEAD: u64 = 0;
/// Kept alive between requests: the keep-alive timeout runs.
const IDLE: u64 = 1;
/// A request in flight (from its head to its answer): never closed for being slow, but its
/// body must keep arriving.
const BUSY: u64 = 2;

/// What the server wants a connection to do; a later order never weakens an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(super) enum Order {
    /// Nothing.
    None = 0,
    /// Close unless a request is in flight (idle too long, or evicted for a new connection).
    Close = 1,
    /// The server stops: close unless a request is in flight, else close after its answer.
    Drain = 2,
    /// Close now, whatever it is doing.
    Kill = 3,
}

impl Order {
    fn from_u8(v: u8) -> Order {
        match v {
            1 => Order::Close,
            2 => Order::Drain,
            3 => Order::Kill,
            _ => Order::None,
        }
    }
}

/// Milliseconds since the server started, advanced by the sweep: reading it is one atomic
/// load. A time read from it is at most one sweep period early.
#[derive(Debug)]
struct Clock {
    start: Instant,
    ms: AtomicU64,
}

impl Clock {
    fn now(&self) -> u64 {
        self.ms.load(Relaxed)
    }

    fn advance(&self) -> u64 {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX >> 2);
        self.ms.store(ms, Relaxed);
        ms
    }
}

/// One connection as the server sees it.
#[derive(Debug)]
pub(super) struct Entry {
    id: u64,
    clock: Arc<Clock>,
    /// `since << 2 | phase`, `since` in clock milliseconds.
    state: AtomicU64,
    /// 1 + when the request's handler started waiting for body bytes that have not come;
    /// 0 when it is not waiting.
    body_wait: AtomicU64,
    /// The pending [`Order`], taken by the connection's task.
    order: AtomicU8,
    /// Chosen to make room for a new connection (not chosen again).
    evicted: AtomicBool,
    waker: AtomicWaker,
}

impl Entry {
    fn set(&self, phase: u64) {
        self.state.store((self.clock.now() << 2) | phase, Relaxed);
    }

    fn phase(&self) -> u64 {
        self.state.load(Relaxed) & 3
    }

    fn since(&self) -> u64 {
        self.state.load(Relaxed) >> 2
    }

    /// True while a request is in flight.
    pub(super) fn busy(&self) -> bool {
        self.phase() == BUSY
    }

    /// A request head was read: the request is in flight until [`Entry::end_request`].
    pub(super) fn begin_request(&self) {
        self.set(BUSY);
    }

    /// The request was answered (or dropped): the connection is idle.
    pub(super) fn end_request(&self) {
        self.body_wait.store(0, Relaxed);
        self.set(IDLE);
    }

    /// Bytes arrived from the client: on an idle connection, they begin the next request head.
    pub(super) fn bytes_read(&self) {
        if self.phase() == IDLE {
            self.set(HEAD);
        }
    }

    /// The handler polled the request body: `waiting` when no bytes were there.
    pub(super) fn body_polled(&self, waiting: bool) {
        let current = self.body_wait.load(Relaxed);
        if waiting && current == 0 {
            self.body_wait.store(self.clock.now() + 1, Relaxed);
        } else if !waiting && current != 0 {
            self.body_wait.store(0, Relaxed);
        }
    }

    /// Gives the connection `order`, unless it already has a stronger one.
    fn give(&self, order: Order) {
        self.order.fetch_max(order as u8, Relaxed);
        self.waker.wake();
    }

    /// The order given since the last call, if any (registering the task to be woken by the
    /// next one).
    pub(super) fn poll_order(&self, cx: &mut Context<'_>) -> Poll<Order> {
        self.waker.register(cx.waker());
        match Order::from_u8(self.order.swap(0, Relaxed)) {
            Order::None => Poll::Pending,
            order => Poll::Ready(order),
        }
    }

    /// A close order was not followed (a request had begun): the connection may be chosen
    /// again later.
    pub(super) fn spared(&self) {
        self.evicted.store(false, Relaxed);
    }
}

/// The limits a registry enforces, in clock milliseconds.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header: u64,
    body: u64,
    keep_alive: u64,
    max_connections: usize,
    /// How late a sweep may see a deadline pass (its period): added to every timeout so that
    /// none fires early.
    period: u64,
}

/// How many connections past the limit may be open at once while the idle ones evicted for
/// them are closing.
const EVICTION_SLACK: usize = 64;

/// The open connections of one server (all its listeners).
#[derive(Debug)]
pub(super) struct Registry {
    clock: Arc<Clock>,
    limits: Limits,
    conns: Mutex<HashMap<u64, Arc<Entry>>>,
    next_id: AtomicU64,
    /// Connections refused at the limit since the last sweep (logged by it).
    refused: AtomicU64,
    emptied: Notify,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX >> 4)
}

impl Registry {
    /// A registry enforcing `settings`; [`Registry::sweep_period`] is how often
    /// [`Registry::sweep`] must run.
    pub(super) fn new(settings: &ServeSettings) -> Registry {
        let shortest = settings.header_timeout.min(settings.body_timeout).min(settings.keep_alive_timeout);
        let period = (shortest / 8).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let limits = Limits {
            header: ms(settings.header_timeout),
            body: ms(settings.body_timeout),
            keep_alive: ms(settings.keep_alive_timeout),
            max_connections: settings.max_connections.max(1),
            period: ms(period),
        };
        let clock = Arc::new(Clock { start: Instant::now(), ms: AtomicU64::new(0) });
        Registry {
            clock,
            limits,
            conns: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            emptied: Notify::new(),
        }
    }

    /// How often to sweep.
    pub(super) fn sweep_period(&self) -> Duration {
        Duration::from_millis(self.limits.period)
    }

    /// Registers a new connection, or `None` when it must be refused: at the limit, the
    /// oldest connection without a request in flight is told to close to make room; with
    /// none, the new one is refused.
    pub(super) fn admit(&self) -> Option<Arc<Entry>> {
        let mut conns = self.conns.lock();
        if conns.len() >= self.limits.max_connections {
            let victim = (conns.len() < self.limits.max_connections + EVICTION_SLACK)
                .then(|| {
                    conns.values().filter(|e| !e.busy() && !e.evicted.load(Relaxed)).min_by_key(|e| (e.since(), e.id))
                })
                .flatten();
            let Some(victim) = victim else {
                self.refused.fetch_add(1, Relaxed);
                return None;
            };
            victim.evicted.store(true, Relaxed);
            victim.give(Order::Close);
        }
        let id = self.next_id.fetch_add(1, Relaxed);
        let entry = Arc::new(Entry {
            id,
            clock: self.clock.clone(),
            state: AtomicU64::new((self.clock.now() << 2) | HEAD),
            body_wait: AtomicU64::new(0),
            order: AtomicU8::new(0),
            evicted: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        conns.insert(id, entry.clone());
        Some(entry)
    }

    /// Forgets a closed connection.
    pub(super) fn remove(&self, entry: &Entry) {
        let mut conns = self.conns.lock();
        conns.remove(&entry.id);
        if conns.is_empty() {
            self.emptied.notify_waiters();
        }
    }

    /// How many connections are open.
    pub(super) fn len(&self) -> usize {
        self.conns.lock().len()
    }

    /// Advances the clock and orders closed the connections past a timeout: a request head
    /// not read within the header timeout, an idle connection past the keep-alive timeout, a
    /// request whose body stopped arriving for the body timeout.
    pub(super) fn sweep(&self) {
        let now = self.clock.advance();
        let l = self.limits;
        let past = |since: u64, timeout: u64| now.saturating_sub(since) >= timeout + l.period;
        let (mut heads, mut idle, mut bodies) = (0u32, 0u32, 0u32);
        for e in self.conns.lock().values() {
            let state = e.state.load(Relaxed);
            let (phase, since) = (state & 3, state >> 2);
            if phase == HEAD && past(since, l.header) {
                heads += 1;
                e.give(Order::Kill);
            } else if phase == IDLE && past(since, l.keep_alive) {
                idle += 1;
                e.give(Order::Close);
            } else if phase == BUSY {
                let wait = e.body_wait.load(Relaxed);
                if wait != 0 && past(wait - 1, l.body) {
                    bodies += 1;
                    e.give(Order::Kill);
                }
            }
        }
        if heads + idle + bodies > 0 {
            tracing::debug!(heads, idle, bodies, "Closing connections past their timeouts.");
        }
        let refused = self.refused.swap(0, Relaxed);
        if refused > 0 {
            tracing::warn!(
                refused,
                limit = l.max_connections,
                "Refused connections: at the connection limit with every connection busy."
            );
        }
    }

    /// Gives every open connection `order`.
    pub(super) fn order_all(&self, order: Order) {
        for e in self.conns.lock().values() {
            e.give(order);
        }
    }

    /// Resolves once no connection is open.
    pub(super) async fn emptied(&self) {
        loop {
            let emptied = self.emptied.notified();
            tokio::pin!(emptied);
            emptied.as_mut().enable();
            if self.conns.lock().is_empty() {
                return;
            }
            emptied.await;
        }
    }
}
