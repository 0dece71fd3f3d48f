//! `errcat lint`.

use std::io::Write;
use std::path::PathBuf;

use crate::{Outcome, UsageError, catalog_arg};

/// Output formats of `errcat lint`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
    /// rustc-style diagnostics with the source line.
    Human,
    /// A JSON array, one object per diagnostic (file, line, column, code, help).
    Json,
}

/// Arguments of `errcat lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The catalog file.
    #[arg(long, short, value_name = "FILE", default_value = catalog_arg::DEFAULT)]
    catalog: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Runs the lint; `color` says whether the diagnostics are colored.
pub(crate) fn run(args: &Args, color: bool, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let mut analysis = catalog_arg::analyze(Some(&args.catalog))?;
    // A lock beside the catalog: a code may never change its published meaning.
    let lock_path = args.catalog.with_file_name(errcat_docs::lock::FILE_NAME);
    if let Some(catalog) = &analysis.catalog
        && lock_path.exists()
    {
        let text = std::fs::read_to_string(&lock_path)?;
        let lock = errcat_docs::lock::Lock::parse(&text)
            .map_err(|e| UsageError(format!("{}: {e}", lock_path.display())))?;
        analysis
            .report
            .diagnostics
            .extend(lock.diagnostics(catalog));
    }
    let report = &analysis.report;
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &report.to_json())?;
            writeln!(out)?;
        }
        Format::Human => {
            let mut text = String::new();
            report.write_graphical(color, &mut text)?;
            out.write_all(text.as_bytes())?;
            let (errors, warnings) = report.counts();
            let n = report.source.name.as_str();
            match (errors, warnings) {
                (0, 0) => writeln!(
                    out,
                    "{n}: ok ({} errors defined)",
                    analysis.catalog.as_ref().map_or(0, |c| c.errors.len())
                )?,
                (e, w) => writeln!(
                    out,
                    "{n}: {}, {}",
                    errcat_docs::plural::count(e as u64, "error", "errors"),
                    errcat_docs::plural::count(w as u64, "warning", "warnings")
                )?,
            }
        }
    }
    Ok(if report.has_errors() {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
