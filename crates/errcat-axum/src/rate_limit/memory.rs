//! Buckets in this process's memory, with `governor`.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

use super::{Backend, BackendError, BucketKey, Decision, Policy, Quota};

type Limiter = governor::RateLimiter<
    BucketKey,
    DefaultKeyedStateStore<BucketKey>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// How many checks between two sweeps of the buckets that are full again.
const SWEEP_EVERY: u64 = 4096;

/// The limiters, by policy name and quota.
type Limiters = HashMap<(Arc<str>, Quota), Arc<Bucket>>;

struct Bucket {
    limiter: Limiter,
    checks: AtomicU64,
}

/// Buckets in this process's memory: one keyed `governor` limiter (GCRA)
/// per policy.
///
/// Buckets that are full again (their client has been quiet for a window)
/// are dropped every few thousand checks, so memory follows the number of
/// active clients, not of all clients ever seen.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    limiters: Arc<RwLock<Limiters>>,
}

impl fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryBackend").finish_non_exhaustive()
    }
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        MemoryBackend::default()
    }

    fn limiter(&self, policy: &Policy) -> Arc<Bucket> {
        let id = (Arc::clone(&policy.name), policy.quota);
        if let Some(b) = self
            .limiters
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
        {
            return Arc::clone(b);
        }
        let mut map = self
            .limiters
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(id).or_insert_with(|| {
            let q = policy.quota;
            let quota = governor::Quota::with_period(q.interval())
                .unwrap_or_else(|| governor::Quota::per_second(q.limit))
                .allow_burst(q.limit);
            Arc::new(Bucket {
                limiter: governor::RateLimiter::keyed(quota)
                    .with_middleware::<StateInformationMiddleware>(),
                checks: AtomicU64::new(0),
            })
        }))
    }

    fn decide(&self, policy: &Policy, key: &BucketKey) -> Decision {
        let bucket = self.limiter(policy);
        let n = bucket.checks.fetch_add(1, Ordering::Relaxed);
        if n % SWEEP_EVERY == SWEEP_EVERY - 1 {
            bucket.limiter.retain_recent();
            bucket.limiter.shrink_to_fit();
        }
        match bucket.limiter.check_key(key) {
            Ok(state) => Decision {
                allowed: true,
                remaining: state.remaining_burst_capacity(),
                // The next request comes back within one interval.
                reset: policy.quota.interval(),
            },
            Err(not_until) => Decision {
                allowed: false,
                remaining: 0,
                reset: not_until.wait_time_from(bucket.limiter.clock().now()),
            },
        }
    }
}

impl Backend for MemoryBackend {
    fn check<'a>(
        &'a self,
        policy: &'a Policy,
        key: &'a BucketKey,
    ) -> BoxFuture<'a, Result<Decision, BackendError>> {
        let decision = self.decide(policy, key);
        Box::pin(std::future::ready(Ok(decision)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_of_the_quota_then_one_per_interval() {
        let backend = MemoryBackend::new();
        let policy = Policy::per_ip("per-ip", Quota::per_minute(3));
        let a = BucketKey::Ip("192.0.2.1".parse().unwrap());
        let b = BucketKey::Ip("192.0.2.2".parse().unwrap());
        let remaining: Vec<_> = (0..3).map(|_| backend.decide(&policy, &a)).collect();
        assert!(remaining.iter().all(|d| d.allowed));
        assert_eq!(
            remaining.iter().map(|d| d.remaining).collect::<Vec<_>>(),
            [2, 1, 0]
        );
        let refused = backend.decide(&policy, &a);
        assert!(!refused.allowed);
        assert!(
            refused.reset > Duration::from_secs(19) && refused.reset <= Duration::from_secs(20)
        );
        // Another client has its own bucket.
        assert_eq!(backend.decide(&policy, &b).remaining, 2);
        // The same name with another quota is another limiter.
        let bigger = Policy::per_ip("per-ip", Quota::per_minute(10));
        assert_eq!(backend.decide(&bigger, &a).remaining, 9);
    }
}
