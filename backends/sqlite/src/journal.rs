//! The journal of accepted activations: what makes the in-process bus of `gust standalone` keep
//! a 202 through a crash.
//!
//! The distributed deployment keeps an accepted activation in Kafka until its record is stored.
//! In one process the bus is a channel, and a crash (SIGKILL, power loss of the process) would
//! lose what it holds. [`JournaledBus`] wraps that channel:
//!
//! - a non-blocking activation is written to the `journal` table before `publish` returns, so
//!   before the caller is answered 202;
//! - a blocking one is only remembered in memory until its message is committed (after its
//!   record is stored): its caller normally gets the result, so the blocking fast path writes
//!   nothing more. Should the wait run out, [`MessageBus::keep`] journals it before the core
//!   answers 202;
//! - a journal row is removed in the transaction that stores the activation's record, so a
//!   record and the removal of its row are committed together or not at all (and an entry that
//!   meets its record in one group commit is not written at all);
//! - [`JournaledBus::open`] publishes what a previous process left in the journal (activations
//!   accepted and not finished) before anything else, with their ids: they run again and
//!   produce their records. Rows whose record exists are dropped instead.
//!
//! So an accepted activation gets its record at least once; it runs twice only if the process
//! died while it ran.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use gust_core::bus::{BusConsumer, BusError, Delivery, InProcessBus, MessageBus, Receipt};
use gust_core::ids::ActivationId;
use gust_core::messages::BusMessage;
use gust_core::store::StoreError;
use gust_core::topic::Topic;
use parking_lot::Mutex;
use rusqlite::{Connection, Transaction, params};
use tokio::sync::oneshot;

use crate::SqliteStore;
use crate::error::SqliteError;

/// One journal row to write.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The activation id, as stored (and as the activations table has it).
    pub(crate) id: String,
    /// The namespace its record will be stored in.
    pub(crate) namespace: String,
    /// The bus topic to publish it on again, as JSON (its name and kind).
    pub(crate) topic: String,
    /// The message, as JSON.
    pub(crate) message: String,
}

/// Who waits for an entry to be durable (non-blocking activations); `None` for entries queued
/// without waiting.
pub(crate) type EntryAck = Option<oneshot::Sender<Result<(), StoreError>>>;

/// The writer thread's knowledge of the journal: the ids of rows committed and not removed yet.
/// Only the writer thread touches it; a record whose id is not here has no row to remove.
#[derive(Debug, Default)]
pub(crate) struct Rows(HashSet<String>);

impl Rows {
    /// The ids of the rows in the table (at startup, on the writer connection).
    pub(crate) fn load(conn: &Connection) -> Result<Rows, SqliteError> {
        let mut stmt = conn.prepare("SELECT activation_id FROM journal")?;
        let ids = stmt.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<HashSet<_>, _>>()?;
        Ok(Rows(ids))
    }
}

/// The journal's part of one group commit.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    entries: Vec<Entry>,
    acks: Vec<oneshot::Sender<Result<(), StoreError>>>,
    /// Rows of the table whose record this batch stores.
    removed: Vec<String>,
}

impl Batch {
    /// Adds an entry queued for this commit.
    pub(crate) fn push(&mut self, entry: Entry, ack: EntryAck) {
        self.entries.push(entry);
        self.acks.extend(ack);
    }

    /// Whether this batch has nothing of the journal's.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.acks.is_empty()
    }

    /// Inside the batch's transaction, after the record of activation `id` was inserted: its
    /// entry queued in this batch is not written (the common case of a blocking activation),
    /// or its committed row is removed.
    pub(crate) fn stored(&mut self, tx: &Transaction<'_>, rows: &Rows, id: &str) -> Result<(), SqliteError> {
        if let Some(i) = self.entries.iter().position(|e| e.id == id) {
            self.entries.swap_remove(i);
        } else if rows.0.contains(id) {
            tx.prepare_cached("DELETE FROM journal WHERE activation_id = ?1")?.execute(params![id])?;
            self.removed.push(id.to_owned());
        }
        Ok(())
    }

    /// Inside the batch's transaction, after the records: writes the entries left.
    pub(crate) fn write(&self, tx: &Transaction<'_>) -> Result<(), SqliteError> {
        if self.entries.is_empty() {
            return Ok(());
        }
        let mut insert = tx.prepare_cached(
            "INSERT INTO journal (activation_id, namespace, topic, message) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (activation_id) DO NOTHING",
        )?;
        for e in &self.entries {
            insert.execute(params![e.id, e.namespace, e.topic, e.message])?;
        }
        Ok(())
    }

    /// After the commit (`result`): updates `rows` and answers whoever waits.
    pub(crate) fn finish(self, rows: &mut Rows, result: &Result<(), StoreError>) {
        if result.is_ok() {
            for id in &self.removed {
                rows.0.remove(id);
            }
            rows.0.extend(self.entries.into_iter().map(|e| e.id));
        }
        for ack in self.acks {
            let _ = ack.send(result.clone());
        }
    }
}

/// The in-process bus with the journal: what `gust standalone` runs on.
#[derive(Clone)]
pub struct JournaledBus {
    store: SqliteStore,
    inner: InProcessBus,
    /// Blocking activations published and not committed yet, with their topic: what
    /// [`MessageBus::keep`] journals.
    lazy: Lazy,
}

