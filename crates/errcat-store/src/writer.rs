//! [`ErrorLog`]: a writer that never blocks a request.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::record::ErrorRecord;
use crate::store::Store;

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

/// Which errors are kept. Every 5xx is kept; a 4xx is kept with the rate of
/// its code, else of its category, else `default_4xx`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    /// Rate for 4xx without a more specific rate (default 1.0: keep all).
    pub default_4xx: f64,
    /// Rates by code.
    pub per_code: HashMap<String, f64>,
    /// Rates by category.
    pub per_category: HashMap<String, f64>,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            default_4xx: 1.0,
            per_code: HashMap::new(),
            per_category: HashMap::new(),
        }
    }
}

impl Sampling {
    /// Whether to keep a record. Deterministic in the error id, so a record
    /// is kept or not wherever it is decided.
    pub fn keep(&self, r: &ErrorRecord) -> bool {
        if r.status >= 500 {
            return true;
        }
        let rate = self
            .per_code
            .get(&r.code)
            .or_else(|| self.per_category.get(&r.category))
            .copied()
            .unwrap_or(self.default_4xx);
        if rate >= 1.0 {
            return true;
        }
        if rate <= 0.0 {
            return false;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        r.error_id.hash(&mut h);
        (h.finish() as f64 / u64::MAX as f64) < rate
    }
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
    /// What is kept.
    pub sampling: Sampling,
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
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
        }
    }
}

