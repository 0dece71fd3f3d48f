//! [`ErrorLog`]: a writer that never blocks a request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::admission::{Admission, Gauge, Head, Verdict};
pub use crate::admission::{Sampling, Storm};
use crate::delivery::Delivery;
use crate::record::ErrorRecord;
use crate::store::Store;

/// What the queue carries: a record, or a wake-up for the writer to write
/// the errors not kept.
#[derive(Debug)]
// A record moves through the queue by value, as it would without the
// wake-up; boxing it would cost an allocation per error.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Item {
    Record(ErrorRecord),
    Wake,
}

/// What happens to a record when the queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backpressure {
    /// Drop it, count it, and log a WARN (the default: a request never waits).
    #[default]
    Drop,
    /// Make the caller wait for room ([`ErrorLog::record_wait`], and the
    /// layer's observer, which then delays the response).
    Wait,
}

/// How the writer works.
#[derive(Clone, Debug)]
pub struct WriterConfig {
    /// Records the queue holds (default 10,000; at most tokio's
    /// `Semaphore::MAX_PERMITS`).
    pub capacity: usize,
    /// The most records per transaction (default 1,000).
    pub batch: usize,
    /// How long a partial batch waits for more records (default 20 ms, at
    /// most an hour).
    pub linger: Duration,
    /// Full-queue behaviour.
    pub backpressure: Backpressure,
    /// What is kept in every weather.
    pub sampling: Sampling,
    /// What is kept in an error storm.
    pub storm: Storm,
    /// First retry delay while the database is down (default 100 ms),
    /// doubling up to `retry_max` (default 5 s).
    pub retry_initial: Duration,
    /// The longest retry delay.
    pub retry_max: Duration,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            capacity: 10_000,
            batch: 1_000,
            linger: Duration::from_millis(20),
            backpressure: Backpressure::Drop,
            sampling: Sampling::default(),
            storm: Storm::default(),
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
        }
    }
}

/// Counters of the writer.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    accepted: AtomicU64,
    pub(crate) written: AtomicU64,
    dropped: AtomicU64,
    sampled_out: AtomicU64,
    pub(crate) failed_writes: AtomicU64,
    pub(crate) rejected: AtomicU64,
}

/// A copy of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Records queued.
    pub accepted: u64,
    /// Records committed to the database.
    pub written: u64,
    /// Records dropped because the queue was full (or the log was closed).
    pub dropped: u64,
    /// Records not kept by sampling.
    pub sampled_out: u64,
    /// Failed batch writes (each retried).
    pub failed_writes: u64,
    /// Records the database refused as data (a value or key it cannot
    /// store), set aside so that they do not block the records after them.
    pub rejected: u64,
}

impl Stats {
    fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            accepted: self.accepted.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            sampled_out: self.sampled_out.load(Ordering::Relaxed),
            failed_writes: self.failed_writes.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }
}

/// What [`ErrorLog::record`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Queued for writing.
    Queued,
    /// Not kept by sampling.
    SampledOut,
    /// Dropped: the queue was full or the log is shut down.
    Dropped,
}

/// The error log: a bounded queue in front of a background task that writes
/// batches in transactions, retrying with backoff while the database is down.
///
/// ```no_run
/// # async fn run() -> Result<(), errcat_store::StoreError> {
/// use errcat_store::{ErrorLog, ErrorRecord, Store, WriterConfig};
///
/// let log = ErrorLog::spawn(Store::connect("sqlite://errcat.db").await?, WriterConfig::default());
/// log.record(ErrorRecord::new("err-1", "req-1", "NOT_FOUND", 404));
/// let stats = log.shutdown().await; // flushes everything accepted
/// assert_eq!(stats.written, 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ErrorLog {
    inner: Arc<Inner>,
}

struct Inner {
    tx: std::sync::Mutex<Option<mpsc::Sender<Item>>>,
    stats: Arc<Stats>,
    admission: Arc<Admission>,
    config: WriterConfig,
    task: std::sync::Mutex<Option<Writer>>,
}

