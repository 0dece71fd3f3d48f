//! Fuzzes the client's parser: arbitrary bytes as an error body (with the
//! first bytes choosing the status and a `Retry-After`/`RateLimit`/request
//! id header value) must give an `ApiError`, never a panic, for each seed
//! catalog's parser and the generic one; the error must print, keep at most
//! `MAX_RAW_BYTES` of the body, and a retry decision on it must be bounded.

#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use errcat_catalog::Catalog;
use errcat_client::Parser;
use errcat_client::parse::MAX_RAW_BYTES;
use errcat_client::retry::{Decision, Failure, FixedJitter, RetryPolicy};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const SEEDS: [&str; 5] = [
    include_str!("../../examples/catalogs/000-dxtra.toml"),
    include_str!("../../examples/catalogs/001-error-codes.toml"),
    include_str!("../../examples/catalogs/002-extole.toml"),
    include_str!("../../examples/catalogs/003-saas.toml"),
    include_str!("../../examples/catalogs/004-dual.toml"),
];

static PARSERS: LazyLock<Vec<Parser>> = LazyLock::new(|| {
    let mut p: Vec<Parser> = SEEDS
        .iter()
        .map(|t| Parser::new(&Catalog::from_str(t, "errors.toml").expect("seed catalogs load")))
        .collect();
    p.push(Parser::generic());
    p
});

const HEADERS: [&str; 5] = [
    "retry-after",
    "ratelimit",
    "ratelimit-reset",
    "ratelimit-remaining",
    "x-request-id",
];

fuzz_target!(|data: &[u8]| {
    let (status, header, value, body) = match data {
        [a, b, h, n, rest @ ..] => {
            let n = (*n as usize).min(rest.len());
            (u16::from_le_bytes([*a, *b]), *h, &rest[..n], &rest[n..])
        }
        _ => (500, 0, &[][..], data),
    };
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(value) {
        let name = HEADERS[header as usize % HEADERS.len()];
        headers.insert(HeaderName::from_static(name), v);
    }
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let policy = RetryPolicy::default();
    for parser in PARSERS.iter() {
        let e = parser.parse_at(status, &headers, body, now);
        assert_eq!(e.status, status);
        assert!(e.raw.len() <= MAX_RAW_BYTES);
        let _ = e.to_string();
        let failure = Failure::Status {
            status,
            retryable_code: e.retryable,
        };
        if let Decision::Retry(wait) = policy.decide(
            1,
            failure,
            true,
            e.retry_after,
            Duration::ZERO,
            &FixedJitter(1.0),
        ) {
            assert!(wait <= policy.max_retry_after.max(policy.cap));
        }
    }
});