/// Counters of the writer.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    accepted: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    sampled_out: AtomicU64,
    failed_writes: AtomicU64,
    rejected: AtomicU64,
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
    tx: std::sync::Mutex<Option<mpsc::Sender<ErrorRecord>>>,
    stats: Arc<Stats>,
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
        // tokio's bounded queues hold at most `Semaphore::MAX_PERMITS`.
        let capacity = config
            .capacity
            .clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        #[cfg(feature = "sqlite")]
        if let Some(db) = store.sqlite_store() {
            let (tx, rx) = mpsc::channel(capacity);
            let (done_tx, done_rx) = tokio::sync::oneshot::channel();
            let (thread_stats, thread_config) = (Arc::clone(&stats), config.clone());
            let spawned = std::thread::Builder::new()
                .name("errcat-log-writer".to_owned())
                .spawn(move || {
                    run_thread(&db, rx, &thread_stats, &thread_config);
                    let _ = done_tx.send(());
                });
            match spawned {
                Ok(_) => return ErrorLog::new(tx, stats, config, Writer::Thread(done_rx)),
                // No thread to be had: the log still works, from a task.
                Err(e) => {
                    tracing::warn!(error = %e, "errcat error log: no writer thread; writing from a task")
                }
            }
        }
        let (tx, rx) = mpsc::channel(capacity);
        let task = tokio::spawn(run(store, rx, Arc::clone(&stats), config.clone()));
        ErrorLog::new(tx, stats, config, Writer::Task(task))
    }

    fn new(
        tx: mpsc::Sender<ErrorRecord>,
        stats: Arc<Stats>,
        config: WriterConfig,
        writer: Writer,
    ) -> Self {
        ErrorLog {
            inner: Arc::new(Inner {
                tx: std::sync::Mutex::new(Some(tx)),
                stats,
                config,
                task: std::sync::Mutex::new(Some(writer)),
            }),
        }
    }

    fn sender(&self) -> Option<mpsc::Sender<ErrorRecord>> {
        self.inner
            .tx
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The sender for a record the sampling keeps, or what became of it.
    fn admit(&self, record: &ErrorRecord) -> Result<mpsc::Sender<ErrorRecord>, Recorded> {
        let stats = &self.inner.stats;
        if !self.inner.config.sampling.keep(record) {
            stats.sampled_out.fetch_add(1, Ordering::Relaxed);
            return Err(Recorded::SampledOut);
        }
        self.sender().ok_or_else(|| {
            stats.dropped.fetch_add(1, Ordering::Relaxed);
            Recorded::Dropped
        })
    }

    /// Counts a queued record.
    fn queued(&self) -> Recorded {
        self.inner.stats.accepted.fetch_add(1, Ordering::Relaxed);
        Recorded::Queued
    }

    /// Queues a record without waiting: a full queue drops it (counted, WARN).
    pub fn record(&self, record: ErrorRecord) -> Recorded {
        let tx = match self.admit(&record) {
            Ok(tx) => tx,
            Err(done) => return done,
        };
        if tx.try_send(record).is_ok() {
            return self.queued();
        }
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
    pub async fn record_wait(&self, record: ErrorRecord) -> Recorded {
        let tx = match self.admit(&record) {
            Ok(tx) => tx,
            Err(done) => return done,
        };
        if tx.send(record).await.is_ok() {
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

async fn run(
    store: Store,
    mut rx: mpsc::Receiver<ErrorRecord>,
    stats: Arc<Stats>,
    config: WriterConfig,
) {
    // Batches written at once (`Store::concurrent_batches`): one for SQLite
    // (one writer at a time), several for PostgreSQL, so that batches are
    // sent and inserted while another's commit is flushed. Each is still its
    // own transaction.
    let in_flight = store.concurrent_batches().max(1);
    let mut writes = tokio::task::JoinSet::new();
    loop {
        let mut batch = Vec::with_capacity(preallocated(&config));
        // Wait for the first record, then gather more for up to `linger`.
        let got = rx.recv_many(&mut batch, config.batch).await;
        if got == 0 {
            break;
        }
        if batch.len() < config.batch {
            let deadline = tokio::time::Instant::now() + linger(&config);
            while batch.len() < config.batch {
                let room = config.batch - batch.len();
                match tokio::time::timeout_at(deadline, rx.recv_many(&mut batch, room)).await {
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
            while batch.len() < config.batch {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
        }
        writes.spawn(write(
            store.clone(),
            batch,
            Arc::clone(&stats),
            config.retry_initial,
            config.retry_max,
        ));
    }
    while writes.join_next().await.is_some() {}
}

/// Writes one batch, retrying with backoff until it is committed (see
/// [`Delivery`]).
async fn write(
    store: Store,
    batch: Vec<ErrorRecord>,
    stats: Arc<Stats>,
    retry_initial: Duration,
    retry_max: Duration,
) {
    let mut delivery = Delivery::new(batch, &stats, retry_initial, retry_max);
    while let Some(batch) = delivery.current() {
        let result = store.insert_batch(batch).await;
        if let Some(wait) = delivery.settle(result) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The SQLite writer thread: waits for a record, gathers more for up to
/// `linger` (sleeping in short ticks, so that senders never wake it), then
/// writes the batch on the store's insert connection. Ends when every sender
/// is gone and the queue is empty.
#[cfg(feature = "sqlite")]
fn run_thread(
    db: &crate::sqlite::SqliteStore,
    mut rx: mpsc::Receiver<ErrorRecord>,
    stats: &Stats,
    config: &WriterConfig,
) {
    const TICK: Duration = Duration::from_millis(2);
    let max = config.batch.max(1);
    let mut batch = Vec::with_capacity(preallocated(config));
    let mut open = true;
    while open {
        match rx.blocking_recv() {
            Some(r) => batch.push(r),
            None => break,
        }
        let deadline = std::time::Instant::now() + linger(config);
        loop {
            while batch.len() < max {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            let now = std::time::Instant::now();
            if !open || batch.len() >= max || now >= deadline {
                break;
            }
            std::thread::sleep((deadline - now).min(TICK));
        }
        let mut delivery = Delivery::new(
            std::mem::replace(&mut batch, Vec::with_capacity(preallocated(config))),
            stats,
            config.retry_initial,
            config.retry_max,
        );
        while let Some(batch) = delivery.current() {
            let result = db.insert_blocking(batch);
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

/// One batch's way into the database: retried with backoff (doubling up to
/// `retry_max`) while the database fails, and, when the database refuses
/// the data itself, split in halves until the refused records are found;
/// those are counted in `rejected` and logged, and the rest is written.
struct Delivery<'s> {
    pending: Vec<Vec<ErrorRecord>>,
    stats: &'s Stats,
    delay: Duration,
    retry_initial: Duration,
    retry_max: Duration,
}

impl<'s> Delivery<'s> {
    fn new(
        batch: Vec<ErrorRecord>,
        stats: &'s Stats,
        retry_initial: Duration,
        retry_max: Duration,
    ) -> Self {
        Delivery {
            pending: vec![batch],
            stats,
            delay: retry_initial,
            retry_initial,
            retry_max,
        }
    }

    /// The records to insert next, if any are left.
    fn current(&self) -> Option<&[ErrorRecord]> {
        self.pending.last().map(Vec::as_slice)
    }

    /// Takes the outcome of inserting [`Delivery::current`]; returns how
    /// long to wait before the next attempt when it is a retry.
    fn settle(&mut self, result: Result<(), crate::store::StoreError>) -> Option<Duration> {
        let stats = self.stats;
        match result {
            Ok(()) => {
                let batch = self.pending.pop().unwrap_or_default();
                stats
                    .written
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                tracing::debug!(records = batch.len(), "errcat error log batch written");
                self.delay = self.retry_initial;
                None
            }
            Err(e) if e.is_refused_data() => {
                stats.failed_writes.fetch_add(1, Ordering::Relaxed);
                let mut first = self.pending.pop().unwrap_or_default();
                if first.len() == 1 {
                    stats.rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(error = %e, error_id = %first[0].error_id, "errcat error log refused a record; set aside");
                } else {
                    let second = first.split_off(first.len() / 2);
                    self.pending.push(second);
                    self.pending.push(first);
                }
                None
            }
            Err(e) => {
                stats.failed_writes.fetch_add(1, Ordering::Relaxed);
                let records = self.pending.last().map_or(0, Vec::len);
                let wait = self.delay;
                tracing::warn!(error = %e, records, retry_in_ms = wait.as_millis() as u64, "errcat error log write failed; retrying");
                self.delay = self.delay.saturating_mul(2).min(self.retry_max);
                Some(wait)
            }
        }
    }
}
