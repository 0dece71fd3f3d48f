//! Which records the error log keeps: all of them, until the writer falls
//! behind (an error storm); then every 5xx and every code retained always,
//! and of each other (code, route) the first few each minute and one in
//! many after, each kept record carrying the number it stands for. What is
//! not kept is still counted, so the per-minute counts stay exact.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::counts::{CountKey, NotKeptTally, key_text};
use crate::record::{ErrorRecord, minute_of};

/// Fixed sampling of 4xx, in every weather. Every 5xx is kept, and every
/// error of a code in `always`; a 4xx is kept with the rate of its code,
/// else of its category, else `default_4xx`, and a kept one stands for
/// `1 / rate` errors.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    /// Rate for 4xx without a more specific rate (default 1.0: keep all).
    pub default_4xx: f64,
    /// Rates by code.
    pub per_code: HashMap<String, f64>,
    /// Rates by category.
    pub per_category: HashMap<String, f64>,
    /// Codes whose every error is kept, in a storm too (the catalog's
    /// `retain = "always"`).
    pub always: HashSet<String>,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            default_4xx: 1.0,
            per_code: HashMap::new(),
            per_category: HashMap::new(),
            always: HashSet::new(),
        }
    }
}

impl Sampling {
    /// Whether a record is kept whatever the weather: a 5xx, or a code
    /// retained always.
    pub fn always_kept(&self, r: &ErrorRecord) -> bool {
        self.always_kept_head(&Head::of(r))
    }

    fn always_kept_head(&self, r: &Head<'_>) -> bool {
        r.status >= 500 || self.always.contains(r.code)
    }

    /// Whether to keep a record. Deterministic in the error id, so a record
    /// is kept or not wherever it is decided.
    pub fn keep(&self, r: &ErrorRecord) -> bool {
        self.weight(&Head::of(r)).is_some()
    }

    /// The number of errors a kept record stands for, or `None` when it is
    /// not kept.
    pub(crate) fn weight(&self, r: &Head<'_>) -> Option<i64> {
        if self.always_kept_head(r) {
            return Some(1);
        }
        let rate = self
            .per_code
            .get(r.code)
            .or_else(|| self.per_category.get(r.category))
            .copied()
            .unwrap_or(self.default_4xx);
        if rate >= 1.0 {
            return Some(1);
        }
        if rate <= 0.0 || rate.is_nan() {
            return None;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        r.error_id.hash(&mut h);
        ((h.finish() as f64 / u64::MAX as f64) < rate).then(|| (1.0 / rate).round() as i64)
    }
}

/// When the log is in a storm, and what it keeps then.
#[derive(Clone, Debug, PartialEq)]
pub struct Storm {
    /// Records waiting in the queue over which the writer is behind
    /// (default 2,500, a quarter of the default queue).
    pub high_water: usize,
    /// The share of one core the writer may spend writing before 4xx are
    /// sampled (default 0.25: at a 5% error mix on a
    /// 2-core machine the SQLite writer measured close to 0.10). It is estimated each second as the time
    /// spent per record written, times the records offered. `0.0` samples
    /// always, as in a storm.
    pub busy_budget: f64,
    /// Records of each (code, route) kept each minute before sampling
    /// starts (default 10), so every distinct error is still seen.
    pub keep_first: u32,
    /// After those, one record in this many is kept, standing for this many
    /// (default 100).
    pub one_in: u32,
}

impl Default for Storm {
    fn default() -> Self {
        Storm {
            high_water: 2_500,
            busy_budget: 0.25,
            keep_first: 10,
            one_in: 100,
        }
    }
}

/// What admission reads of an error: enough to decide and to count it,
/// borrowed, so that an error not kept costs no record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Head<'a> {
    pub(crate) error_id: &'a str,
    pub(crate) code: &'a str,
    pub(crate) category: &'a str,
    pub(crate) route: &'a str,
    pub(crate) status: u16,
    pub(crate) timestamp_ms: i64,
}

impl<'a> Head<'a> {
    pub(crate) fn of(r: &'a ErrorRecord) -> Self {
        Head {
            error_id: &r.error_id,
            code: &r.code,
            category: &r.category,
            route: r.count_route(),
            status: r.status,
            timestamp_ms: r.timestamp_ms,
        }
    }
}

