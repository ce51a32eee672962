//! The bulk writer: one background task that group-commits activation records.
//!
//! Callers encode their record (on their own thread) and queue it on a channel with a oneshot
//! for the answer. The task takes everything queued (up to `max_batch`), drops duplicate ids,
//! and writes it with one `POST /_bulk_docs` (several when the body would exceed
//! [`MAX_BODY`]); then it answers each caller with its own document's outcome. A `conflict`
//! for a document means a record with that id is stored already (a redelivered activation):
//! success. Up to `bulk_concurrency` batches are in flight at once (the next one forms while
//! the server works on the previous one); a flush is answered only when its batch and every
//! batch before it are done.
//!
//! While CouchDB cannot be reached, or answers 5xx, the task keeps retrying the same request
//! with backoff, for as long as it takes: the callers' futures resolve only when their record
//! is durable, so an invoker that waits for that before committing its bus offset loses
//! nothing. Meanwhile [`Writer::barrier`] (used by list and count) gives up after the
//! configured budget with [`CouchError::Unavailable`] instead of hanging.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use gust_core::activation::Activation;
use gust_core::store::StoreError;
use parking_lot::Mutex;
use reqwest::Method;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::activations::{self, Pending};
use crate::client::{Couch, Request, Retry};
use crate::error::CouchError;

/// Largest `_bulk_docs` body the writer builds (a single bigger record is sent alone).
const MAX_BODY: usize = 8 << 20;

/// The first pause after a failed bulk write; it doubles up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(100);

/// The longest pause between two bulk-write attempts while CouchDB is unreachable.
const MAX_DELAY: Duration = Duration::from_secs(1);

/// How often a barrier looks at the writer's health while it waits.
const POLL: Duration = Duration::from_millis(100);

/// How often an outage is logged again at `warn` level.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// Where a caller learns that its record is durable.
pub(crate) type Ack = oneshot::Sender<Result<(), StoreError>>;

/// What callers send to the task.
enum Message {
    /// A record, its document, and where to answer.
    Record(Arc<Activation>, activations::Encoded, Ack),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
    /// Write what is queued, then stop.
    Close,
}

/// Whether the last bulk write reached CouchDB.
#[derive(Debug, Default)]
struct Health(Mutex<Option<Outage>>);

#[derive(Debug)]
struct Outage {
    since: Instant,
    last_warned: Instant,
    attempts: u64,
    reason: String,
}

impl Health {
    fn up(&self) {
        if let Some(outage) = self.0.lock().take() {
            tracing::info!(
                after_ms = outage.since.elapsed().as_millis() as u64,
                attempts = outage.attempts,
                "CouchDB accepts activation records again"
            );
        }
    }

    fn down(&self, error: &CouchError) {
        let mut state = self.0.lock();
        let now = Instant::now();
        match &mut *state {
            None => {
                tracing::warn!(%error, "CouchDB does not accept activation records; they stay queued and are retried until it does");
                *state = Some(Outage { since: now, last_warned: now, attempts: 1, reason: error.to_string() });
            }
            Some(outage) => {
                outage.attempts += 1;
                outage.reason = error.to_string();
                if now.duration_since(outage.last_warned) >= WARN_EVERY {
                    outage.last_warned = now;
                    tracing::warn!(
                        %error,
                        down_ms = now.duration_since(outage.since).as_millis() as u64,
                        attempts = outage.attempts,
                        "CouchDB still does not accept activation records"
                    );
                }
            }
        }
    }

    /// How long writes have been failing, and the last reason.
    fn outage(&self) -> Option<(Duration, String)> {
        self.0.lock().as_ref().map(|o| (o.since.elapsed(), o.reason.clone()))
    }
}

/// How the writer batches and how long readers wait for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most records per batch.
    pub(crate) max_batch: usize,
    /// Most batches in flight.
    pub(crate) concurrency: usize,
    /// How long a barrier waits for a writer that cannot reach CouchDB.
    pub(crate) patience: Duration,
}

/// The handle to the writer task.
pub(crate) struct Writer {
    tx: mpsc::UnboundedSender<Message>,
    task: Mutex<Option<JoinHandle<()>>>,
    health: Arc<Health>,
    /// How long a barrier waits for a writer that cannot reach CouchDB.
    patience: Duration,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("running", &self.task.lock().is_some())
            .field("outage", &self.health.outage())
            .finish()
    }
}

