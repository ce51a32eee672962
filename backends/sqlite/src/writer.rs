//! The writer thread: the one read-write connection, fed by a channel.
//!
//! Activation records are group-committed: the thread drains everything queued, inserts all
//! records in one transaction, commits once and then answers every waiting caller, so thousands
//! of concurrent stores cost one commit per batch instead of one each. Entity and subject writes
//! travel the same channel as closures and run one by one after the batch's records.
//!
//! Shutdown closes the channel and lets the thread finish everything already queued.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::JoinHandle;
use std::time::Duration;

use gust_core::store::StoreError;
use parking_lot::Mutex;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use std::future::Future;
use std::sync::Arc;

use gust_core::activation::Activation;

use crate::activations::{self, Pending};
use crate::error::SqliteError;
use crate::journal::{self, EntryAck};

/// Most messages taken off the channel per round (one transaction of records).
const MAX_BATCH: usize = 8192;

/// A batch of only activation records smaller than this waits [`LINGER`] for company: at
/// moderate rates one commit then carries several records instead of one. Nobody waits for
/// it on a request path (callers are answered before their record is durable), and entity
/// writes and flushes never linger.
const LINGER_BELOW: usize = 64;

/// How long a small batch of records waits for more.
const LINGER: Duration = Duration::from_micros(500);

/// A write to run on the writer connection; it answers its caller itself.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// What callers send to the writer thread.
enum Message {
    /// An activation record and where to report that it is committed.
    Activation(Arc<Activation>, oneshot::Sender<Result<(), StoreError>>),
    /// An entry of the journal of accepted activations, and who waits for it (if anyone).
    Journal(journal::Entry, EntryAck),
    /// An entity or subject write.
    Job(Job),
    /// Answered once everything queued before it has been written.
    Flush(oneshot::Sender<()>),
    /// Finish what is queued, then stop.
    Shutdown,
}

/// The handle to the writer thread.
pub(crate) struct Writer {
    tx: mpsc::UnboundedSender<Message>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer").field("running", &self.thread.lock().is_some()).finish()
    }
}

impl Writer {
    /// Starts the thread that owns `conn`.
    pub(crate) fn start(conn: Connection, pending: Arc<Pending>) -> Result<Writer, SqliteError> {
        let rows = journal::Rows::load(&conn)?;
        // Unbounded is safe: every sender waits for its answer, so the queue never holds more
        // messages than there are callers waiting.
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("gust-sqlite-writer".into())
            .spawn(move || run(conn, rx, pending, rows))?;
        Ok(Writer { tx, thread: Mutex::new(Some(thread)) })
    }

    /// Queues an activation record now; the future resolves once its batch is committed.
    pub(crate) fn store(
        &self,
        record: Arc<Activation>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (ack, done) = oneshot::channel();
        let queued = self.tx.send(Message::Activation(record, ack));
        async move {
            queued.map_err(|_| StoreError::from(SqliteError::Closed))?;
            done.await.map_err(|_| StoreError::from(SqliteError::Task("the activation writer stopped".into())))?
        }
    }

    /// Queues a journal entry now; with `wait`, the future resolves once it is committed (or
    /// its record was), else at once.
    pub(crate) fn journal(
        &self,
        entry: journal::Entry,
        wait: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (ack, done) = if wait {
            let (ack, done) = oneshot::channel();
            (Some(ack), Some(done))
        } else {
            (None, None)
        };
        let queued = self.tx.send(Message::Journal(entry, ack));
        async move {
            queued.map_err(|_| StoreError::from(SqliteError::Closed))?;
            match done {
                Some(done) => done
                    .await
                    .map_err(|_| StoreError::from(SqliteError::Task("the activation writer stopped".into())))?,
                None => Ok(()),
            }
        }
    }

