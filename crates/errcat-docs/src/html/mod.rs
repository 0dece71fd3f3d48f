//! The static HTML reference: one self-contained `index.html`, written by
//! minijinja templates (`templates/`) that escape every value unless it is
//! markup made safe here (sanitized Markdown, escaped example text).

mod card;
mod dedup;
mod layout;

use std::sync::OnceLock;

use errcat_catalog::Catalog;
use errcat_render::reason_phrase;
use minijinja::{AutoEscape, Environment, Value, context};

use crate::example::Examples;
use crate::md_to_html::{esc_into, to_html};
use crate::plural::count_s;
use layout::Block;

const CSS: &str = include_str!("../../assets/site.css");
const JS: &str = include_str!("../../assets/site.js");

/// Above this many public errors, example responses start folded.
const OPEN_EXAMPLES_UP_TO: usize = 200;

const TEMPLATES: [(&str, &str); 3] = [
    ("site.html", include_str!("../../templates/site.html")),
    ("card.html", include_str!("../../templates/card.html")),
    (
        "sections.html",
        include_str!("../../templates/sections.html"),
    ),
];

/// minijinja's formatter for errcat's HTML: in `.html` templates every value
/// is escaped with errcat's own escaping (`&#39;`, control characters
/// replaced, `/` left alone); markup marked safe passes. The reference site
/// and the support console both use it.
pub fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() == AutoEscape::Html && !value.is_safe() && !value.is_none() {
        if let Some(s) = value.as_str() {
            let mut buf = String::with_capacity(s.len() + 8);
            esc_into(&mut buf, s);
            return out.write_str(&buf).map_err(minijinja::Error::from);
        }
        if value.is_number() || value.is_true() || value.is_undefined() {
            return minijinja::escape_formatter(out, state, value);
        }
        let mut buf = String::new();
        esc_into(&mut buf, &value.to_string());
        return out.write_str(&buf).map_err(minijinja::Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

/// The templates, parsed once. They are part of the crate, so a template
/// that does not parse is a bug caught by every test that renders a site.
fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_keep_trailing_newline(true);
        // `.html` templates escape; errcat's own escaping keeps the output
        // as before (`&#39;`, control characters replaced, `/` left alone).
        env.set_formatter(html_formatter);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e:#}"));
        }
        env
    })
}

/// The reference site of a catalog: a complete, self-contained HTML page
/// (CSS, script and search included; no network access needed).
///
/// It lists every public error grouped by category, with the catalog's guide
/// sections and an overview table, in the order `[docs] sections` gives;
/// each error has an anchor `#CODE`.
pub fn site(catalog: &Catalog) -> String {
    let examples = Examples::new(catalog);
    let public = crate::public_errors(catalog).count();
    let open = public <= OPEN_EXAMPLES_UP_TO;
    // Blocks with nothing to show (a format section without an example or
    // text) are left out of the page and of its contents.
    let (blocks, sections): (Vec<Block<'_>>, Vec<Value>) = layout::blocks(catalog, public)
        .into_iter()
        .filter_map(|b| Some((b, section(catalog, &examples, b, open)?)))
        .unzip();
    let page = context! {
        lang => catalog.api.locale.split(['-', '_']).next().unwrap_or("en"),
        name => catalog.api.name,
        version => catalog.api.version,
        css => Value::from_safe_string(CSS.to_owned()),
        js => Value::from_safe_string(JS.to_owned()),
        statuses => status_options(catalog),
        categories => crate::sections(catalog)
            .into_iter()
            .filter(|(_, errs)| !errs.is_empty())
            .map(|(c, _)| c.name.clone())
            .collect::<Vec<_>>(),
        count => count_s(public as u64, "error"),
        toc => toc(catalog, &blocks, open),
        sections,
    };
    env()
        .get_template("site.html")
        .and_then(|t| t.render(page))
        // The templates are fixed and every value is plain data: rendering
        // cannot fail short of a bug in them, which the tests would show.
        .unwrap_or_else(|e| panic!("the site template failed: {e:#}"))
}

/// The status filter's options: each status once, "not sent" last.
fn status_options(catalog: &Catalog) -> Vec<Value> {
    let mut statuses: Vec<Option<u16>> = crate::public_errors(catalog).map(|e| e.status).collect();
    statuses.sort_unstable_by_key(|s| s.unwrap_or(u16::MAX));
    statuses.dedup();
    statuses
        .into_iter()
        .map(|s| match s {
            Some(s) => {
                context! { value => s.to_string(), text => format!("{s} {}", reason_phrase(s)) }
            }
            None => context! { value => "none", text => "Not sent by the API" },
        })
        .collect()
}

/// What the template needs to show one block.
fn section(catalog: &Catalog, examples: &Examples, b: Block<'_>, open: bool) -> Option<Value> {
    Some(match b {
        Block::Guide(g) => context! {
            kind => "guide",
            id => format!("guide-{}", g.id),
            title => g.title,
            body => Value::from_safe_string(to_html(&g.body)),
        },
        Block::Format => context! { kind => "format", ..layout::format(catalog, examples)? },
        Block::Categories => context! { kind => "categories", ..layout::categories(catalog) },
        Block::Overview(by) => context! { kind => "overview", ..layout::overview(catalog, by) },
        Block::Errors => context! {
            kind => "errors",
            cats => crate::sections(catalog).into_iter().map(|(c, errs)| context! {
                name => c.name,
                heading => layout::category_heading(c),
                description => (!c.description.is_empty())
                    .then(|| Value::from_safe_string(crate::md_to_html::inline_html(&c.description))),
                guides => layout::category_guides(catalog, c).into_iter().map(|g| context! {
                    id => format!("guide-{}", g.id),
                    title => g.title,
                    body => Value::from_safe_string(to_html(&g.body)),
                }).collect::<Vec<_>>(),
                cards => errs.into_iter()
                    .map(|e| card::card(catalog, examples, e, open))
                    .collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
        },
    })
}

/// The table of contents: one entry per block; the errors block lists its
/// categories (and, on a small site, each category's codes).
fn toc(catalog: &Catalog, blocks: &[Block<'_>], open: bool) -> Vec<Value> {
    let mut out = Vec::new();
    for b in blocks {
        let (href, title) = match b {
            Block::Guide(g) => (format!("guide-{}", g.id), g.title.clone()),
            Block::Format => (
                "ec-format".to_owned(),
                built_in_title(catalog, "format", "Error format"),
            ),
            Block::Categories => (
                "ec-categories".to_owned(),
                built_in_title(catalog, "categories", "Categories"),
            ),
            Block::Overview(_) => (
                "ec-overview".to_owned(),
                built_in_title(catalog, "overview", "Overview"),
            ),
            Block::Errors => {
                for (c, errs) in crate::sections(catalog) {
                    let codes: Vec<Value> = if open {
                        errs.iter()
                            .map(|e| context! { code => e.code, status => e.status, class => e.status.map(|s| format!("s{}", s / 100)) })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    out.push(context! {
                        kind => "cat",
                        href => format!("cat-{}", c.name),
                        title => layout::category_heading(c),
                        n => errs.len(),
                        codes,
                    });
                }
                continue;
            }
        };
        out.push(context! { kind => "g", href, title });
    }
    out
}

fn built_in_title(catalog: &Catalog, section: &str, default: &str) -> String {
    layout::guide_of(catalog, section).map_or_else(|| default.to_owned(), |g| g.title.clone())
}

#[cfg(test)]
mod tests;