/// The background writer: a thread of its own for SQLite (blocking inserts
/// on the store's insert connection, off the runtime's workers), a task for
/// PostgreSQL (async, three batches in flight).
enum Writer {
    Task(JoinHandle<()>),
    #[cfg(feature = "sqlite")]
    Thread(tokio::sync::oneshot::Receiver<()>),
}

impl ErrorLog {
    /// Starts the writer: for SQLite a thread named `errcat-log-writer`,
    /// for PostgreSQL a task on the current tokio runtime.
    pub fn spawn(store: Store, config: WriterConfig) -> Self {
        let stats = Arc::new(Stats::default());
        let admission = Arc::new(Admission::new(&config.storm));
        // tokio's bounded queues hold at most `Semaphore::MAX_PERMITS`.
        let capacity = config
            .capacity
            .clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        #[cfg(feature = "sqlite")]
        if let Some(db) = store.sqlite_store() {
            let (tx, rx) = mpsc::channel(capacity);
            let (done_tx, done_rx) = tokio::sync::oneshot::channel();
            let shared = Shared {
                stats: Arc::clone(&stats),
                admission: Arc::clone(&admission),
                config: config.clone(),
            };
            let spawned = std::thread::Builder::new()
                .name("errcat-log-writer".to_owned())
                .spawn(move || {
                    run_thread(&db, rx, &shared);
                    let _ = done_tx.send(());
                });
            match spawned {
                Ok(_) => {
                    return ErrorLog::new(tx, stats, admission, config, Writer::Thread(done_rx));
                }
                // No thread to be had: the log still works, from a task.
                Err(e) => {
                    tracing::warn!(error = %e, "errcat error log: no writer thread; writing from a task")
                }
            }
        }
        let (tx, rx) = mpsc::channel(capacity);
        let shared = Shared {
            stats: Arc::clone(&stats),
            admission: Arc::clone(&admission),
            config: config.clone(),
        };
        let task = tokio::spawn(run(store, rx, shared));
        ErrorLog::new(tx, stats, admission, config, Writer::Task(task))
    }

    fn new(
        tx: mpsc::Sender<Item>,
        stats: Arc<Stats>,
        admission: Arc<Admission>,
        config: WriterConfig,
        writer: Writer,
    ) -> Self {
        ErrorLog {
            inner: Arc::new(Inner {
                tx: std::sync::Mutex::new(Some(tx)),
                stats,
                admission,
                config,
                task: std::sync::Mutex::new(Some(writer)),
            }),
        }
    }