impl Writer {
    /// Starts the task on the current tokio runtime.
    pub(crate) fn start(
        couch: Arc<Couch>,
        db: String,
        pending: Arc<Pending>,
        limits: Limits,
    ) -> Result<Writer, CouchError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| CouchError::NoRuntime(e.to_string()))?;
        // Unbounded: every record is also held in `pending` until written, and callers wait
        // for their answer, so the queue is bounded by the records in flight.
        let (tx, rx) = mpsc::unbounded_channel();
        let health = Arc::new(Health::default());
        let task = Task {
            couch,
            db,
            pending,
            health: health.clone(),
            max_batch: limits.max_batch.max(1),
            concurrency: limits.concurrency.max(1),
        };
        let handle = runtime.spawn(task.run(rx));
        Ok(Writer { tx, task: Mutex::new(Some(handle)), health, patience: limits.patience })
    }

    /// Encodes and queues a record; the receiver answers once it is durable (or failed for
    /// good).
    pub(crate) fn submit(
        &self,
        record: Arc<Activation>,
    ) -> Result<oneshot::Receiver<Result<(), StoreError>>, CouchError> {
        let encoded = activations::encode(&record)?;
        let (ack, done) = oneshot::channel();
        self.tx.send(Message::Record(record, encoded, ack)).map_err(|_| CouchError::Closed)?;
        Ok(done)
    }

    /// Waits until everything queued before the call is written, however long that takes.
    pub(crate) async fn flush(&self) -> Result<(), CouchError> {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Message::Flush(ack)).is_err() {
            // Closed: close() waited for everything.
            return Ok(());
        }
        done.await.map_err(|_| CouchError::Closed)
    }

    /// Like [`Writer::flush`], but gives up with [`CouchError::Unavailable`] once the writer
    /// has been failing to reach CouchDB for the configured patience.
    pub(crate) async fn barrier(&self) -> Result<(), CouchError> {
        let (ack, mut done) = oneshot::channel();
        if self.tx.send(Message::Flush(ack)).is_err() {
            return Ok(());
        }
        loop {
            match tokio::time::timeout(POLL, &mut done).await {
                // Written, or the task is gone (it writes everything queued before it stops).
                Ok(_) => return Ok(()),
                Err(_) => {
                    if let Some((down, reason)) = self.health.outage()
                        && down >= self.patience
                    {
                        return Err(CouchError::Unavailable(format!(
                            "activation records are queued but CouchDB has not accepted writes for {} ms: {reason}",
                            down.as_millis()
                        )));
                    }
                }
            }
        }
    }

    /// Stops the task after it has written everything queued, and waits for it.
    pub(crate) async fn close(&self) -> Result<(), CouchError> {
        let _ = self.tx.send(Message::Close);
        let task = self.task.lock().take();
        if let Some(task) = task {
            task.await.map_err(|e| CouchError::Unavailable(format!("the activation writer failed: {e}")))?;
        }
        Ok(())
    }
}

/// A queued record: the record (to forget it once written), its document, its caller.
type Record = (Arc<Activation>, activations::Encoded, Ack);

/// Sorts a batch of messages: records, flushes, and whether to close.
fn split(batch: Vec<Message>) -> (Vec<Record>, Vec<oneshot::Sender<()>>, bool) {
    let mut records = Vec::new();
    let mut flushes = Vec::new();
    let mut close = false;
    for message in batch {
        match message {
            Message::Record(record, encoded, ack) => records.push((record, encoded, ack)),
            Message::Flush(ack) => flushes.push(ack),
            Message::Close => close = true,
        }
    }
    (records, flushes, close)
}

/// A record ready to write, with everyone waiting for it.
struct Doc {
    encoded: activations::Encoded,
    acks: Vec<Ack>,
}

