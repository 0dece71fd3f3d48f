//! `errcat docs`: the error reference as a static site, Markdown, OpenAPI or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{Outcome, UsageError, catalog_arg};

/// Output formats of `errcat docs`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
    /// A self-contained static site: `index.html` (works offline, from file://).
    Html,
    /// Markdown: `errors.md`, or one file per category with `--split`.
    Markdown,
    /// OpenAPI 3.1 components: `openapi.json`.
    Openapi,
    /// The resolved catalog: `catalog.json`.
    Json,
}

/// Arguments of `errcat docs`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The catalog file (default `errors.toml`).
    #[arg(long, short, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// The directory to write to (created if missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "html")]
    format: Format,
    /// Markdown only: one file per category plus a README.md index.
    #[arg(long)]
    split: bool,
}

fn write_file(dir: &Path, name: &str, text: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

fn json_text(v: &serde_json::Value) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s)
}

pub(crate) fn run(args: &Args, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let catalog = catalog_arg::load(args.catalog.as_deref())?;
    if args.split && !matches!(args.format, Format::Markdown) {
        return Err(UsageError("--split only applies to --format markdown".into()).into());
    }
    let start = Instant::now();
    let files: Vec<(String, String)> = match args.format {
        Format::Html => vec![("index.html".into(), errcat_docs::site(&catalog))],
        Format::Markdown if args.split => errcat_docs::markdown_by_category(&catalog),
        Format::Markdown => vec![("errors.md".into(), errcat_docs::markdown(&catalog))],
        Format::Openapi => vec![(
            "openapi.json".into(),
            json_text(&errcat_docs::openapi(&catalog))?,
        )],
        Format::Json => vec![(
            "catalog.json".into(),
            json_text(&errcat_docs::export_json(&catalog))?,
        )],
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|e| UsageError(format!("cannot create {}: {e}", args.out.display())))?;
    for (name, text) in &files {
        let path = write_file(&args.out, name, text)?;
        writeln!(out, "wrote {} ({} bytes)", path.display(), text.len())?;
    }
    let public = errcat_docs::public_errors(&catalog).count();
    let noun = if public == 1 { "error" } else { "errors" };
    writeln!(
        out,
        "{public} public {noun} in {} ms",
        start.elapsed().as_millis()
    )?;
    Ok(Outcome::Ok)
}
