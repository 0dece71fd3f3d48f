//! The reference as Markdown.

use std::fmt::Write as _;

use errcat_catalog::{Catalog, Category, ErrorDef, Guide};
use errcat_render::reason_phrase;

use crate::example::Examples;
use crate::md_to_html::safe_url;

/// Escapes text that is not Markdown (codes, titles, messages) so that it
/// reads as itself: Markdown punctuation and HTML are backslash-escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '&'
        ) {
            out.push('\\');
        }
        if c == '\n' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Catalog Markdown, with raw HTML neutralized and unsafe links dropped so
/// that a Markdown viewer cannot run it.
fn prose(s: &str) -> String {
    crate::md_to_html::safe_markdown(s)
}

fn code_span(s: &str) -> String {
    let fence = if s.contains('`') { "`` " } else { "`" };
    let close = if s.contains('`') { " ``" } else { "`" };
    format!("{fence}{s}{close}")
}

/// The whole reference as one Markdown document.
pub fn markdown(catalog: &Catalog) -> String {
    let examples = Examples::new(catalog);
    let (head, tail) = crate::loose_guides(catalog);
    let mut m = format!("# {}: error reference\n\n", text(&catalog.api.name));
    if let Some(v) = &catalog.api.version {
        let _ = writeln!(m, "API version {}.\n", text(v));
    }
    for g in head {
        guide(&mut m, g, "##");
    }
    let sections = crate::sections(catalog);
    if sections.len() > 1 {
        m.push_str("## Contents\n\n");
        for (c, errs) in &sections {
            let _ = writeln!(
                m,
                "- [{}](#{}) ({})",
                text(&c.name),
                slug(&c.name),
                errs.len()
            );
        }
        m.push('\n');
    }
    for (c, errs) in &sections {
        category(&mut m, catalog, &examples, c, errs, "##");
    }
    for g in tail {
        guide(&mut m, g, "##");
    }
    m
}

/// The reference as one Markdown file per category (`CATEGORY.md`) plus a
/// `README.md` index with the guides that belong to no category.
pub fn markdown_by_category(catalog: &Catalog) -> Vec<(String, String)> {
    let examples = Examples::new(catalog);
    let (head, tail) = crate::loose_guides(catalog);
    let sections = crate::sections(catalog);
    let mut index = format!("# {}: error reference\n\n", text(&catalog.api.name));
    for g in head {
        guide(&mut index, g, "##");
    }
    index.push_str("## Categories\n\n");
    let mut files = Vec::new();
    for (c, errs) in &sections {
        let file = format!("{}.md", c.name);
        let _ = writeln!(
            index,
            "- [{}]({file}): {} ({})",
            text(&c.name),
            prose(&c.description),
            crate::plural::count_s(errs.len() as u64, "error")
        );
        let mut m = String::new();
        category(&mut m, catalog, &examples, c, errs, "#");
        files.push((file, m));
    }
    index.push('\n');
    for g in tail {
        guide(&mut index, g, "##");
    }
    files.insert(0, ("README.md".to_owned(), index));
    files
}