/// One document's line in a `_bulk_docs` answer (the writer's, and retention's deletions).
#[derive(Debug, Deserialize)]
pub(crate) struct BulkResult {
    #[serde(default)]
    pub(crate) id: String,
    /// True when the document was written (or deleted).
    #[serde(default)]
    pub(crate) ok: bool,
    #[serde(default)]
    pub(crate) error: Option<String>,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// The task's state.
struct Task {
    couch: Arc<Couch>,
    db: String,
    pending: Arc<Pending>,
    health: Arc<Health>,
    max_batch: usize,
    concurrency: usize,
}

impl Task {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Message>) {
        // Batches in flight, finishing in the order they were taken (their flushes are
        // answered in that order).
        let mut in_flight = FuturesOrdered::new();
        let mut open = true;
        loop {
            tokio::select! {
                message = rx.recv(), if open && in_flight.len() < self.concurrency => match message {
                    Some(first) => {
                        let mut batch = vec![first];
                        while batch.len() < self.max_batch {
                            match rx.try_recv() {
                                Ok(m) => batch.push(m),
                                Err(_) => break,
                            }
                        }
                        let (records, flushes, close) = split(batch);
                        if close {
                            // No new messages; those already queued are still received and written.
                            rx.close();
                        }
                        in_flight.push_back(self.write_then(records, flushes));
                    }
                    None => open = false,
                },
                Some(flushes) = in_flight.next(), if !in_flight.is_empty() => {
                    for ack in flushes {
                        let _ = ack.send(());
                    }
                }
                else => break,
            }
        }
        tracing::debug!(db = %self.db, "activation writer stopped");
    }

    /// Writes `records` (if any), then hands back `flushes` for the caller to answer in order.
    async fn write_then(&self, records: Vec<Record>, flushes: Vec<oneshot::Sender<()>>) -> Vec<oneshot::Sender<()>> {
        if !records.is_empty() {
            self.write(records).await;
        }
        flushes
    }

    /// Deduplicates and writes `records`, then answers their callers.
    async fn write(&self, records: Vec<Record>) {
        let mut docs: Vec<Doc> = Vec::with_capacity(records.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(records.len());
        let mut written = Vec::with_capacity(records.len());
        for (record, encoded, ack) in records {
            match index.get(&encoded.cid) {
                Some(&i) => docs[i].acks.push(ack),
                None => {
                    index.insert(encoded.cid.clone(), docs.len());
                    docs.push(Doc { encoded, acks: vec![ack] });
                }
            }
            written.push(record);
        }
        tracing::trace!(records = docs.len(), "writing activation batch");
        let results = self.write_docs(&docs).await;
        self.pending.remove(&written);
        for (doc, result) in docs.into_iter().zip(results) {
            for ack in doc.acks {
                let _ = ack.send(result.clone());
            }
        }
    }

    /// One outcome per doc: bodies of at most [`MAX_BODY`], each retried until CouchDB
    /// answers; a body CouchDB refuses as too large (413) is split in two.
    async fn write_docs(&self, docs: &[Doc]) -> Vec<Result<(), StoreError>> {
        let mut results: Vec<Result<(), StoreError>> = vec![Ok(()); docs.len()];
        let mut work = chunks(docs);
        work.reverse();
        while let Some(range) = work.pop() {
            match self.write_chunk(&docs[range.clone()]).await {
                Ok(outcomes) => {
                    for (slot, outcome) in results[range].iter_mut().zip(outcomes) {
                        *slot = outcome;
                    }
                }
                Err(CouchError::Status { status: 413, .. }) if range.len() > 1 => {
                    let mid = range.start + range.len() / 2;
                    work.push(mid..range.end);
                    work.push(range.start..mid);
                }
                Err(e) => {
                    tracing::error!(error = %e, records = range.len(), "CouchDB refused a batch of activation records");
                    let e = StoreError::from(e);
                    for slot in &mut results[range] {
                        *slot = Err(e.clone());
                    }
                }
            }
        }
        results
    }

    /// Writes `docs` with one `_bulk_docs`, retrying transient failures for as long as it
    /// takes. `Err` only for an answer that is not transient (4xx).
    async fn write_chunk(&self, docs: &[Doc]) -> Result<Vec<Result<(), StoreError>>, CouchError> {
        let body = bulk_body(docs);
        let path = [self.db.as_str(), "_bulk_docs"];
        let mut delay = FIRST_DELAY;
        loop {
            let request = Request::new(Method::POST, &path).body(body.clone()).retry(Retry::Never);
            let error = match self.couch.send(request).await {
                Ok(reply) if reply.ok() => {
                    self.health.up();
                    return Ok(match reply.json::<Vec<BulkResult>>("_bulk_docs answer") {
                        Ok(answer) => outcomes(docs, &answer),
                        Err(e) => docs.iter().map(|_| Err(StoreError::from(e.clone()))).collect(),
                    });
                }
                Ok(reply) => reply.error(),
                Err(e) => e,
            };
            if !error.is_transient() {
                self.health.up();
                return Err(error);
            }
            self.health.down(&error);
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_DELAY);
        }
    }
}

