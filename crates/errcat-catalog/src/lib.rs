//! The errcat catalog: every error an HTTP API can return, declared once in
//! `errors.toml`.
//!
//! This crate reads a catalog (TOML, or JSON), merges it with errcat's
//! [standard catalog](STANDARD_TOML), and checks it, reporting each problem as
//! a [`Diagnostic`] with its file, line and column. Everything else in errcat
//! (response rendering, the boundary layer, docs, the client) reads the
//! resolved [`Catalog`]. It has no HTTP, database or async dependency.
//!
//! ```
//! use errcat_catalog::Catalog;
//!
//! let catalog = Catalog::from_str(r#"
//! [api]
//! name = "DUAL"
//!
//! [[errors]]
//! code = "TEMPLATE_NOT_FOUND"
//! numeric_code = 4041
//! status = 404
//! message = "Template {template_id} not found"
//! params = { template_id = "string" }
//! "#, "errors.toml")?;
//!
//! let e = catalog.get("TEMPLATE_NOT_FOUND").unwrap();
//! assert_eq!(e.status, Some(404));
//! assert_eq!(e.category, "NOT_FOUND"); // derived from the status
//! // The standard errors are there too, ready for framework errors.
//! assert_eq!(catalog.standard("invalid_json").unwrap().code, "INVALID_JSON");
//! # Ok::<(), errcat_catalog::Report>(())
//! ```
//!
//! The format is described in `docs/catalog.md`.
//!
//! | feature | what it adds |
//! |---|---|
//! | `graphical` | [`Report::write_graphical`]: diagnostics drawn with their source lines, as `errcat lint` prints them. |

#![cfg_attr(docsrs, feature(doc_cfg))]

mod decode;
mod decode_error;
mod decode_template;
mod diagnostic;
mod docs;
mod lint;
mod model;
mod node;
mod raw;
mod resolve;
#[cfg(test)]
mod schema_sync;
mod style;
pub mod template;
mod toml_events;

use std::path::Path;

pub use diagnostic::{Diagnostic, Located, Report, Severity, Source};
pub use docs::{BUILTIN_SECTIONS, Docs, Overview};
pub use model::{
    Api, Catalog, Category, EnvelopeDef, ErrorDef, ErrorSpans, Example, FieldViolation, Guide,
    IdScheme, Link, Message, Origin, Param, ParamType, Retain, Segment, StatusRange, Translation,
    Visibility,
};
pub use resolve::{STANDARD_TOML, standard_roles};

/// The largest catalog file errcat reads, in bytes.
pub const MAX_CATALOG_BYTES: usize = 32 * 1024 * 1024;

/// The result of reading a catalog: the catalog if it has no errors, and
/// every diagnostic.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The resolved catalog, `None` when any diagnostic is an error.
    pub catalog: Option<Catalog>,
    /// When the catalog has errors: the catalog as far as it could be read,
    /// for tools that keep going (the `catalog!` macro emits stubs from it so
    /// that one catalog error does not cascade into many compile errors).
    pub best_effort: Option<Catalog>,
    /// Errors and warnings.
    pub report: Report,
}

/// Why a catalog file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The catalog has errors.
    #[error("{} has {} {}", .0.source.name, .0.counts().0, if .0.counts().0 == 1 { "error" } else { "errors" })]
    Invalid(Report),
}

impl Catalog {
    /// Reads, resolves and checks a catalog text. `name` is the file name
    /// shown in diagnostics; a name ending in `.json` (or a text starting with
    /// `{`) is read as JSON, anything else as TOML.
    pub fn analyze(source: Source) -> Analysis {
        let mut diags = Vec::new();
        let locate = |offset| source.location(offset);
        let catalog = analyze_into(&source.name, &source.text, Checks::All, &locate, &mut diags);
        diags.sort_by(|a, b| {
            b.severity.cmp(&a.severity).then_with(|| {
                a.span
                    .as_ref()
                    .map(|s| s.start)
                    .cmp(&b.span.as_ref().map(|s| s.start))
            })
        });
        let has_errors = diags.iter().any(|d| d.severity == Severity::Error);
        let (catalog, best_effort) = if has_errors {
            (None, catalog)
        } else {
            (catalog, None)
        };
        Analysis {
            catalog,
            best_effort,
            report: Report {
                source,
                diagnostics: diags,
            },
        }
    }

