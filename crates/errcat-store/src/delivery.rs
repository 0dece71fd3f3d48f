//! One batch's way from the writer into the database.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::admission::Gauge;
use crate::counts::NotKeptTally;
use crate::record::ErrorRecord;
use crate::writer::Shared;

/// One batch's way into the database: retried with backoff (doubling up to
/// `retry_max`) while the database fails, and, when the database refuses
/// the data itself, split in halves until the refused records are found;
/// those are counted in `rejected` and logged, and the rest is written.
pub(crate) struct Delivery<'s> {
    pending: Vec<Vec<ErrorRecord>>,
    /// Errors not kept, written with the first insert that succeeds.
    not_kept: NotKeptTally,
    shared: &'s Shared,
    delay: Duration,
}

impl<'s> Delivery<'s> {
    pub(crate) fn new(batch: Vec<ErrorRecord>, not_kept: NotKeptTally, shared: &'s Shared) -> Self {
        Delivery {
            pending: vec![batch],
            not_kept,
            shared,
            delay: shared.config.retry_initial,
        }
    }

    /// The records and counts to insert next, if any are left.
    pub(crate) fn current(&self) -> Option<(&[ErrorRecord], &NotKeptTally)> {
        match self.pending.last() {
            Some(batch) => Some((batch, &self.not_kept)),
            None if !self.not_kept.is_empty() => Some((&[], &self.not_kept)),
            None => None,
        }
    }

    /// Adds an attempt to the writer's gauge: its time, and, when it
    /// succeeded, what it wrote.
    pub(crate) fn gauge(&self, gauge: &std::sync::Mutex<Gauge>, busy: Duration, ok: bool) {
        let (written, not_kept) = match (ok, self.current()) {
            (true, Some((batch, not_kept))) => (batch.len(), not_kept.values().sum()),
            _ => (0, 0),
        };
        self.shared.gauged(gauge, busy, written, not_kept);
    }

    /// Takes the outcome of inserting [`Delivery::current`]; returns how
    /// long to wait before the next attempt when it is a retry.
    pub(crate) fn settle(
        &mut self,
        result: Result<(), crate::store::StoreError>,
    ) -> Option<Duration> {
        let stats = &*self.shared.stats;
        match result {
            Ok(()) => {
                let batch = self.pending.pop().unwrap_or_default();
                let not_kept = std::mem::take(&mut self.not_kept);
                stats
                    .written
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                tracing::debug!(
                    records = batch.len(),
                    not_kept = not_kept.values().sum::<i64>(),
                    "errcat error log batch written"
                );
                self.delay = self.shared.config.retry_initial;
                None
            }
            Err(e) if e.is_refused_data() => {
                stats.failed_writes.fetch_add(1, Ordering::Relaxed);
                let Some(mut first) = self.pending.pop() else {
                    // Only counts were written, and refused: give them up.
                    tracing::error!(error = %e, "errcat error log refused the counts of errors not kept; set aside");
                    self.not_kept.clear();
                    return None;
                };
                if first.len() <= 1 {
                    stats.rejected.fetch_add(1, Ordering::Relaxed);
                    let error_id = first.first().map_or("", |r| r.error_id.as_str());
                    tracing::error!(error = %e, error_id, "errcat error log refused a record; set aside");
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
                self.delay = self
                    .delay
                    .saturating_mul(2)
                    .min(self.shared.config.retry_max);
                Some(wait)
            }
        }
    }
}