/// Blocking activations in flight, by id.
type Lazy = Arc<Mutex<HashMap<ActivationId, (Topic, BusMessage)>>>;

impl fmt::Debug for JournaledBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournaledBus").field("store", &self.store.path()).finish_non_exhaustive()
    }
}

/// What a previous process left in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Replayed {
    /// Activations published again (accepted, never finished).
    pub published: usize,
    /// Rows dropped because their record was stored.
    pub finished: usize,
}

impl JournaledBus {
    /// Wraps `inner` with the journal of `store`, and publishes on `inner` what a previous
    /// process left in the journal, before anyone else can: call it before consumers start.
    pub async fn open(store: SqliteStore, inner: InProcessBus) -> Result<(JournaledBus, Replayed), SqliteError> {
        let left = store.inner.writer.write(leftovers).await?;
        let mut replayed = Replayed { finished: left.finished, ..Replayed::default() };
        for (id, topic, message) in left.unfinished {
            let read = serde_json::from_str::<Topic>(&topic).and_then(|t| Ok((t, serde_json::from_str(&message)?)));
            match read {
                Ok((topic, m)) => {
                    inner.publish(&topic, m).await.map_err(|e| SqliteError::Task(e.to_string()))?;
                    replayed.published += 1;
                }
                Err(e) => {
                    tracing::error!(activation_id = %id, error = %e, "A journaled activation cannot be read; it is skipped.")
                }
            }
        }
        Ok((JournaledBus { store, inner, lazy: Lazy::default() }, replayed))
    }
}

/// The journal's rows at startup.
struct Leftovers {
    unfinished: Vec<(String, String, String)>,
    finished: usize,
}

/// Removes rows whose record was stored (none, normally: a record removes its row), and reads
/// the others in the order they were accepted (ids lead with their time).
fn leftovers(conn: &mut Connection) -> Result<Leftovers, SqliteError> {
    let tx = conn.transaction()?;
    let finished = tx.execute(
        "DELETE FROM journal WHERE EXISTS (SELECT 1 FROM activations a \
         WHERE a.namespace = journal.namespace AND a.activation_id = journal.activation_id)",
        [],
    )?;
    let unfinished = {
        let mut stmt = tx.prepare("SELECT activation_id, topic, message FROM journal ORDER BY activation_id")?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?.collect::<Result<Vec<_>, _>>()?
    };
    tx.commit()?;
    Ok(Leftovers { unfinished, finished })
}

impl JournaledBus {
    /// Writes `message` of `topic` to the journal; with `wait`, returns once it is committed.
    async fn journal(&self, topic: &Topic, message: &BusMessage, wait: bool) -> Result<(), BusError> {
        let BusMessage::Activation(m) = message else { return Ok(()) };
        let entry = Entry {
            id: m.activation_id.to_string(),
            namespace: m.user.namespace.clone(),
            topic: serde_json::to_string(topic)
                .map_err(|e| BusError::Unavailable(format!("cannot serialise the topic: {e}")))?,
            message: serde_json::to_string(message)
                .map_err(|e| BusError::Unavailable(format!("cannot serialise the message: {e}")))?,
        };
        let durable = self.store.inner.writer.journal(entry, wait);
        durable.await.map_err(|e| BusError::Unavailable(format!("cannot journal the activation: {e}")))
    }
}

#[async_trait]
impl MessageBus for JournaledBus {
    async fn publish(&self, topic: &Topic, message: BusMessage) -> Result<(), BusError> {
        let mut lazy = None;
        match &message {
            BusMessage::Activation(m) if m.blocking => {
                lazy = Some(m.activation_id);
                self.lazy.lock().insert(m.activation_id, (topic.clone(), message.clone()));
            }
            BusMessage::Activation(_) => self.journal(topic, &message, true).await?,
            _ => {}
        }
        // Refused only once the bus is closed, which happens after serving has stopped.
        let published = self.inner.publish(topic, message).await;
        if published.is_err()
            && let Some(id) = lazy
        {
            self.lazy.lock().remove(&id);
        }
        published
    }

    /// Journals the blocking activation `id` unless its message was committed (its record is
    /// stored), and waits for the journal.
    async fn keep(&self, id: ActivationId) -> Result<(), BusError> {
        let taken = self.lazy.lock().remove(&id);
        match taken {
            Some((topic, message)) => self.journal(&topic, &message, true).await,
            None => Ok(()),
        }
    }

    async fn subscribe(&self, topic: &Topic, group: &str) -> Result<Box<dyn BusConsumer>, BusError> {
        let inner = self.inner.subscribe(topic, group).await?;
        Ok(Box::new(JournaledConsumer { inner, lazy: self.lazy.clone() }))
    }

    fn close(&self) {
        self.inner.close();
    }
}

/// A consumer whose receipts forget committed blocking activations.
struct JournaledConsumer {
    inner: Box<dyn BusConsumer>,
    lazy: Lazy,
}

#[async_trait]
impl BusConsumer for JournaledConsumer {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        let Some(Delivery { message, receipt }) = self.inner.next().await? else { return Ok(None) };
        let receipt = match &message {
            BusMessage::Activation(m) if m.blocking => {
                let (lazy, id) = (self.lazy.clone(), m.activation_id);
                Receipt::new(move || {
                    lazy.lock().remove(&id);
                    receipt.commit();
                })
            }
            _ => receipt,
        };
        Ok(Some(Delivery { message, receipt }))
    }
}
