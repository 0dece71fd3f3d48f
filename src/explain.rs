//! `errcat explain`: a terminal page for one error, like `rustc --explain`.

use std::io::Write;
use std::path::PathBuf;

use errcat_catalog::{Catalog, ErrorDef};
use errcat_render::{RenderOptions, Renderer, example_error, reason_phrase};

use crate::{Outcome, catalog_arg};

/// Arguments of `errcat explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The error's code (or numeric code).
    #[arg(required_unless_present = "standard")]
    code: Option<String>,
    /// The catalog file (default `errors.toml`, else errcat's standard catalog).
    #[arg(long, short, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// List the standard errors and the codes this catalog gives them.
    #[arg(long, conflicts_with = "code")]
    standard: bool,
    /// The envelope of the example response.
    #[arg(long, value_name = "NAME")]
    envelope: Option<String>,
}

pub(crate) fn run(args: &Args, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let catalog = catalog_arg::load(args.catalog.as_deref())?;
    if args.standard {
        return standard_table(&catalog, out);
    }
    let code = args.code.as_deref().unwrap_or_default();
    let def = catalog_arg::find(&catalog, code)?.clone();
    let renderer = catalog_arg::renderer(catalog, args.envelope.as_deref())?;
    page(&renderer, &def, args.envelope.as_deref(), out)?;
    Ok(Outcome::Ok)
}

fn standard_table(catalog: &Catalog, out: &mut impl Write) -> anyhow::Result<Outcome> {
    writeln!(
        out,
        "{:<26} {:<34} {:>6}  category",
        "standard role", "code in this catalog", "status"
    )?;
    for role in errcat_catalog::standard_roles() {
        if let Some(e) = catalog.standard(&role) {
            let status = e.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
            writeln!(out, "{role:<26} {:<34} {status:>6}  {}", e.code, e.category)?;
        }
    }
    Ok(Outcome::Ok)
}

/// The page of one error: its facts, its docs, and an example response.
fn page(
    renderer: &Renderer,
    def: &ErrorDef,
    envelope: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let catalog = renderer.catalog();
    facts(catalog, def, out)?;
    docs(catalog, def, out)?;
    if def.status.is_some() {
        example_response(renderer, def, envelope, out)?;
    }
    Ok(())
}

/// The header line and the table: status, category, message, parameters,
/// roles, versions.
fn facts(catalog: &Catalog, def: &ErrorDef, out: &mut impl Write) -> anyhow::Result<()> {
    let numeric = def
        .numeric_code
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    writeln!(out, "{}{numeric}: {}", def.code, def.title)?;
    writeln!(out)?;
    match def.status {
        Some(s) => writeln!(out, "  status      {s} {}", reason_phrase(s))?,
        None => writeln!(
            out,
            "  status      none: documented, never sent by the server"
        )?,
    }
    let cat_desc = catalog
        .category(&def.category)
        .map(|c| c.description.as_str())
        .unwrap_or_default();
    writeln!(out, "  category    {} — {cat_desc}", def.category)?;
    writeln!(out, "  message     {}", def.message.raw)?;
    for p in &def.params {
        let desc = p
            .description
            .as_deref()
            .map(|d| format!(" — {d}"))
            .unwrap_or_default();
        writeln!(out, "  param       {}: {}{desc}", p.name, p.ty.as_str())?;
    }
    if !def.standard.is_empty() {
        writeln!(out, "  standard    {}", def.standard.join(", "))?;
    }
    if let Some(v) = &def.since {
        writeln!(out, "  since       {v}")?;
    }
    if let Some(v) = &def.deprecated {
        let v = if v.is_empty() { "yes" } else { v };
        writeln!(out, "  deprecated  {v}")?;
    }
    if let Some(v) = &def.replaced_by {
        writeln!(out, "  replaced by {v}")?;
    }
    Ok(())
}

/// The description, causes, resolution, retry advice and links.
fn docs(catalog: &Catalog, def: &ErrorDef, out: &mut impl Write) -> anyhow::Result<()> {
    if let Some(d) = &def.description {
        writeln!(out)?;
        for line in d.trim().lines() {
            writeln!(out, "{line}")?;
        }
    }
    if !def.causes.is_empty() {
        writeln!(out, "\nCauses:")?;
        for c in &def.causes {
            writeln!(out, "  - {c}")?;
        }
    }
    if !def.resolution.is_empty() {
        writeln!(out, "\nResolution:")?;
        for (i, r) in def.resolution.iter().enumerate() {
            writeln!(out, "  {}. {r}", i + 1)?;
        }
    }
    if def.retryable || def.retry_after.is_some() || def.retry_advice.is_some() {
        writeln!(out, "\nRetry:")?;
        let when = def
            .retry_after
            .map(|s| format!(", after {s} s"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}{when}",
            if def.retryable {
                "retryable"
            } else {
                "not retryable"
            }
        )?;
        if let Some(a) = &def.retry_advice {
            writeln!(out, "  {a}")?;
        }
    }
    if !def.links.is_empty() || catalog.doc_url(&def.code).is_some() {
        writeln!(out, "\nSee also:")?;
        if let Some(url) = catalog.doc_url(&def.code) {
            writeln!(out, "  {url}")?;
        }
        for l in &def.links {
            writeln!(out, "  {}: {}", l.title, l.url)?;
        }
    }
    Ok(())
}

/// The response the server sends for the error with example values.
fn example_response(
    renderer: &Renderer,
    def: &ErrorDef,
    envelope: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let rendered = renderer.render(
        &example_error(def),
        &RenderOptions {
            envelope,
            error_id: Some("<error-id>"),
            request_id: Some("<request-id>"),
            ..RenderOptions::default()
        },
    );
    writeln!(out, "\nExample response:")?;
    writeln!(
        out,
        "  HTTP/1.1 {} {}",
        rendered.status,
        reason_phrase(rendered.status)
    )?;
    writeln!(out, "  content-type: {}", rendered.content_type)?;
    for (n, v) in &rendered.headers {
        writeln!(out, "  {}: {v}", n.to_ascii_lowercase())?;
    }
    writeln!(out)?;
    let value: serde_json::Value = serde_json::from_slice(&rendered.body)?;
    for line in serde_json::to_string_pretty(&value)?.lines() {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}
