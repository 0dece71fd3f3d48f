//! Error ids: UUIDv7, ULID, or a 63-bit decimal string.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use errcat_catalog::IdScheme;

/// Makes a new error id in `scheme`. Ids are unique across threads of one
/// process, and time-ordered (UUIDv7s: strictly within a thread, by
/// millisecond across threads; see [`uuid_v7`]).
///
/// ```
/// use errcat_catalog::IdScheme;
///
/// let a = errcat_render::id::new_id(IdScheme::Decimal63);
/// let b = errcat_render::id::new_id(IdScheme::Decimal63);
/// assert!(a.parse::<u64>().unwrap() < b.parse::<u64>().unwrap());
/// assert_eq!(errcat_render::id::new_id(IdScheme::UuidV7).len(), 36);
/// assert_eq!(errcat_render::id::new_id(IdScheme::Ulid).len(), 26);
/// ```
pub fn new_id(scheme: IdScheme) -> String {
    match scheme {
        IdScheme::UuidV7 => {
            // Encoded straight into a buffer: `to_string` would go through
            // the formatting machinery for the same 36 characters.
            let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
            uuid_v7().hyphenated().encode_lower(&mut text).to_owned()
        }
        IdScheme::Ulid => {
            static GEN: Mutex<Option<ulid::Generator>> = Mutex::new(None);
            let mut guard = GEN
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let generator = guard.get_or_insert_with(ulid::Generator::new);
            match generator.generate() {
                Ok(u) => u.to_string(),
                // The random part overflowed within one millisecond: a fresh
                // random ULID is still unique with overwhelming probability.
                Err(_) => ulid::Ulid::generate().to_string(),
            }
        }
        IdScheme::Decimal63 => decimal63().to_string(),
    }
}

/// A new UUIDv7, as [`new_id`] makes them.
///
/// Each thread keeps its own counter (`uuid`'s `ContextV7`, reseeded with
/// random bits every millisecond), so that making an id takes no lock:
/// the ids of one thread are strictly increasing, those of different
/// threads ordered by their millisecond, and unique through their 74 bits
/// of counter and random data.
pub fn uuid_v7() -> uuid::Uuid {
    thread_local! {
        static CONTEXT: uuid::ContextV7 = const { uuid::ContextV7::new() };
    }
    CONTEXT.with(|context| uuid::Uuid::new_v7(uuid::Timestamp::now(context)))
}

/// Milliseconds since 2020-01-01, the epoch of decimal ids.
const EPOCH_MS: u64 = 1_577_836_800_000;
const NODE_BITS: u32 = 10;
const SEQ_STEP: u64 = 1 << NODE_BITS;

/// A positive 63-bit id: 41 bits of milliseconds, 12 bits of sequence and 10
/// bits of a per-process random node number, so that processes that write to
/// one error log rarely collide and one process never does.
fn decimal63() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    static NODE: OnceLock<u64> = OnceLock::new();
    let node = *NODE.get_or_init(|| {
        u64::from(uuid::Uuid::new_v4().as_bytes()[0]) << 2 | u64::from(std::process::id() & 3)
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
        .saturating_sub(EPOCH_MS);
    let candidate = ((now & ((1 << 41) - 1)) << 22) | node;
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = if candidate > last {
            candidate
        } else {
            last + SEQ_STEP
        };
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next & (u64::MAX >> 1),
            Err(actual) => last = actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_under_concurrency() {
        for scheme in [IdScheme::UuidV7, IdScheme::Ulid, IdScheme::Decimal63] {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    std::thread::spawn(move || {
                        (0..20_000).map(|_| new_id(scheme)).collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all = HashSet::new();
            for h in handles {
                for id in h.join().unwrap() {
                    assert!(all.insert(id.clone()), "{scheme:?} repeated {id}");
                }
            }
            assert_eq!(all.len(), 160_000);
        }
    }

    #[test]
    fn decimal_ids_fit_63_bits() {
        let id: u64 = new_id(IdScheme::Decimal63).parse().unwrap();
        assert!(id < 1 << 63);
        assert!(id > 1 << 50, "carries a timestamp: {id}");
    }
}