    /// Runs `f` on the writer connection and returns its result.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
        T: Send + 'static,
    {
        let (ack, done) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = ack.send(f(conn));
        });
        self.tx.send(Message::Job(job)).map_err(|_| SqliteError::Closed)?;
        done.await.map_err(|_| SqliteError::Task("the write failed unexpectedly".into()))?
    }

    /// Waits until everything queued so far is written.
    pub(crate) async fn flush(&self) -> Result<(), SqliteError> {
        let (ack, done) = oneshot::channel();
        self.tx.send(Message::Flush(ack)).map_err(|_| SqliteError::Closed)?;
        done.await.map_err(|_| SqliteError::Closed)
    }

    /// Stops the thread after it has written everything queued, and waits for it.
    pub(crate) async fn close(&self) -> Result<(), SqliteError> {
        let _ = self.tx.send(Message::Shutdown);
        let thread = self.thread.lock().take();
        if let Some(thread) = thread {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .map_err(|e| SqliteError::Task(e.to_string()))?
                .map_err(|_| SqliteError::Task("the writer thread panicked".into()))?;
        }
        Ok(())
    }

    /// [`Writer::close`] for `Drop`: blocks the calling thread until the queue is written.
    pub(crate) fn close_blocking(&self) {
        let _ = self.tx.send(Message::Shutdown);
        let thread = self.thread.lock().take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the SQLite writer thread panicked");
        }
    }
}

/// The thread's loop: take a batch, write it, answer, repeat until the channel is closed and empty.
fn run(mut conn: Connection, mut rx: mpsc::UnboundedReceiver<Message>, pending: Arc<Pending>, mut rows: journal::Rows) {
    tracing::debug!("SQLite writer thread started");
    let mut batch = Vec::with_capacity(64);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        drain(&mut rx, &mut batch);
        if batch.len() < LINGER_BELOW
            && batch.iter().all(|m| matches!(m, Message::Activation(..) | Message::Journal(_, None)))
        {
            std::thread::sleep(LINGER);
            drain(&mut rx, &mut batch);
        }
        if process(&mut conn, &mut batch, &pending, &mut rows) {
            // Refuse new messages; the ones already queued are still received and written.
            rx.close();
        }
    }
    tracing::debug!("SQLite writer thread stopped");
}

/// Moves what is queued into `batch`, up to [`MAX_BATCH`].
fn drain(rx: &mut mpsc::UnboundedReceiver<Message>, batch: &mut Vec<Message>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(m) => batch.push(m),
            Err(_) => break,
        }
    }
}

/// Writes one batch: all records and journal entries in one transaction, then the jobs, then
/// answers flushes. Returns whether a shutdown was requested.
fn process(conn: &mut Connection, batch: &mut Vec<Message>, pending: &Pending, journaled: &mut journal::Rows) -> bool {
    let mut rows = Vec::new();
    let mut journal = journal::Batch::default();
    let mut acks = Vec::new();
    let mut jobs = Vec::new();
    let mut flushes = Vec::new();
    let mut shutdown = false;
    for message in batch.drain(..) {
        match message {
            Message::Activation(row, ack) => {
                rows.push(row);
                acks.push(ack);
            }
            Message::Journal(entry, ack) => journal.push(entry, ack),
            Message::Job(job) => jobs.push(job),
            Message::Flush(ack) => flushes.push(ack),
            Message::Shutdown => shutdown = true,
        }
    }
    if !rows.is_empty() || !journal.is_empty() {
        tracing::trace!(records = rows.len(), "committing activation batch");
        let (results, committed) = activations::insert_batch(conn, &rows, &mut journal, journaled);
        pending.remove(&rows);
        journal.finish(journaled, &committed);
        for (ack, result) in acks.into_iter().zip(results) {
            let _ = ack.send(result);
        }
    }
    for job in jobs {
        if catch_unwind(AssertUnwindSafe(|| job(conn))).is_err() {
            tracing::error!("an SQLite write panicked; its caller gets an error");
        }
    }
    for ack in flushes {
        let _ = ack.send(());
    }
    shutdown
}