fn slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_ascii_lowercase())
            } else if c == ' ' {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// A guide's heading and text; none for a guide without text (such as one
/// that only names a section of the HTML site, `id = "overview"`).
fn guide(m: &mut String, g: &Guide, level: &str) {
    if g.body.trim().is_empty() {
        return;
    }
    let _ = writeln!(
        m,
        "{level} {}\n\n{}\n",
        text(&g.title),
        prose(g.body.trim())
    );
}

fn category(
    m: &mut String,
    catalog: &Catalog,
    examples: &Examples,
    c: &Category,
    errs: &[&ErrorDef],
    level: &str,
) {
    let _ = writeln!(m, "{level} {}\n", text(&c.name));
    if !c.description.is_empty() {
        let _ = writeln!(m, "{}\n", prose(&c.description));
    }
    for g in catalog
        .guides
        .iter()
        .filter(|g| g.category.as_deref() == Some(c.name.as_str()))
    {
        guide(m, g, &format!("{level}#"));
    }
    for e in errs {
        error(m, examples, e, &format!("{level}#"));
    }
}

fn error(m: &mut String, examples: &Examples, e: &ErrorDef, level: &str) {
    let _ = write!(m, "{level} {}", code_span(&e.code));
    if let Some(n) = e.numeric_code {
        let _ = write!(m, " ({n})");
    }
    m.push_str("\n\n");
    let _ = writeln!(m, "{}\n", facts(examples, e).join(" · "));
    let _ = writeln!(m, "**{}**\n", text(&e.title));
    if !e.message.raw.is_empty() && e.message.raw != e.title {
        let _ = writeln!(m, "Message: {}\n", code_span(&e.message.raw));
    }
    if let Some(d) = &e.description {
        let _ = writeln!(m, "{}\n", prose(d.trim()));
    }
    if !e.params.is_empty() {
        m.push_str("Parameters:\n\n");
        for p in &e.params {
            let _ = write!(m, "- {} ({})", code_span(&p.name), p.ty.as_str());
            if let Some(d) = &p.description {
                let _ = write!(m, ": {}", prose(d));
            }
            m.push('\n');
        }
        m.push('\n');
    }
    guidance(m, e);
    if let Some(ex) = examples.of(e) {
        let body = ex.http_text();
        // A fence longer than any run of backticks in the body.
        let mut run = 0;
        let mut longest = 0;
        for c in body.chars() {
            run = if c == '`' { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        let fence = "`".repeat(longest.max(2) + 1);
        let _ = writeln!(m, "Example response:\n\n{fence}http\n{body}\n{fence}\n");
    }
}

/// The line of facts under an error's heading: status, category, versions,
/// replacement, whether to retry.
fn facts(examples: &Examples, e: &ErrorDef) -> Vec<String> {
    let mut status = e.status.map_or_else(
        || "not sent by the API".to_owned(),
        |s| format!("{s} {}", reason_phrase(s)),
    );
    // An envelope that sends every error with one status (200).
    if let Some(ex) = examples.of(e)
        && Some(ex.status) != e.status
    {
        let _ = write!(status, " (sent with HTTP {})", ex.status);
    }
    let mut facts = vec![
        format!("**Status:** {status}"),
        format!("**Category:** {}", text(&e.category)),
    ];
    if let Some(v) = &e.since {
        facts.push(format!("**Since:** {}", text(v)));
    }
    if let Some(v) = &e.deprecated {
        facts.push(if v.is_empty() {
            "**Deprecated**".to_owned()
        } else {
            format!("**Deprecated in:** {}", text(v))
        });
    }
    if let Some(r) = &e.replaced_by {
        facts.push(format!("**Replaced by:** {}", code_span(r)));
    }
    if e.retryable {
        facts.push("**Retryable**".to_owned());
    }
    facts
}

/// What the reader does about an error: causes, resolution, retry advice,
/// links (only safe URLs become links).
fn guidance(m: &mut String, e: &ErrorDef) {
    if !e.causes.is_empty() {
        m.push_str("Possible causes:\n\n");
        for c in &e.causes {
            let _ = writeln!(m, "- {}", prose(c));
        }
        m.push('\n');
    }
    if !e.resolution.is_empty() {
        m.push_str("Resolution:\n\n");
        if e.resolution.len() == 1 {
            let _ = writeln!(m, "{}\n", prose(&e.resolution[0]));
        } else {
            for (i, r) in e.resolution.iter().enumerate() {
                let _ = writeln!(m, "{}. {}", i + 1, prose(r));
            }
            m.push('\n');
        }
    }
    if let Some(a) = &e.retry_advice {
        let _ = writeln!(m, "Retrying: {}\n", prose(a));
    }
    if !e.links.is_empty() {
        m.push_str("Help:\n\n");
        for l in &e.links {
            if safe_url(&l.url) {
                let _ = writeln!(
                    m,
                    "- [{}](<{}>)",
                    text(&l.title),
                    l.url.replace(['<', '>'], "")
                );
            } else {
                let _ = writeln!(m, "- {}", text(&l.title));
            }
        }
        m.push('\n');
    }
}
