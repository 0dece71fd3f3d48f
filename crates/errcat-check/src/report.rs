//! The report: one row per probe, as a table or JSON.

use std::io::Write;
use std::time::Duration;

use reqwest::Url;
use serde_json::{Value, json};

use crate::{CheckError, Options, OutputFormat};

/// How a probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Ok,
    Fail,
    Skip,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) probe: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) status: Option<u16>,
    pub(crate) code: Option<String>,
    pub(crate) verdict: Verdict,
    /// The violations (empty when ok).
    pub(crate) reasons: Vec<String>,
    /// What the probe sent or why it was skipped.
    pub(crate) note: Option<String>,
    /// The usual request id header was missing.
    pub(crate) missing_request_id: bool,
}

impl Row {
    pub(crate) fn skip(probe: &str, note: &str) -> Self {
        Row {
            probe: probe.to_owned(),
            method: "-".to_owned(),
            path: "-".to_owned(),
            status: None,
            code: None,
            missing_request_id: false,
            verdict: Verdict::Skip,
            reasons: Vec::new(),
            note: Some(note.to_owned()),
        }
    }
}

pub(crate) fn internal_row(e: &tokio::task::JoinError) -> Row {
    Row {
        probe: "internal".to_owned(),
        method: "-".to_owned(),
        path: "-".to_owned(),
        status: None,
        code: None,
        verdict: Verdict::Fail,
        reasons: vec![format!("errcat check failed internally: {e}")],
        note: None,
        missing_request_id: false,
    }
}

pub(crate) fn report(
    args: &Options,
    base: &Url,
    catalog: &str,
    warnings: &[String],
    rows: &[Row],
    elapsed: Duration,
    out: &mut dyn Write,
) -> Result<(), CheckError> {
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let (ok, failed, skipped) = (
        count(Verdict::Ok),
        count(Verdict::Fail),
        count(Verdict::Skip),
    );
    let secs = elapsed.as_secs_f64();
    if args.format == OutputFormat::Json {
        let probes: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "probe": r.probe,
                    "method": r.method,
                    "path": r.path,
                    "status": r.status,
                    "code": r.code,
                    "verdict": match r.verdict { Verdict::Ok => "ok", Verdict::Fail => "fail", Verdict::Skip => "skip" },
                    "reasons": r.reasons,
                    "note": r.note,
                })
            })
            .collect();
        let doc = json!({
            "url": base.as_str(),
            "catalog": catalog,
            "warnings": warnings,
            "passed": failed == 0,
            "summary": {"probes": rows.len(), "ok": ok, "failed": failed, "skipped": skipped, "seconds": (secs * 1000.0).round() / 1000.0},
            "probes": probes,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    write_table(catalog, rows, out)?;
    for w in warnings {
        writeln!(out, "\nwarning: {w}")?;
    }
    writeln!(
        out,
        "\n{} probes of {base}: {ok} ok, {failed} failed, {skipped} skipped in {secs:.2} s",
        rows.len()
    )?;
    Ok(())
}

/// The probes as a table: a column for each field, the reason last.
fn write_table(catalog: &str, rows: &[Row], out: &mut dyn Write) -> Result<(), CheckError> {
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            // A failing row says what was sent too.
            let reason = match (r.reasons.is_empty(), &r.note) {
                (true, note) => note.clone().unwrap_or_default(),
                (false, Some(note)) => format!("{} (sent: {note})", r.reasons.join("; ")),
                (false, None) => r.reasons.join("; "),
            };
            [
                r.probe.clone(),
                r.method.clone(),
                r.path.clone(),
                r.status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                r.code.clone().unwrap_or_else(|| "-".to_owned()),
                r.verdict.as_str().to_owned(),
                reason,
            ]
        })
        .collect();
    let header = [
        "PROBE", "METHOD", "PATH", "STATUS", "CODE", "VERDICT", "REASON",
    ]
    .map(str::to_owned);
    writeln!(out, "catalog: {catalog}")?;
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&cells) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&cells) {
        let mut line = String::new();
        for (w, c) in widths.iter().zip(row) {
            line.push_str(&format!("{c:<w$}  "));
        }
        line.push_str(&row[6]);
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
