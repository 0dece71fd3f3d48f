//! Finding and loading the catalog a command works on.

use std::path::{Path, PathBuf};

use errcat_catalog::{Analysis, Catalog};
use errcat_render::Renderer;

use crate::UsageError;

/// The default catalog file.
pub(crate) const DEFAULT: &str = "errors.toml";

/// Reads the catalog at `path` (or `errors.toml`), reporting I/O problems as
/// usage errors that name the fix.
pub(crate) fn analyze(path: Option<&Path>) -> anyhow::Result<Analysis> {
    let path = path.map_or_else(|| PathBuf::from(DEFAULT), Path::to_path_buf);
    Catalog::analyze_path(&path).map_err(|e| match e {
        errcat_catalog::LoadError::Io { path, source }
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            UsageError(format!(
                "cannot read {path}: no such file (create it, or pass --catalog FILE)"
            ))
            .into()
        }
        other => anyhow::Error::new(other),
    })
}

/// Loads a catalog for commands that need a valid one. Without `--catalog`
/// and without `errors.toml`, errcat's standard catalog is used.
pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Catalog> {
    if path.is_none() && !Path::new(DEFAULT).exists() {
        eprintln!("errcat: note: no {DEFAULT} here; using errcat's standard catalog");
        return Catalog::from_str("[api]\nname = \"API\"\n", "standard")
            .map_err(|r| anyhow::anyhow!("{r}"));
    }
    let analysis = analyze(path)?;
    match analysis.catalog {
        Some(c) => Ok(c),
        None => {
            let (errors, _) = analysis.report.counts();
            Err(UsageError(format!(
                "{} has {}; run `errcat lint --catalog {}` to see them",
                analysis.report.source.name,
                errcat_docs::plural::count(errors as u64, "error", "errors"),
                analysis.report.source.name
            ))
            .into())
        }
    }
}

/// The error with `code`: exact, then by numeric code, then ignoring case.
pub(crate) fn find<'c>(
    catalog: &'c Catalog,
    code: &str,
) -> anyhow::Result<&'c errcat_catalog::ErrorDef> {
    if let Some(e) = catalog.get(code) {
        return Ok(e);
    }
    if let Ok(n) = code.parse::<i64>()
        && let Some(e) = catalog.errors.iter().find(|e| e.numeric_code == Some(n))
    {
        return Ok(e);
    }
    if let Some(e) = catalog
        .errors
        .iter()
        .find(|e| e.code.eq_ignore_ascii_case(code))
    {
        return Ok(e);
    }
    let best = catalog
        .errors
        .iter()
        .map(|e| (strsim_score(code, &e.code), e.code.as_str()))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(s, _)| *s > 0.7)
        .map(|(_, c)| c);
    Err(UsageError(match best {
        Some(c) => format!("no error `{code}` in the catalog; did you mean `{c}`?"),
        None => format!("no error `{code}` in the catalog; `errcat docs` lists them all"),
    })
    .into())
}

/// A renderer for `catalog`, checking that it has the envelope `--envelope`
/// names.
pub(crate) fn renderer(catalog: Catalog, envelope: Option<&str>) -> Result<Renderer, UsageError> {
    let renderer = Renderer::new(catalog);
    match envelope {
        Some(env) if !renderer.has_envelope(env) => Err(UsageError(format!(
            "unknown envelope `{env}`: use problem, google, or one the catalog declares"
        ))),
        _ => Ok(renderer),
    }
}

fn strsim_score(a: &str, b: &str) -> f64 {
    // Compared upper-cased, so `not_fund` finds `NOT_FOUND`.
    strsim::jaro_winkler(&a.to_ascii_uppercase(), &b.to_ascii_uppercase())
}