/// Consecutive ranges of `docs` whose bulk bodies stay under [`MAX_BODY`] (a bigger doc is
/// alone in its range).
fn chunks(docs: &[Doc]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, doc) in docs.iter().enumerate() {
        let len = doc.encoded.json.len() + 1;
        if i > start && size + len > MAX_BODY {
            out.push(start..i);
            start = i;
            size = 0;
        }
        size += len;
    }
    if start < docs.len() {
        out.push(start..docs.len());
    }
    out
}

/// `{"docs":[...]}` from the encoded documents.
fn bulk_body(docs: &[Doc]) -> Bytes {
    let len = docs.iter().map(|d| d.encoded.json.len() + 1).sum::<usize>() + 16;
    let mut body = Vec::with_capacity(len);
    body.extend_from_slice(b"{\"docs\":[");
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&doc.encoded.json);
    }
    body.extend_from_slice(b"]}");
    Bytes::from(body)
}

/// Each doc's outcome from the answer's line with its id. `conflict` means that a record with
/// this id is stored already: success (writes are idempotent on the activation id).
fn outcomes(docs: &[Doc], answer: &[BulkResult]) -> Vec<Result<(), StoreError>> {
    let by_id: HashMap<&str, &BulkResult> = answer.iter().map(|r| (r.id.as_str(), r)).collect();
    docs.iter()
        .map(|doc| match by_id.get(doc.encoded.cid.as_str()) {
            Some(BulkResult { error: None, .. }) => Ok(()),
            Some(BulkResult { error: Some(e), .. }) if e == "conflict" => Ok(()),
            Some(BulkResult { error: Some(e), reason, .. }) => Err(StoreError::Backend(format!(
                "CouchDB refused activation {}: {e}: {}",
                doc.encoded.cid,
                reason.as_deref().unwrap_or_default()
            ))),
            None => Err(StoreError::Backend(format!(
                "CouchDB's _bulk_docs answer does not mention activation {}",
                doc.encoded.cid
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::Encoded;

    fn doc(cid: &str, size: usize) -> Doc {
        Doc { encoded: Encoded { cid: cid.into(), json: vec![b' '; size] }, acks: Vec::new() }
    }

    #[test]
    fn bodies_are_split_under_the_size_cap_and_big_docs_go_alone() {
        let docs = [doc("a", 10), doc("b", MAX_BODY), doc("c", 10), doc("d", 10)];
        assert_eq!(chunks(&docs), [0..1, 1..2, 2..4]);
        assert!(chunks(&[]).is_empty());
    }

    #[test]
    fn conflicts_count_as_stored_and_other_errors_fail_only_their_doc() {
        let docs = [doc("a", 1), doc("b", 1), doc("c", 1), doc("d", 1)];
        let line = |id: &str, error: Option<&str>| BulkResult {
            id: id.into(),
            ok: error.is_none(),
            error: error.map(str::to_owned),
            reason: error.map(|_| "because".to_owned()),
        };
        let answer = [line("a", None), line("b", Some("conflict")), line("c", Some("forbidden"))];
        let got = outcomes(&docs, &answer);
        assert!(got[0].is_ok() && got[1].is_ok());
        assert!(matches!(&got[2], Err(StoreError::Backend(m)) if m.contains("forbidden")));
        assert!(matches!(&got[3], Err(StoreError::Backend(m)) if m.contains("does not mention")));
    }

    #[test]
    fn the_bulk_body_is_a_docs_array() {
        let mut a = doc("a", 0);
        a.encoded.json = b"{\"_id\":\"a\"}".to_vec();
        let mut b = doc("b", 0);
        b.encoded.json = b"{\"_id\":\"b\"}".to_vec();
        let body = bulk_body(&[a, b]);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v, serde_json::json!({"docs": [{"_id": "a"}, {"_id": "b"}]}));
    }
}
