//! The per-request cost of [`ErrcatLayer`]: the same router with and
//! without the layer, driven in process with `tower::ServiceExt::oneshot`
//! (no sockets, no hyper), so that the difference is the layer's own work.
//!
//! - `layer_ok`: `GET /ok` answered `{"status":"ok"}`; `bare` is the router
//!   alone, `errcat` the router with the layer (defaults: 30 s timeout, a
//!   generated request id), `errcat_inbound_id` the same with a safe
//!   inbound `X-Request-Id`, `tower_http_ids` the router with tower-http's
//!   request id layers and nothing else (what request ids alone cost),
//!   `ids_floor` the router with the least a request id layer can do (a new
//!   id in the extensions and on the response; `crates/errcat-bench-support/src/peer_app.rs`),
//!   `noop_layer` the router with a layer that does nothing (what axum
//!   charges for `Router::layer` itself).
//! - `layer_err`: `GET /err`; `bare_static` answers a pre-serialized body of
//!   errcat's size, `errcat` renders `TEMPLATE_NOT_FOUND` per request,
//!   `peer` answers the same problem with `http-api-problem` and `peer_ids`
//!   the same with errcat's two ids and headers (as in `bench/load.sh`),
//!   `ids_floor` the least a handler can do to answer the same bytes (one
//!   `format!` with two fresh ids, behind the floor layer), and
//!   `errcat_observed` errcat with an observer taking each error's event
//!   (what the error log receives: the message, the violations and the
//!   response as sent), without writing it anywhere.
//!
//! Each iteration builds the request and reads the whole response body.
//! After criterion's runs, `main` prints errcat/bare per scenario (time per
//! request, and its inverse: the requests/s ratio the layer would allow).
//!
//! Run with `cargo bench -p errcat-axum --bench layer`; on a shared machine
//! `LAYER_ROUNDS=15 cargo bench -p errcat-axum --bench layer` compares the
//! fastest of interleaved rounds instead (see [`interleaved`]).

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group};
use errcat_axum::ErrcatLayer;
use tower::ServiceExt;

use errcat_bench_support::peer_app;
use errcat_bench_support::shop_app;

use peer_app::{floor_router, ids_router, noop_router, peer_ids_router, peer_router};
use shop_app::{bare_router, errcat_router};

/// The groups and the pairs (measured bench, baseline bench) compared in each.
const PAIRS: [(&str, &str, &str); 12] = [
    ("layer_ok", "errcat", "bare"),
    ("layer_ok", "errcat_inbound_id", "bare"),
    ("layer_ok", "errcat", "tower_http_ids"),
    ("layer_ok", "errcat", "ids_floor"),
    ("layer_ok", "noop_layer", "bare"),
    ("layer_err", "errcat", "ids_floor"),
    ("layer_err", "ids_floor", "bare_static"),
    ("layer_err", "errcat", "bare_static"),
    ("layer_err", "errcat", "peer"),
    ("layer_err", "errcat", "peer_ids"),
    ("layer_err", "errcat_observed", "errcat"),
    ("layer_err", "errcat_observed", "ids_floor"),
];

fn request(path: &'static str, request_id: bool) -> Request<Body> {
    let mut b = Request::get(path)
        .header(header::HOST, "127.0.0.1:18080")
        .header(header::USER_AGENT, "wrk");
    if request_id {
        b = b.header("x-request-id", "req-7f3a9c2e");
    }
    b.body(Body::empty()).expect("request")
}

async fn once(app: &Router, path: &'static str, request_id: bool) -> (StatusCode, usize) {
    let res = app
        .clone()
        .oneshot(request(path, request_id))
        .await
        .expect("infallible");
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, body.len())
}

/// The routers both runs measure.
struct Stacks {
    errcat: Router,
    bare: Router,
    peer: Router,
    peer_ids: Router,
    ids: Router,
    floor: Router,
    noop: Router,
    /// errcat with an observer that takes each event, as the error log
    /// does (the event built, the response kept, nothing written).
    observed: Router,
}

/// Builds the stacks; the bare router answers errcat's `/err` bytes as a
/// static body, and both it and the floor are checked to answer errcat's
/// status and size.
fn stacks(rt: &tokio::runtime::Runtime) -> Stacks {
    let errcat = errcat_router(ErrcatLayer::new(shop_app::renderer()));
    let sample = rt.block_on(async {
        let res = errcat
            .clone()
            .oneshot(request("/err", false))
            .await
            .expect("infallible");
        axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body")
    });
    let bare = bare_router(Box::leak(sample.to_vec().into_boxed_slice()));
    let floor = floor_router();
    rt.block_on(async {
        let (s, n) = once(&bare, "/err", false).await;
        let (es, en) = once(&errcat, "/err", false).await;
        assert_eq!(
            (s, n),
            (es, en),
            "the bare /err must answer errcat's status and size"
        );
        assert_eq!(
            once(&floor, "/err", false).await,
            (es, en),
            "the floor's /err must answer errcat's status and size"
        );
        println!("/err: {} bytes, status {}", n, s.as_u16());
    });
    Stacks {
        errcat,
        bare,
        peer: peer_router(),
        peer_ids: peer_ids_router(),
        ids: ids_router(),
        floor,
        noop: noop_router(),
        observed: errcat_router(ErrcatLayer::new(shop_app::renderer()).observer(
            |e: &errcat_axum::ErrorEvent| {
                black_box(e);
            },
        )),
    }
}