    /// Reads a catalog text; fails with the report if it has errors.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, name: &str) -> Result<Catalog, Report> {
        // Loading needs only the errors: the checks that can only warn are
        // skipped, and no `Source` (a copy of the text, with its line
        // index) is made. A catalog with errors is read again by `analyze`,
        // so that its report is the whole one, warnings included.
        let mut diags = Vec::new();
        let locate = |offset| Source::locate(name, text, offset);
        let catalog = analyze_into(name, text, Checks::Errors, &locate, &mut diags);
        if let Some(catalog) = catalog
            && !diags.iter().any(|d| d.severity == Severity::Error)
        {
            return Ok(catalog);
        }
        let analysis = Catalog::analyze(Source::new(name, text));
        analysis.catalog.ok_or(analysis.report)
    }

    /// All diagnostics of a catalog text, warnings included.
    pub fn lint_str(text: &str, name: &str) -> Report {
        Catalog::analyze(Source::new(name, text)).report
    }

    /// Reads a catalog file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Catalog, LoadError> {
        let (bytes, name) = match read_catalog(path.as_ref())? {
            Ok(read) => read,
            Err(analysis) => return Err(LoadError::Invalid(analysis.report)),
        };
        match std::str::from_utf8(&bytes) {
            Ok(text) => Catalog::from_str(text, &name).map_err(LoadError::Invalid),
            Err(_) => Err(LoadError::Invalid(
                Catalog::analyze_bytes(&bytes, &name).report,
            )),
        }
    }

    /// Reads and checks a catalog file. Only I/O problems are `Err`; a file
    /// that is too large or not UTF-8 gives a report with that diagnostic.
    pub fn analyze_path(path: impl AsRef<Path>) -> Result<Analysis, LoadError> {
        Ok(match read_catalog(path.as_ref())? {
            Ok((bytes, name)) => Catalog::analyze_bytes(&bytes, &name),
            Err(analysis) => analysis,
        })
    }

    /// Reads and checks catalog bytes, reporting text that is not UTF-8.
    pub fn analyze_bytes(bytes: &[u8], name: &str) -> Analysis {
        match std::str::from_utf8(bytes) {
            Ok(text) => Catalog::analyze(Source::new(name, text)),
            Err(e) => {
                let valid = e.valid_up_to();
                let text = String::from_utf8_lossy(bytes).into_owned();
                // Offsets in the lossy text match up to the first bad byte.
                let d = Diagnostic::error(
                    "not-utf8",
                    format!("the catalog is not valid UTF-8 (byte {valid})"),
                )
                .at(Some(valid..valid + 1))
                .help("save the file as UTF-8");
                single(Source::new(name, text), d)
            }
        }
    }
}

/// The bytes of a catalog file and its name for diagnostics, or the
/// analysis of a file too large to read.
#[allow(clippy::type_complexity)]
fn read_catalog(path: &Path) -> Result<Result<(Vec<u8>, String), Analysis>, LoadError> {
    let name = path.display().to_string();
    let io = |source| LoadError::Io {
        path: name.clone(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_CATALOG_BYTES as u64 {
        let d = Diagnostic::error(
            "too-large",
            format!(
                "the catalog is {len} bytes; errcat reads catalogs up to {MAX_CATALOG_BYTES} bytes"
            ),
        )
        .help("split guide text into separate files, or check that this is the right file");
        return Ok(Err(single(Source::new(name, ""), d)));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    Ok(Ok((bytes, name)))
}

fn single(source: Source, d: Diagnostic) -> Analysis {
    Analysis {
        catalog: None,
        best_effort: None,
        report: Report {
            source,
            diagnostics: vec![d],
        },
    }
}

/// Which checks [`analyze_into`] runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checks {
    /// Every check: errors and warnings.
    All,
    /// Only the checks that can find errors (loading).
    Errors,
}

/// Reads, resolves and checks `text`; `locate` names a byte offset as
/// `file:line:col` for diagnostics that point at a second place.
fn analyze_into(
    name: &str,
    text: &str,
    checks: Checks,
    locate: &dyn Fn(usize) -> String,
    diags: &mut Vec<Diagnostic>,
) -> Option<Catalog> {
    let is_json = name.ends_with(".json") || text.trim_start().starts_with('{');
    let parsed = if is_json {
        node::parse_json(text)
    } else {
        node::parse_toml(text)
    };
    let root = match parsed {
        Ok(root) => root,
        Err(e) => {
            let what = if is_json { "JSON" } else { "TOML" };
            diags.push(
                Diagnostic::error("syntax", format!("invalid {what}: {}", e.message))
                    .at(Some(e.span))
                    .label("here"),
            );
            return None;
        }
    };
    let mut decoder = decode::Decoder::new(text);
    let raw = decoder.document(&root);
    diags.append(&mut decoder.diags);
    let resolved = resolve::resolve(raw, diags);
    lint::check(
        &resolved.catalog,
        &resolved.guide_categories,
        checks,
        locate,
        diags,
    );
    Some(resolved.catalog)
}

#[cfg(test)]
mod tests;
