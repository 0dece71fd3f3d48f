//! `errcat check`: the conformance probe ([`errcat_check`]) on the command line.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Outcome, UsageError, catalog_arg};

/// Arguments of `errcat check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The catalog the API speaks [default: errors.toml, else the standard catalog].
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    #[command(flatten)]
    options: errcat_check::Options,
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let catalog = catalog_arg::load(args.catalog.as_deref())?;
    let label = match &args.catalog {
        Some(p) => p.display().to_string(),
        None if Path::new(catalog_arg::DEFAULT).exists() => format!(
            "{} (found in the current directory; pass --catalog to choose)",
            catalog_arg::DEFAULT
        ),
        None => format!(
            "errcat's standard catalog (no {} here; pass --catalog)",
            catalog_arg::DEFAULT
        ),
    };
    if args.options.insecure {
        eprintln!(
            "errcat: WARNING: --insecure: TLS certificates are NOT verified; anyone between you and \
             the API can answer in its place. Trust its CA with --cacert FILE instead."
        );
    }
    match errcat_check::run(&args.options, catalog, &label, out) {
        Ok(true) => Ok(Outcome::Ok),
        Ok(false) => Ok(Outcome::Failed),
        Err(errcat_check::CheckError::Usage(m)) => Err(UsageError(m).into()),
        Err(e) => Err(e.into()),
    }
}