/// Every case: (criterion group, name, router, path, with an inbound
/// request id).
fn cases(s: &Stacks) -> [(&'static str, &'static str, &Router, &'static str, bool); 12] {
    [
        ("layer_ok", "bare", &s.bare, "/ok", false),
        ("layer_ok", "errcat", &s.errcat, "/ok", false),
        ("layer_ok", "errcat_inbound_id", &s.errcat, "/ok", true),
        ("layer_ok", "tower_http_ids", &s.ids, "/ok", false),
        ("layer_ok", "ids_floor", &s.floor, "/ok", false),
        ("layer_ok", "noop_layer", &s.noop, "/ok", false),
        ("layer_err", "bare_static", &s.bare, "/err", false),
        ("layer_err", "errcat", &s.errcat, "/err", false),
        ("layer_err", "errcat_observed", &s.observed, "/err", false),
        ("layer_err", "peer", &s.peer, "/err", false),
        ("layer_err", "peer_ids", &s.peer_ids, "/err", false),
        ("layer_err", "ids_floor", &s.floor, "/err", false),
    ]
}

fn bench_layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stacks = stacks(&rt);
    let cases = cases(&stacks);
    for group_name in ["layer_ok", "layer_err"] {
        let mut group = c.benchmark_group(group_name);
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for (g, name, app, path, request_id) in cases {
            if g != group_name {
                continue;
            }
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            black_box(once(app, path, request_id).await);
                        }
                        start.elapsed()
                    })
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_layer);

use errcat_bench_support::criterion_ratio;

use criterion_ratio::{human, print_ratio};

fn print_ratios(started: SystemTime) {
    println!();
    // The measured stack is errcat's in most pairs, a reference in a few
    // (`noop_layer`, `ids_floor`): each line names its own.
    for (group, measured, baseline) in PAIRS {
        print_ratio(
            group,
            measured,
            (measured, baseline),
            started,
            |(e, e_median), (b, b_median)| {
                format!(
                    "{measured}/{baseline} time = {:.2}x, requests/s = {:.3} ({measured} {}, {baseline} {}, difference {}; median time ratio {:.2}x)",
                    e / b,
                    b / e,
                    human(e),
                    human(b),
                    human(e - b),
                    e_median / b_median
                )
            },
        );
    }
}

/// `LAYER_ROUNDS=n`: instead of criterion, `n` interleaved rounds of 20,000
/// requests per case, printing each case's fastest round and median round.
/// On a shared machine other work only ever slows a round down, so the
/// fastest rounds compare the stacks' own costs.
fn interleaved(rounds: usize) {
    const PER_ROUND: u32 = 20_000;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stacks = stacks(&rt);
    // Named "ok errcat", "err peer", …: the group without `layer_`.
    let cases: Vec<(String, &Router, &'static str, bool)> = cases(&stacks)
        .into_iter()
        .map(|(group, name, app, path, request_id)| {
            let group = group.trim_start_matches("layer_");
            (format!("{group} {name}"), app, path, request_id)
        })
        .collect();
    // `LAYER_CASE="ok errcat"`: only that case (to count its allocations
    // or clock reads with `perf stat`).
    let only = std::env::var("LAYER_CASE").ok();
    let mut times: Vec<Vec<f64>> = vec![vec![0.0]; cases.len()];
    for _ in 0..rounds {
        for (i, (name, app, path, request_id)) in cases.iter().enumerate() {
            if only.as_deref().is_some_and(|o| o != *name) {
                continue;
            }
            let ns = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..PER_ROUND {
                    black_box(once(app, path, *request_id).await);
                }
                start.elapsed().as_nanos() as f64 / f64::from(PER_ROUND)
            });
            if times[i] == [0.0] {
                times[i].clear();
            }
            times[i].push(ns);
        }
    }
    let stat = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() / 2])
    };
    let stats: Vec<(f64, f64)> = times.iter_mut().map(stat).collect();
    for ((name, ..), (min, median)) in cases.iter().zip(&stats) {
        println!("{name:<22} min {min:7.0} ns  median {median:7.0} ns");
    }
    for (e, b) in [
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 0),
        (5, 0),
        (1, 3),
        (1, 4),
        (7, 6),
        (7, 8),
        (7, 9),
        (10, 6),
        (7, 10),
    ] {
        println!(
            "ratio {} / {}: requests/s {:.3} by min (difference {:+.0} ns), {:.3} by median",
            cases[e].0,
            cases[b].0,
            stats[b].0 / stats[e].0,
            stats[e].0 - stats[b].0,
            stats[b].1 / stats[e].1
        );
    }
}

fn main() {
    if let Some(rounds) = std::env::var("LAYER_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        interleaved(rounds);
        return;
    }
    let started = SystemTime::now();
    benches();
    criterion_ratio::finish(started, print_ratios);
}
