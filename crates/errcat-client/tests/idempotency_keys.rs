//! Idempotency keys are UUIDv4s that never collide, across threads made at
//! the same instant.

use std::collections::HashSet;

const THREADS: usize = 8;
const PER_THREAD: usize = 100_000;

#[test]
fn eight_threads_of_100_000_keys_never_collide() {
    let start = std::sync::Barrier::new(THREADS);
    let keys: Vec<Vec<u128>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    (0..PER_THREAD)
                        .map(|_| {
                            let key = errcat_client::idempotency_key();
                            let id = uuid::Uuid::parse_str(&key)
                                .unwrap_or_else(|e| panic!("{key:?} is not a UUID: {e}"));
                            assert_eq!(
                                (id.get_version_num(), id.get_variant(), key.len()),
                                (4, uuid::Variant::RFC4122, 36),
                                "{key}"
                            );
                            id.as_u128()
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut seen = HashSet::with_capacity(THREADS * PER_THREAD);
    for key in keys.into_iter().flatten() {
        assert!(seen.insert(key), "{key:032x} made twice");
    }
    assert_eq!(seen.len(), THREADS * PER_THREAD);
}
