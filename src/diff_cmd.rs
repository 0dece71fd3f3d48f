//! `errcat diff` (what changed between two catalogs, and whether it breaks
//! clients) and `errcat lock` (the append-only `errors.lock`).

use std::io::Write;
use std::path::{Path, PathBuf};

use errcat_docs::lock::{FILE_NAME, Lock};

use crate::{Outcome, UsageError, catalog_arg};

/// Output formats of `errcat diff`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
    /// One line per change, breaking ones first.
    Human,
    /// A JSON object with every change and its impact.
    Json,
    /// A changelog section.
    Markdown,
}

/// Arguments of `errcat diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The published catalog.
    old: PathBuf,
    /// The new catalog.
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Exit 0 even when changes break clients.
    #[arg(long)]
    allow_breaking: bool,
    /// The lock file to check NEW against (default: `errors.lock` beside NEW, if any).
    #[arg(long, value_name = "FILE")]
    lock: Option<PathBuf>,
}

/// Arguments of `errcat lock`.
#[derive(Debug, clap::Args)]
pub(crate) struct LockArgs {
    /// The catalog file.
    #[arg(long, short, value_name = "FILE", default_value = catalog_arg::DEFAULT)]
    catalog: PathBuf,
    /// The lock file (default: `errors.lock` beside the catalog).
    #[arg(long, value_name = "FILE")]
    lock: Option<PathBuf>,
    /// Only check: exit 1 if the lock is out of date or the catalog breaks it.
    #[arg(long)]
    check: bool,
}

fn beside(catalog: &Path) -> PathBuf {
    catalog
        .parent()
        .map_or_else(|| PathBuf::from(FILE_NAME), |d| d.join(FILE_NAME))
}

/// Reads a lock file; `None` if it does not exist.
fn read_lock(path: &Path) -> anyhow::Result<Option<Lock>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Lock::parse(&text)
            .map(Some)
            .map_err(|e| UsageError(format!("{}: {e}", path.display())).into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(UsageError(format!("cannot read {}: {e}", path.display())).into()),
    }
}

pub(crate) fn diff(args: &DiffArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let old = catalog_arg::load(Some(&args.old))?;
    let new = catalog_arg::load(Some(&args.new))?;
    let mut d = errcat_docs::diff::diff(&old, &new).map_err(|e| UsageError(e.to_string()))?;
    let lock_path = args.lock.clone().unwrap_or_else(|| beside(&args.new));
    match read_lock(&lock_path)? {
        Some(lock) => d.check_lock(&lock, &new),
        None if args.lock.is_some() => {
            return Err(
                UsageError(format!("cannot read {}: no such file", lock_path.display())).into(),
            );
        }
        None => {}
    }
    match args.format {
        Format::Human => write!(out, "{}", d.human())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &d.to_json())?;
            writeln!(out)?;
        }
        Format::Markdown => {
            let name = &new.api.name;
            let heading = match (&old.api.version, &new.api.version) {
                (Some(a), Some(b)) if a != b => format!("{name} errors: {a} → {b}"),
                (_, Some(b)) => format!("{name} errors: {b}"),
                _ => format!("{name} errors"),
            };
            write!(out, "{}", d.markdown(&heading))?;
        }
    }
    if d.is_breaking() && !args.allow_breaking {
        eprintln!("errcat: breaking changes (pass --allow-breaking to accept them)");
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Ok)
}

pub(crate) fn lock(args: &LockArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let catalog = catalog_arg::load(Some(&args.catalog))?;
    let path = args.lock.clone().unwrap_or_else(|| beside(&args.catalog));
    let current = read_lock(&path)?;
    let existed = current.is_some();
    let current = current.unwrap_or_default();
    let (next, summary) = match current.update(&catalog) {
        Ok(r) => r,
        Err(violations) => {
            for v in &violations {
                writeln!(out, "error: {v}")?;
            }
            writeln!(
                out,
                "{}: {} conflict with {}",
                args.catalog.display(),
                errcat_docs::plural::count(violations.len() as u64, "code", "codes"),
                path.display()
            )?;
            return Ok(Outcome::Failed);
        }
    };
    for c in &summary.added {
        writeln!(out, "added     {c}")?;
    }
    for c in &summary.retired {
        writeln!(out, "retired   {c}")?;
    }
    for c in &summary.reinstated {
        writeln!(out, "reinstated {c}")?;
    }
    if summary.is_empty() && existed {
        writeln!(
            out,
            "{}: up to date ({} codes)",
            path.display(),
            next.entries.len()
        )?;
        return Ok(Outcome::Ok);
    }
    if args.check {
        writeln!(
            out,
            "{}: out of date; run `errcat lock --catalog {}`",
            path.display(),
            args.catalog.display()
        )?;
        return Ok(Outcome::Failed);
    }
    std::fs::write(&path, next.to_text())
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    writeln!(
        out,
        "wrote {} ({} codes)",
        path.display(),
        next.entries.len()
    )?;
    Ok(Outcome::Ok)
}
