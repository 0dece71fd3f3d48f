//! Retention: deleting the oldest records, and the counts of the time they
//! covered, in steps short enough that the error log's writer never waits
//! long for them.

use crate::store::{Store, StoreError};

/// About how long one statement of [`Store::delete_older_than`] takes: the
/// longest the error log's writer waits for retention.
pub const DELETE_STEP: std::time::Duration = std::time::Duration::from_millis(20);

/// The rows of retention's next statement: halved after a statement that
/// took longer than [`DELETE_STEP`], doubled after one that took less than
/// half of it (a database's speed per row differs by backend, machine and
/// size).
struct DeleteSteps {
    rows: i64,
}

impl DeleteSteps {
    const MIN: i64 = 16;
    const MAX: i64 = 10_000;

    fn new() -> Self {
        DeleteSteps { rows: 250 }
    }

    fn next(&self) -> i64 {
        self.rows
    }

    /// Takes in how the last statement went; whether there may be more to
    /// delete.
    fn took(&mut self, deleted: u64, took: std::time::Duration) -> bool {
        let full = deleted >= self.rows as u64;
        if took > DELETE_STEP {
            self.rows = (self.rows / 2).max(Self::MIN);
        } else if took < DELETE_STEP / 2 {
            self.rows = (self.rows * 2).min(Self::MAX);
        }
        full
    }
}

impl Store {
    /// Deletes records older than `cutoff_ms`, and the counts of the
    /// minutes and hours wholly before it; returns how many records.
    ///
    /// Oldest first, in statements that each take about [`DELETE_STEP`]
    /// (the number of rows per statement follows the time the last one
    /// took), each its own transaction: the error log's writer waits for
    /// one of them at most, never for the whole deletion (on SQLite the two
    /// take turns on one connection). Safe to run while the log is written,
    /// and to stop midway: what is deleted stays deleted, and the next call
    /// goes on.
    pub async fn delete_older_than(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        let mut rows = DeleteSteps::new();
        loop {
            let mut q = self.sql(
                "DELETE FROM errcat_errors WHERE error_id IN \
                 (SELECT error_id FROM errcat_errors WHERE ts_ms < ",
            );
            q.bind(cutoff_ms)
                .push(" ORDER BY ts_ms LIMIT ")
                .bind(rows.next())
                .push(")");
            let started = std::time::Instant::now();
            let n = self.write(q).await?;
            total += n;
            if !rows.took(n, started.elapsed()) {
                break;
            }
            tokio::task::yield_now().await;
        }
        // A minute wholly before the cutoff: minute_ms + 60000 <= cutoff.
        let mut rows = DeleteSteps::new();
        loop {
            let mut q = self.sql(
                "DELETE FROM errcat_counts WHERE (minute_ms, code, route, status) IN \
                 (SELECT minute_ms, code, route, status FROM errcat_counts WHERE minute_ms <= ",
            );
            q.bind(cutoff_ms.saturating_sub(60_000))
                .push(" ORDER BY minute_ms LIMIT ")
                .bind(rows.next())
                .push(")");
            let started = std::time::Instant::now();
            let n = self.write(q).await?;
            if !rows.took(n, started.elapsed()) {
                break;
            }
            tokio::task::yield_now().await;
        }
        // An hour wholly before the cutoff (as many rows an hour as codes).
        let mut q = self.sql("DELETE FROM errcat_counts_hourly WHERE hour_ms <= ");
        q.bind(cutoff_ms.saturating_sub(crate::counts::HOUR_MS));
        self.write(q).await?;
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_steps_follow_the_time_a_statement_takes() {
        let mut steps = DeleteSteps::new();
        assert_eq!(steps.next(), 250);
        // Slow: halved down to the least.
        assert!(steps.took(250, DELETE_STEP * 3));
        assert_eq!(steps.next(), 125);
        for _ in 0..20 {
            steps.took(steps.next() as u64, DELETE_STEP * 3);
        }
        assert_eq!(steps.next(), DeleteSteps::MIN);
        // Fast: doubled up to the most; in between, kept.
        for _ in 0..20 {
            steps.took(steps.next() as u64, DELETE_STEP / 4);
        }
        assert_eq!(steps.next(), DeleteSteps::MAX);
        assert!(steps.took(10_000, DELETE_STEP * 3 / 4));
        assert_eq!(steps.next(), DeleteSteps::MAX);
        // Fewer deleted than asked: nothing is left.
        assert!(!steps.took(3, DELETE_STEP));
    }
}