/// What admission decided of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Keep it, standing for this many errors.
    Keep(i64),
    /// Do not keep it (it is counted as not kept); `wake` when it is the
    /// first not kept since the writer last took them.
    Skip { wake: bool },
}

/// The admission state shared by the log's senders and its writer.
#[derive(Debug, Default)]
pub(crate) struct Admission {
    storm: AtomicBool,
    state: Mutex<State>,
}

/// Per code, per route: looked up by `&str`, so that an error seen before
/// costs no allocation.
#[derive(Debug, Default)]
struct State {
    by_code: HashMap<String, HashMap<String, RouteState>>,
    /// Errors not kept wait for the writer.
    pending: bool,
}

#[derive(Debug, Default)]
struct RouteState {
    /// The minute of `seen`.
    minute: i64,
    /// Errors seen in a storm in that minute.
    seen: u64,
    /// Errors not kept, per (minute, status).
    not_kept: Vec<(i64, u16, i64)>,
}

impl State {
    fn route(&mut self, code: &str, route: &str) -> &mut RouteState {
        let (code, route) = (key_text(code), key_text(route));
        if !self.by_code.contains_key(code) {
            self.by_code.insert(code.to_owned(), HashMap::new());
        }
        let routes = self.by_code.get_mut(code).expect("inserted above");
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteState::default());
        }
        routes.get_mut(route).expect("inserted above")
    }

    /// Counts an error not kept; returns whether it is the first since the
    /// writer last took them.
    fn not_kept(&mut self, r: &Head<'_>) -> bool {
        let minute = minute_of(r.timestamp_ms);
        let slot = self.route(r.code, r.route);
        match slot
            .not_kept
            .iter_mut()
            .find(|(m, s, _)| *m == minute && *s == r.status)
        {
            Some((_, _, n)) => *n += 1,
            None => slot.not_kept.push((minute, r.status, 1)),
        }
        !std::mem::replace(&mut self.pending, true)
    }
}

impl Admission {
    pub(crate) fn new(storm: &Storm) -> Self {
        let a = Admission::default();
        a.storm.store(storm.busy_budget <= 0.0, Ordering::Relaxed);
        a
    }

    /// Whether the writer last said it is in a storm.
    pub(crate) fn in_storm(&self) -> bool {
        self.storm.load(Ordering::Relaxed)
    }

    pub(crate) fn set_storm(&self, on: bool) {
        if self.storm.swap(on, Ordering::Relaxed) != on {
            if on {
                tracing::warn!("errcat error log in an error storm: sampling 4xx records");
            } else {
                tracing::info!("errcat error log storm over: keeping every record");
            }
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides of an error; `behind` says the queue is over its high-water
    /// mark. One not kept is counted.
    pub(crate) fn decide(
        &self,
        r: &Head<'_>,
        sampling: &Sampling,
        storm: &Storm,
        behind: bool,
    ) -> Verdict {
        let weight = sampling.weight(r);
        if let Some(w) = weight
            && (sampling.always_kept_head(r) || !(behind || self.in_storm()))
        {
            return Verdict::Keep(w);
        }
        let mut state = self.state();
        if let Some(weight) = weight {
            let minute = minute_of(r.timestamp_ms);
            let slot = state.route(r.code, r.route);
            if slot.minute != minute {
                (slot.minute, slot.seen) = (minute, 0);
            }
            slot.seen += 1;
            let first = u64::from(storm.keep_first);
            let one_in = u64::from(storm.one_in.max(1));
            if slot.seen <= first {
                return Verdict::Keep(weight);
            }
            if (slot.seen - first).is_multiple_of(one_in) {
                return Verdict::Keep(weight.saturating_mul(one_in as i64));
            }
        }
        Verdict::Skip {
            wake: state.not_kept(r),
        }
    }

    /// Counts an error not kept for another reason (the queue full).
    pub(crate) fn not_kept(&self, r: &Head<'_>) {
        self.state().not_kept(r);
    }

    /// The errors not kept since the last call.
    pub(crate) fn take_not_kept(&self) -> NotKeptTally {
        let mut state = self.state();
        let mut out = NotKeptTally::new();
        if !std::mem::replace(&mut state.pending, false) {
            return out;
        }
        for (code, routes) in &mut state.by_code {
            for (route, slot) in routes.iter_mut() {
                for (minute_ms, status, n) in slot.not_kept.drain(..) {
                    *out.entry(CountKey {
                        minute_ms,
                        code: code.clone(),
                        route: route.clone(),
                        status,
                    })
                    .or_default() += n;
                }
            }
        }
        out
    }
}

/// The CPU time the calling thread spends from [`ThreadClock::start`];
/// where the platform has no thread clock, the wall time. The SQLite
/// writer's (the PostgreSQL writer, a task, uses wall time).
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) struct ThreadClock {
    cpu: Option<cpu_time::ThreadTime>,
    wall: Instant,
}

#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
impl ThreadClock {
    pub(crate) fn start() -> Self {
        ThreadClock {
            cpu: cpu_time::ThreadTime::try_now().ok(),
            wall: Instant::now(),
        }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.cpu
            .as_ref()
            .and_then(|c| c.try_elapsed().ok())
            .unwrap_or_else(|| self.wall.elapsed())
    }
}

/// The writer's gauge of its own load: time spent writing, records
/// written and records offered but not kept, over windows of a second.
#[derive(Debug)]
pub(crate) struct Gauge {
    start: Instant,
    busy: Duration,
    written: u64,
    not_kept: u64,
    /// Seconds per record written, from the last fair-weather window that
    /// wrote any.
    cost: f64,
}

impl Gauge {
    pub(crate) fn new() -> Self {
        Gauge {
            start: Instant::now(),
            busy: Duration::ZERO,
            written: 0,
            not_kept: 0,
            cost: 0.0,
        }
    }

