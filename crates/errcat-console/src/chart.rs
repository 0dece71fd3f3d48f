//! Errors per code over time as an inline SVG: stacked bars, axes, a legend.
//! Server-rendered, no script; colours are presentation attributes so the
//! console's CSP needs no inline style.

use std::fmt::Write as _;

use errcat_store::{Count, from_unix_ms};

use crate::html::{esc, esc_into, pct};

/// The most codes drawn as their own series; the rest are summed as "other codes".
pub(crate) const MAX_SERIES: usize = 10;

const PALETTE: [&str; MAX_SERIES] = [
    "#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7",
    "#9c755f", "#1f3b73",
];
const OTHER: &str = "#8a8a8a";

const WIDTH: i64 = 1200;
const LEFT: i64 = 56;
const RIGHT: i64 = 16;
const PLOT_H: i64 = 260;
const LEGEND_ROW: i64 = 22;
const LEGEND_PER_ROW: usize = 4;

/// Total errors per code, most first (ties by code).
pub(crate) fn totals(counts: &[Count]) -> Vec<(String, i64)> {
    let mut totals: Vec<(String, i64)> = Vec::new();
    for c in counts {
        match totals.iter_mut().find(|(code, _)| *code == c.code) {
            Some((_, n)) => *n += c.count,
            None => totals.push((c.code.clone(), c.count)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    totals
}

/// The time axis: `slots` buckets of `bucket_ms` from `start_ms`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axis {
    /// The first bucket's start (a multiple of `bucket_ms`).
    pub(crate) start_ms: i64,
    /// The bucket size.
    pub(crate) bucket_ms: i64,
    /// How many buckets.
    pub(crate) slots: usize,
}

impl Axis {
    /// The buckets covering `[since_ms, now_ms]`, aligned as the store aligns them.
    pub(crate) fn covering(since_ms: i64, now_ms: i64, bucket_ms: i64) -> Axis {
        let bucket_ms = bucket_ms.max(1);
        let start_ms = since_ms.div_euclid(bucket_ms) * bucket_ms;
        let last = now_ms.max(since_ms).div_euclid(bucket_ms) * bucket_ms;
        let slots = usize::try_from((last - start_ms) / bucket_ms + 1).unwrap_or(1);
        Axis {
            start_ms,
            bucket_ms,
            slots,
        }
    }

    fn slot(&self, bucket_ms: i64) -> Option<usize> {
        let off = bucket_ms - self.start_ms;
        if off < 0 || off % self.bucket_ms != 0 {
            return None;
        }
        usize::try_from(off / self.bucket_ms)
            .ok()
            .filter(|&i| i < self.slots)
    }
}

/// Where everything of one chart goes: the series shown (the most frequent
/// codes, then "other codes"), the stacked counts per slot, the scale and
/// the plot's box.
struct Layout {
    all: Vec<(String, i64)>,
    /// How many of `all` have a series of their own.
    shown: usize,
    series: usize,
    /// `stack[slot][series]` = count.
    stack: Vec<Vec<i64>>,
    max: i64,
    step: i64,
    top: i64,
    plot_top: i64,
    plot_bottom: i64,
    height: i64,
    plot_w: i64,
    slots: i64,
}

impl Layout {
    fn new(counts: &[Count], axis: Axis, all: Vec<(String, i64)>) -> Self {
        let shown = all.len().min(MAX_SERIES);
        let has_other = all.len() > MAX_SERIES;
        let series = shown + usize::from(has_other);
        let mut stack = vec![vec![0i64; series.max(1)]; axis.slots];
        for c in counts {
            let Some(slot) = axis.slot(c.bucket_ms) else {
                continue;
            };
            let s = all[..shown]
                .iter()
                .position(|(code, _)| *code == c.code)
                .unwrap_or(series.saturating_sub(1));
            stack[slot][s] += c.count;
        }
        let max = stack
            .iter()
            .map(|s| s.iter().sum::<i64>())
            .max()
            .unwrap_or(0);
        let (step, top) = nice_scale(max);
        let legend_rows = if series == 0 {
            0
        } else {
            i64::try_from(series.div_ceil(LEGEND_PER_ROW)).unwrap_or(1)
        };
        let plot_top = 12 + legend_rows * LEGEND_ROW + 8;
        let plot_bottom = plot_top + PLOT_H;
        Layout {
            all,
            shown,
            series,
            stack,
            max,
            step,
            top,
            plot_top,
            plot_bottom,
            height: plot_bottom + 40,
            plot_w: WIDTH - LEFT - RIGHT,
            slots: i64::try_from(axis.slots.max(1)).unwrap_or(1),
        }
    }

    /// The code and colour of series `s` (`""` for "other codes").
    fn series_of(&self, s: usize) -> (&str, &'static str) {
        if s < self.shown {
            (self.all[s].0.as_str(), PALETTE[s])
        } else {
            ("", OTHER)
        }
    }
}

/// The chart as one `<svg>` element.
pub(crate) fn svg(counts: &[Count], axis: Axis) -> String {
    let l = Layout::new(counts, axis, totals(counts));
    let mut h = String::with_capacity(4096 + counts.len() * 200);
    let label = if l.series == 0 {
        "No errors in this period".to_owned()
    } else {
        format!(
            "Errors per code over time: {}, at most {} per bucket",
            errcat_docs::plural::count(l.all.len() as u64, "code", "codes"),
            l.max
        )
    };
    let _ = write!(
        h,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {}\" \
         width=\"{WIDTH}\" height=\"{}\" role=\"img\" aria-label=\"{}\" \
         font-family=\"system-ui, -apple-system, Segoe UI, sans-serif\" font-size=\"12\">",
        l.height,
        l.height,
        esc(&label)
    );
    legend(&mut h, &l);
    y_axis(&mut h, &l);
    bars(&mut h, &l, axis);
    x_axis(&mut h, &l, axis);
    h.push_str("</svg>");
    h
}

/// One entry per series, linked to the code's reference.
fn legend(h: &mut String, l: &Layout) {
    let col_w = l.plot_w / i64::try_from(LEGEND_PER_ROW).unwrap_or(4);
    for i in 0..l.series {
        let row = i64::try_from(i / LEGEND_PER_ROW).unwrap_or(0);
        let col = i64::try_from(i % LEGEND_PER_ROW).unwrap_or(0);
        let x = LEFT + col * col_w;
        let y = 12 + row * LEGEND_ROW;
        let (code, color) = l.series_of(i);
        let text = if code.is_empty() {
            let rest: i64 = l.all[MAX_SERIES..].iter().map(|t| t.1).sum();
            format!("{} other codes ({rest})", l.all.len() - MAX_SERIES)
        } else {
            format!("{code} ({})", l.all[i].1)
        };
        if !code.is_empty() {
            let _ = write!(h, "<a href=\"/errors#{}\">", esc(&pct(code)));
        }
        let _ = write!(
            h,
            "<g class=\"legend-item\" data-code=\"{}\"><rect x=\"{x}\" y=\"{y}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"#222\">",
            esc(code),
            x + 18,
            y + 10
        );
        esc_into(h, &text);
        h.push_str("</text></g>");
        if !code.is_empty() {
            h.push_str("</a>");
        }
    }
}

/// Grid lines and their labels, and the axis' title.
fn y_axis(h: &mut String, l: &Layout) {
    let mut v = 0;
    while v <= l.top {
        let y = l.plot_bottom - v * PLOT_H / l.top;
        let _ = write!(
            h,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#e3e3e3\"/>\
             <text class=\"ylabel\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{v}</text>",
            WIDTH - RIGHT,
            LEFT - 8,
            y + 4
        );
        v += l.step;
    }
    let _ = write!(
        h,
        "<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\" fill=\"#555\">errors per bucket</text>",
        l.plot_top + PLOT_H / 2,
        l.plot_top + PLOT_H / 2
    );
}

/// The bars, stacked bottom-up in legend order, each with its count and
/// time as a tooltip.
fn bars(h: &mut String, l: &Layout, axis: Axis) {
    for (slot, values) in l.stack.iter().enumerate() {
        let i = i64::try_from(slot).unwrap_or(0);
        let x0 = LEFT + i * l.plot_w / l.slots;
        let x1 = LEFT + (i + 1) * l.plot_w / l.slots;
        let gap = ((x1 - x0) / 6).min(6);
        let w = (x1 - x0 - gap).max(1);
        let bucket = axis.start_ms + i * axis.bucket_ms;
        let when = time_label(bucket, axis, true);
        let mut base = l.plot_bottom;
        let mut below = 0;
        for (s, &n) in values.iter().enumerate() {
            if n == 0 {
                continue;
            }
            below += n;
            let y_top = l.plot_bottom - (below * PLOT_H / l.top);
            let y = y_top.min(base - 1);
            let bar_h = base - y;
            let (code, color) = l.series_of(s);
            let _ = write!(
                h,
                "<rect class=\"bar\" data-code=\"{}\" data-count=\"{n}\" data-bucket=\"{bucket}\" \
                 x=\"{x0}\" y=\"{y}\" width=\"{w}\" height=\"{bar_h}\" fill=\"{color}\"><title>",
                esc(code),
            );
            esc_into(
                h,
                &format!(
                    "{}: {n} at {when}",
                    if code.is_empty() { "other codes" } else { code }
                ),
            );
            h.push_str("</title></rect>");
            base = y;
        }
    }
}

/// The baseline, about a dozen time labels, and the empty-chart note.
fn x_axis(h: &mut String, l: &Layout, axis: Axis) {
    let _ = write!(
        h,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#888\"/>",
        WIDTH - RIGHT,
        l.plot_bottom,
        l.plot_bottom
    );
    let every = axis.slots.div_ceil(12).max(1);
    for slot in (0..axis.slots).step_by(every) {
        let i = i64::try_from(slot).unwrap_or(0);
        let x = LEFT + i * l.plot_w / l.slots;
        let bucket = axis.start_ms + i * axis.bucket_ms;
        let text = time_label(bucket, axis, false);
        // About 7 px a character at 12 px: a label that would run past the
        // plot's right edge is left out.
        if x + i64::try_from(text.len()).unwrap_or(0) * 7 > WIDTH - RIGHT {
            continue;
        }
        let _ = write!(
            h,
            "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"#888\"/>\
             <text class=\"xlabel\" x=\"{x}\" y=\"{}\" fill=\"#555\">{}</text>",
            l.plot_bottom,
            l.plot_bottom + 5,
            l.plot_bottom + 18,
            esc(&text)
        );
    }
    let _ = write!(
        h,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">bucket start (UTC)</text>",
        WIDTH - RIGHT,
        l.plot_bottom + 34
    );
    if l.series == 0 {
        let _ = write!(
            h,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"16\" fill=\"#555\">No errors in this period</text>",
            LEFT + l.plot_w / 2,
            l.plot_top + PLOT_H / 2
        );
    }
}

/// A step of 1, 2 or 5 × 10ⁿ giving at most 5 intervals, and the axis top.
fn nice_scale(max: i64) -> (i64, i64) {
    if max <= 0 {
        return (1, 1);
    }
    let mut magnitude = 1i64;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            let intervals = (max + step - 1) / step;
            if intervals <= 5 {
                return (step, intervals * step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

fn time_label(ms: i64, axis: Axis, full: bool) -> String {
    let t = humantime::format_rfc3339_seconds(from_unix_ms(ms)).to_string();
    // 2026-11-22T15:00:00Z
    let date = t.get(5..10).unwrap_or("");
    let time = t.get(11..16).unwrap_or("");
    let span = axis
        .bucket_ms
        .saturating_mul(i64::try_from(axis.slots).unwrap_or(0));
    if full {
        format!("{} {time} UTC", t.get(0..10).unwrap_or(""))
    } else if axis.bucket_ms >= 86_400_000 {
        date.to_owned()
    } else if span > 86_400_000 {
        format!("{date} {time}")
    } else {
        time.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const T0: i64 = 1_795_000_000_000 / H * H;

    fn count(bucket: i64, code: &str, n: i64) -> Count {
        Count {
            bucket_ms: T0 + bucket * H,
            code: code.to_owned(),
            count: n,
        }
    }

    fn axis() -> Axis {
        Axis::covering(T0 + 10, T0 + 23 * H + 5, H)
    }

    use errcat_bench_support::chart::chart_bars as bars;

    #[test]
    fn axis_covers_the_range_aligned_like_the_store() {
        let a = axis();
        assert_eq!((a.start_ms, a.bucket_ms, a.slots), (T0, H, 24));
        assert_eq!(a.slot(T0 + 23 * H), Some(23));
        assert_eq!(a.slot(T0 + 24 * H), None);
        assert_eq!(a.slot(T0 - H), None);
    }

    #[test]
    fn no_codes_draws_axes_and_says_so() {
        let s = svg(&[], axis());
        assert!(s.starts_with("<svg class=\"chart\""), "{s}");
        assert!(s.ends_with("</svg>"));
        assert!(bars(&s).is_empty());
        assert!(!s.contains("legend-item"));
        assert!(s.contains(">No errors in this period</text>"));
        assert!(s.contains("class=\"xlabel\""));
        assert!(s.contains("class=\"ylabel\""));
    }

    #[test]
    fn one_code_is_one_series_scaled_to_the_axis() {
        let s = svg(
            &[count(0, "AUTH_FAILED", 2), count(5, "AUTH_FAILED", 4)],
            axis(),
        );
        assert_eq!(
            bars(&s),
            vec![
                ("AUTH_FAILED".to_owned(), 2, PLOT_H / 2),
                ("AUTH_FAILED".to_owned(), 4, PLOT_H),
            ]
        );
        assert_eq!(s.matches("class=\"legend-item\"").count(), 1);
        assert!(s.contains("<a href=\"/errors#AUTH_FAILED\">"));
        assert!(s.contains(">AUTH_FAILED (6)</text>"));
        assert!(!s.contains("No errors in this period</text>"));
        // y labels 0..4 step 1
        for v in 0..=4 {
            assert!(s.contains(&format!("fill=\"#555\">{v}</text>")), "{v}");
        }
    }

    #[test]
    fn many_codes_stack_and_fold_the_rest_into_other() {
        let mut counts = Vec::new();
        for i in 0..12 {
            counts.push(count(1, &format!("CODE_{i:02}"), 20 - i));
        }
        counts.push(count(3, "<b>\"x\"", 1));
        let s = svg(&counts, axis());
        let b = bars(&s);
        // 10 named series + "other" in bucket 1, one bar in bucket 3 (folded into other).
        assert_eq!(b.len(), 12, "{b:?}");
        assert_eq!(b[0].0, "CODE_00");
        assert_eq!(b[10], (String::new(), 10 + 9, b[10].2));
        assert_eq!(b[11].0, "");
        let stacked: i64 = b[..11].iter().map(|x| x.2).sum();
        let total: i64 = (0..12).map(|i| 20 - i).sum();
        let (_, top) = nice_scale(total);
        assert!((stacked - total * PLOT_H / top).abs() <= 1, "{stacked}");
        assert!(b.iter().all(|x| x.2 >= 1));
        assert_eq!(s.matches("class=\"legend-item\"").count(), MAX_SERIES + 1);
        assert!(s.contains(">3 other codes (20)</text>"), "{s}");
        assert!(!s.contains("<b>"));
    }

    #[test]
    fn x_labels_stay_inside_the_plot() {
        for a in [axis(), Axis::covering(T0, T0 + 7 * 24 * H, 6 * H)] {
            let s = svg(&[count(0, "A", 1)], a);
            let labels: Vec<(i64, usize)> = s
                .split("<text class=\"xlabel\" x=\"")
                .skip(1)
                .map(|t| {
                    let x = t[..t.find('"').unwrap()].parse().unwrap();
                    let text = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
                    (x, text.len())
                })
                .collect();
            assert!(labels.len() >= 4, "{labels:?}");
            for (x, len) in labels {
                assert!(
                    x + i64::try_from(len).unwrap() * 7 <= WIDTH - RIGHT,
                    "{x} {len}"
                );
            }
        }
    }

    #[test]
    fn nice_scales() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(1), (1, 1));
        assert_eq!(nice_scale(4), (1, 4));
        assert_eq!(nice_scale(7), (2, 8));
        assert_eq!(nice_scale(23), (5, 25));
        assert_eq!(nice_scale(1234), (500, 1500));
    }

    #[test]
    fn labels_follow_the_span() {
        let a = axis();
        assert_eq!(time_label(T0, a, false).len(), 5);
        let week = Axis::covering(T0, T0 + 7 * 24 * H, 6 * H);
        assert_eq!(time_label(T0, week, false).len(), 11);
        let month = Axis::covering(T0, T0 + 30 * 24 * H, 24 * H);
        assert_eq!(time_label(T0, month, false).len(), 5);
        assert!(time_label(T0, a, true).ends_with(" UTC"));
    }
}