    fn sender(&self) -> Option<mpsc::Sender<Item>> {
        self.inner
            .tx
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Decides of an error before its record exists: the sender and the
    /// weight of one admission keeps, or what became of it (counted).
    pub(crate) fn admit(&self, head: &Head<'_>) -> Result<(mpsc::Sender<Item>, i64), Recorded> {
        let inner = &*self.inner;
        let Some(tx) = self.sender() else {
            inner.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return Err(Recorded::Dropped);
        };
        let behind = tx.max_capacity() - tx.capacity() > inner.config.storm.high_water;
        match inner
            .admission
            .decide(head, &inner.config.sampling, &inner.config.storm, behind)
        {
            Verdict::Keep(weight) => Ok((tx, weight)),
            Verdict::Skip { wake } => {
                inner.stats.sampled_out.fetch_add(1, Ordering::Relaxed);
                if wake {
                    // The first since the writer last wrote the counts:
                    // wake it (when the queue is full, it is awake).
                    let _ = tx.try_send(Item::Wake);
                }
                Err(Recorded::SampledOut)
            }
        }
    }

    /// Counts a queued record.
    fn queued(&self) -> Recorded {
        self.inner.stats.accepted.fetch_add(1, Ordering::Relaxed);
        Recorded::Queued
    }

    /// Queues a record without waiting: a full queue drops it (counted, WARN).
    pub fn record(&self, mut record: ErrorRecord) -> Recorded {
        match self.admit(&Head::of(&record)) {
            Ok((tx, weight)) => {
                record.weight = weight;
                self.enqueue(&tx, record)
            }
            Err(done) => done,
        }
    }

    /// Queues an admitted record without waiting: a full queue drops it
    /// (counted in the counts and the stats, WARN).
    pub(crate) fn enqueue(&self, tx: &mpsc::Sender<Item>, record: ErrorRecord) -> Recorded {
        let record = match tx.try_send(Item::Record(record)) {
            Ok(()) => return self.queued(),
            Err(e) => match e.into_inner() {
                Item::Record(r) => r,
                Item::Wake => return Recorded::Dropped,
            },
        };
        // Not written, but counted.
        self.inner.admission.not_kept(&Head::of(&record));
        let n = self.inner.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        if n == 1 || n.is_power_of_two() {
            tracing::warn!(
                dropped = n,
                "errcat error log queue is full: records dropped"
            );
        }
        Recorded::Dropped
    }

    /// Queues a record, waiting for room when the queue is full.
    pub async fn record_wait(&self, mut record: ErrorRecord) -> Recorded {
        match self.admit(&Head::of(&record)) {
            Ok((tx, weight)) => {
                record.weight = weight;
                self.enqueue_wait(&tx, record).await
            }
            Err(done) => done,
        }
    }

    /// Queues an admitted record, waiting for room.
    pub(crate) async fn enqueue_wait(
        &self,
        tx: &mpsc::Sender<Item>,
        record: ErrorRecord,
    ) -> Recorded {
        if tx.send(Item::Record(record)).await.is_ok() {
            return self.queued();
        }
        self.inner.stats.dropped.fetch_add(1, Ordering::Relaxed);
        Recorded::Dropped
    }

    /// The full-queue behaviour configured.
    pub fn backpressure(&self) -> Backpressure {
        self.inner.config.backpressure
    }

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    /// Stops accepting records and waits until every accepted record is
    /// written (retrying while the database is down). Returns the counters.
    pub async fn shutdown(&self) -> StatsSnapshot {
        drop(
            self.inner
                .tx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let task = self
            .inner
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match task {
            Some(Writer::Task(task)) => {
                let _ = task.await;
            }
            #[cfg(feature = "sqlite")]
            Some(Writer::Thread(done)) => {
                let _ = done.await;
            }
            None => {}
        }
        self.stats()
    }
}

/// What the writer shares with the log: counters, admission, settings,
/// and its gauge of its own load.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) stats: Arc<Stats>,
    pub(crate) admission: Arc<Admission>,
    pub(crate) config: WriterConfig,
}

impl Shared {
    /// Adds a write to the gauge (and so decides whether the log is in a
    /// storm).
    pub(crate) fn gauged(
        &self,
        gauge: &std::sync::Mutex<Gauge>,
        busy: Duration,
        written: usize,
        not_kept: i64,
    ) {
        gauge
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .add(busy, written, not_kept, &self.config.storm, &self.admission);
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Item>, shared: Shared) {
    let config = &shared.config;
    let gauge = Arc::new(std::sync::Mutex::new(Gauge::new()));
    // Batches written at once (`Store::concurrent_batches`): one for SQLite
    // (one writer at a time), several for PostgreSQL, so that batches are
    // sent and inserted while another's commit is flushed. Each is still its
    // own transaction.
    let in_flight = store.concurrent_batches().max(1);
    let mut writes = tokio::task::JoinSet::new();
    let mut items = Vec::with_capacity(preallocated(config));
    loop {
        // Wait for the first item, then gather more for up to `linger`.
        let got = rx.recv_many(&mut items, config.batch).await;
        if got == 0 {
            break;
        }
        if items.len() < config.batch {
            let deadline = tokio::time::Instant::now() + linger(config);
            while items.len() < config.batch {
                let room = config.batch - items.len();
                match tokio::time::timeout_at(deadline, rx.recv_many(&mut items, room)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        if writes.len() >= in_flight {
            while writes.len() >= in_flight {
                let _ = writes.join_next().await;
            }
            // Records that came while waiting for the write go in this batch.
            while items.len() < config.batch {
                match rx.try_recv() {
                    Ok(item) => items.push(item),
                    Err(_) => break,
                }
            }
        }
        let batch = records(&mut items);
        let not_kept = shared.admission.take_not_kept();
        if batch.is_empty() && not_kept.is_empty() {
            continue;
        }
        let (store, shared, gauge) = (store.clone(), shared.clone(), Arc::clone(&gauge));
        writes.spawn(async move { deliver(&store, batch, not_kept, &shared, &gauge).await });
    }
    while writes.join_next().await.is_some() {}
    // What was not kept since the last batch.
    let not_kept = shared.admission.take_not_kept();
    if !not_kept.is_empty() {
        deliver(&store, Vec::new(), not_kept, &shared, &gauge).await;
    }
}

/// Writes one batch and the errors not kept, retrying with backoff until
/// they are committed (see [`Delivery`]), each attempt added to the gauge.
async fn deliver(
    store: &Store,
    batch: Vec<ErrorRecord>,
    not_kept: crate::counts::NotKeptTally,
    shared: &Shared,
    gauge: &std::sync::Mutex<Gauge>,
) {
    let mut delivery = Delivery::new(batch, not_kept, shared);
    while let Some((batch, not_kept)) = delivery.current() {
        let started = std::time::Instant::now();
        let result = store.insert_with(batch, not_kept).await;
        delivery.gauge(gauge, started.elapsed(), result.is_ok());
        if let Some(wait) = delivery.settle(result) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The records among the items gathered (the rest are wake-ups), leaving
/// `items` empty.
fn records(items: &mut Vec<Item>) -> Vec<ErrorRecord> {
    items
        .drain(..)
        .filter_map(|item| match item {
            Item::Record(r) => Some(r),
            Item::Wake => None,
        })
        .collect()
}

/// The SQLite writer thread: waits for an item, gathers more for up to
/// `linger` (sleeping in short ticks, so that senders never wake it), then
/// writes the batch and the errors not kept on the store's insert
/// connection. Ends when every sender is gone and the queue is empty.
#[cfg(feature = "sqlite")]
fn run_thread(db: &crate::sqlite::SqliteStore, mut rx: mpsc::Receiver<Item>, shared: &Shared) {
    const TICK: Duration = Duration::from_millis(2);
    let config = &shared.config;
    let gauge = std::sync::Mutex::new(Gauge::new());
    let max = config.batch.max(1);
    let mut items = Vec::with_capacity(preallocated(config));
    let mut open = true;
    while open {
        match rx.blocking_recv() {
            Some(item) => items.push(item),
            None => open = false,
        }
        let deadline = std::time::Instant::now() + linger(config);
        while open {
            while items.len() < max {
                match rx.try_recv() {
                    Ok(item) => items.push(item),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            let now = std::time::Instant::now();
            if items.len() >= max || now >= deadline {
                break;
            }
            std::thread::sleep((deadline - now).min(TICK));
        }
        let batch = records(&mut items);
        let not_kept = shared.admission.take_not_kept();
        if batch.is_empty() && not_kept.is_empty() {
            continue;
        }
        let mut delivery = Delivery::new(batch, not_kept, shared);
        while let Some((batch, not_kept)) = delivery.current() {
            // The thread's own CPU time: on a core it shares with the
            // server, the wall time of a write counts the server's turns too.
            let started = crate::admission::ThreadClock::start();
            let result = db.insert_blocking(batch, not_kept);
            delivery.gauge(&gauge, started.elapsed(), result.is_ok());
            if let Some(wait) = delivery.settle(result) {
                std::thread::sleep(wait);
            }
        }
    }
}

/// Room reserved for a batch: the batch size, up to 4,096 records (a batch
/// may be configured as large as the caller likes; it grows as it fills).
fn preallocated(config: &WriterConfig) -> usize {
    config.batch.clamp(1, 4_096)
}

/// The longest wait for a batch to fill: [`WriterConfig::linger`], at most
/// an hour (so that a deadline is always an instant).
fn linger(config: &WriterConfig) -> Duration {
    config.linger.min(Duration::from_secs(3600))
}