    /// Adds one write; at the end of a window, decides whether the log is in
    /// a storm. In fair weather, by the share of the window spent writing
    /// (over the budget: a storm). In a storm, by what writing every record
    /// offered (kept or not) would take at the time per record measured in
    /// fair weather, when batches held everything (under 80% of the budget:
    /// the storm is over).
    pub(crate) fn add(
        &mut self,
        busy: Duration,
        written: usize,
        not_kept: i64,
        storm: &Storm,
        admission: &Admission,
    ) {
        self.busy += busy;
        self.written += written as u64;
        self.not_kept += u64::try_from(not_kept).unwrap_or(0);
        let window = self.start.elapsed();
        if window < Duration::from_secs(1) || storm.busy_budget <= 0.0 {
            return;
        }
        let window_s = window.as_secs_f64();
        if admission.in_storm() {
            let offered = (self.written + self.not_kept) as f64;
            admission.set_storm(self.cost * offered / window_s > storm.busy_budget * 0.8);
        } else {
            if self.written > 0 {
                self.cost = self.busy.as_secs_f64() / self.written as f64;
            }
            admission.set_storm(self.busy.as_secs_f64() / window_s > storm.busy_budget);
        }
        *self = Gauge {
            cost: self.cost,
            ..Gauge::new()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u32, code: &str, status: u16, route: &str) -> ErrorRecord {
        let mut r = ErrorRecord::new(format!("e{i}"), "r", code, status);
        r.timestamp_ms = 600_000;
        r.route = Some(route.to_owned());
        r
    }

    #[test]
    fn in_a_storm_each_route_keeps_its_first_then_one_in_many() {
        let storm = Storm {
            busy_budget: 0.0,
            ..Storm::default()
        };
        let a = Admission::new(&storm);
        let sampling = Sampling {
            always: HashSet::from(["LOGIN_LOCKED".to_owned()]),
            ..Sampling::default()
        };
        let mut kept = HashMap::<(&str, i64), u32>::new();
        for i in 0..1_000 {
            for (code, status, route) in [
                ("NOT_FOUND", 404, "/a"),
                ("NOT_FOUND", 404, "/b"),
                ("INTERNAL", 500, "/a"),
                ("LOGIN_LOCKED", 423, "/login"),
            ] {
                let r = rec(i, code, status, route);
                match a.decide(&Head::of(&r), &sampling, &storm, false) {
                    Verdict::Keep(w) => *kept.entry((route, w)).or_default() += 1,
                    Verdict::Skip { .. } => {}
                }
            }
        }
        // Per 404 route: the first 10, then the 110th, 210th, … 910th.
        assert_eq!(kept[&("/b", 1)], 10);
        assert_eq!(kept[&("/b", 100)], 9);
        // /a: 10 + 9 404s and 1,000 500s at weight 1.
        assert_eq!(kept[&("/a", 1)], 1_010);
        assert_eq!(kept[&("/login", 1)], 1_000);
    }

    #[test]
    fn without_a_storm_everything_is_kept_and_a_new_minute_starts_over() {
        let storm = Storm::default();
        let a = Admission::new(&storm);
        let s = Sampling::default();
        let r = rec(1, "NOT_FOUND", 404, "/a");
        let h = Head::of(&r);
        assert_eq!(a.decide(&h, &s, &storm, false), Verdict::Keep(1));
        // Behind: the first 10 of the minute are kept.
        for _ in 0..10 {
            assert_eq!(a.decide(&h, &s, &storm, true), Verdict::Keep(1));
        }
        assert_eq!(a.decide(&h, &s, &storm, true), Verdict::Skip { wake: true });
        assert_eq!(
            a.decide(&h, &s, &storm, true),
            Verdict::Skip { wake: false }
        );
        let mut next = r.clone();
        next.timestamp_ms += 60_000;
        assert_eq!(
            a.decide(&Head::of(&next), &s, &storm, true),
            Verdict::Keep(1)
        );
    }

    #[test]
    fn not_kept_errors_are_counted_until_taken() {
        let a = Admission::new(&Storm::default());
        a.not_kept(&Head::of(&rec(1, "NOT_FOUND", 404, "/a")));
        a.not_kept(&Head::of(&rec(2, "NOT_FOUND", 404, "/a")));
        a.not_kept(&Head::of(&rec(3, "NOT_FOUND", 404, "/b")));
        let taken = a.take_not_kept();
        assert_eq!(taken.len(), 2);
        assert_eq!(taken.values().sum::<i64>(), 3);
        assert!(a.take_not_kept().is_empty());
    }

    #[test]
    fn fixed_rates_give_their_weight() {
        let s = Sampling {
            default_4xx: 0.25,
            ..Sampling::default()
        };
        let weights: Vec<Option<i64>> = (0..400)
            .map(|i| s.weight(&Head::of(&rec(i, "NOT_FOUND", 404, "/a"))))
            .collect();
        let kept = weights.iter().flatten().count();
        assert!((60..140).contains(&kept), "{kept} of 400 at 0.25");
        assert!(weights.iter().flatten().all(|w| *w == 4));
        assert_eq!(s.weight(&Head::of(&rec(1, "INTERNAL", 500, "/a"))), Some(1));
    }

    #[test]
    fn the_thread_clock_counts_work_not_sleep() {
        let c = ThreadClock::start();
        std::thread::sleep(Duration::from_millis(50));
        let slept = c.elapsed();
        let c = ThreadClock::start();
        let mut x = 0u64;
        let until = Instant::now() + Duration::from_millis(50);
        while Instant::now() < until {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let worked = c.elapsed();
        assert!(worked > slept, "worked {worked:?}, slept {slept:?}");
        if cpu_time::ThreadTime::try_now().is_ok() {
            assert!(slept < Duration::from_millis(25), "slept {slept:?}");
        }
    }

    #[test]
    fn the_gauge_calls_a_storm_when_writing_everything_would_cost_too_much() {
        let storm = Storm::default();
        let a = Admission::new(&storm);
        let mut g = Gauge::new();
        g.start -= Duration::from_secs(1);
        // 0.3 s spent writing in a second: over the 10% budget.
        g.add(Duration::from_millis(300), 1_000, 0, &storm, &a);
        assert!(a.in_storm());
        // Sampling: 100 written in 10 ms, 9,900 not kept: writing all at the
        // fair-weather 0.3 ms each would cost 3 s a second.
        g.start -= Duration::from_secs(1);
        g.add(Duration::from_millis(10), 100, 9_900, &storm, &a);
        assert!(a.in_storm());
        // The storm passes: 100 offered, 30 ms a second.
        g.start -= Duration::from_secs(1);
        g.add(Duration::from_millis(10), 100, 0, &storm, &a);
        assert!(!a.in_storm());
    }
}
