//! The page's sections in the catalog's order (`[docs] sections`): guides,
//! the response format, the categories table, the overview table and the
//! error reference itself.

use errcat_catalog::{BUILTIN_SECTIONS, Catalog, Category, ErrorDef, Guide, Overview};
use errcat_render::reason_phrase;
use minijinja::{Value, context};

use crate::example::Examples;
use crate::md_to_html::{esc_text, inline_html, to_html};

/// Above this many public errors, the overview table is left out unless the
/// catalog asks for it (search finds errors faster than a table that long).
const OVERVIEW_UP_TO: usize = 200;

/// One section of the page, in order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Block<'a> {
    /// A guide of its own.
    Guide(&'a Guide),
    /// The envelope's example body and its fields.
    Format,
    /// The table of categories.
    Categories,
    /// The table of every error: code, status, title.
    Overview(Overview),
    /// The errors, by category, with the guides of each category.
    Errors,
}

/// The guide that gives a built-in section its heading and text.
pub(super) fn guide_of<'a>(catalog: &'a Catalog, section: &str) -> Option<&'a Guide> {
    catalog.guides.iter().find(|g| g.id == section)
}

/// The sections of the page in order.
pub(super) fn blocks(catalog: &Catalog, public: usize) -> Vec<Block<'_>> {
    let docs = &catalog.docs;
    let overview = match docs.overview {
        Some(o) => o,
        None if public <= OVERVIEW_UP_TO || docs.sections.iter().any(|s| s == "overview") => {
            Overview::Category
        }
        None => Overview::None,
    };
    let builtin = |name: &str| match name {
        "format" => Some(Block::Format),
        "categories" => Some(Block::Categories),
        "overview" => Some(Block::Overview(overview)),
        "errors" => Some(Block::Errors),
        _ => None,
    };
    let mut out: Vec<Block<'_>> = Vec::new();
    if docs.sections.is_empty() {
        let (head, tail) = crate::loose_guides(catalog);
        let own = |g: &&Guide| g.id != "overview";
        out.extend(head.into_iter().filter(own).map(Block::Guide));
        out.push(Block::Overview(overview));
        out.push(Block::Errors);
        out.extend(tail.into_iter().filter(own).map(Block::Guide));
    } else {
        for s in &docs.sections {
            match builtin(s) {
                Some(b) => out.push(b),
                None => out.extend(guide_of(catalog, s).map(Block::Guide)),
            }
        }
        // Guides of no category that the list leaves out close the page.
        for g in &catalog.guides {
            let placed = docs.sections.contains(&g.id);
            if g.category.is_none() && !placed && !BUILTIN_SECTIONS.contains(&g.id.as_str()) {
                out.push(Block::Guide(g));
            }
        }
    }
    out.retain(|b| *b != Block::Overview(Overview::None));
    out
}

/// The guides shown in a category's section: its own, unless the catalog
/// places them elsewhere.
pub(super) fn category_guides<'a>(catalog: &'a Catalog, c: &Category) -> Vec<&'a Guide> {
    catalog
        .guides
        .iter()
        .filter(|g| g.category.as_deref() == Some(c.name.as_str()))
        .filter(|g| !catalog.docs.sections.contains(&g.id))
        .collect()
}

/// "Authentication: your credentials are missing" → "Authentication".
pub(super) fn category_heading(c: &Category) -> String {
    let d = c.description.trim();
    match d.split_once(':') {
        Some((head, _)) if !head.is_empty() && head.len() <= 60 => head.to_owned(),
        _ => {
            let mut s = c.name.replace('_', " ").to_lowercase();
            if let Some(f) = s.get(0..1) {
                s = f.to_uppercase() + &s[1..];
            }
            s
        }
    }
}

/// A built-in section's heading and text: the catalog's guide of that id,
/// else `default` and no text.
fn heading(catalog: &Catalog, section: &str, default: &str) -> (String, Option<Value>) {
    match guide_of(catalog, section) {
        Some(g) => (
            g.title.clone(),
            (!g.body.trim().is_empty()).then(|| Value::from_safe_string(to_html(&g.body))),
        ),
        None => (default.to_owned(), None),
    }
}

/// The overview table's groups, by category or by status.
pub(super) fn overview(catalog: &Catalog, by: Overview) -> Value {
    let (title, body) = heading(catalog, "overview", "Overview");
    let row = |e: &ErrorDef| {
        context! {
            code => e.code,
            status => e.status.map_or_else(|| "none".to_owned(), |s| s.to_string()),
            class => e.status.map_or_else(|| "sn".to_owned(), |s| format!("s{}", s / 100)),
            title => e.title,
        }
    };
    let groups: Vec<Value> = if by == Overview::Status {
        let mut statuses: Vec<Option<u16>> =
            crate::public_errors(catalog).map(|e| e.status).collect();
        statuses.sort_unstable_by_key(|s| s.unwrap_or(u16::MAX));
        statuses.dedup();
        statuses
            .into_iter()
            .map(|s| {
                let heading = match s {
                    Some(s) => match catalog.docs.status_heading(s) {
                        Some(h) => format!("{h} ({s})"),
                        None => format!("{s} {}", reason_phrase(s)),
                    },
                    None => "Not sent by the API".to_owned(),
                };
                let rows: Vec<Value> = crate::public_errors(catalog)
                    .filter(|e| e.status == s)
                    .map(row)
                    .collect();
                context! { heading, rows }
            })
            .collect()
    } else {
        crate::sections(catalog)
            .into_iter()
            .filter(|(_, errs)| !errs.is_empty())
            .map(|(c, errs)| {
                context! {
                    heading => category_heading(c),
                    rows => errs.into_iter().map(row).collect::<Vec<_>>(),
                }
            })
            .collect()
    };
    context! { title, body, groups }
}

/// The categories table: those with public errors, in the catalog's order.
pub(super) fn categories(catalog: &Catalog) -> Value {
    let (title, body) = heading(catalog, "categories", "Categories");
    let mut cats: Vec<&Category> = crate::sections(catalog)
        .into_iter()
        .filter(|(_, errs)| !errs.is_empty())
        .map(|(c, _)| c)
        .collect();
    // Declared categories in file order first, then the standard ones.
    cats.sort_by_key(|c| c.span.as_ref().map_or(usize::MAX, |s| s.start));
    let rows: Vec<Value> = cats
        .into_iter()
        .map(|c| {
            context! {
                name => c.name,
                description => Value::from_safe_string(inline_html(&c.description)),
            }
        })
        .collect();
    context! { title, body, rows }
}

/// The response format: an example body, then the catalog's text about it
/// (a guide with id `format`), else a table of the body's fields. `None`
/// when there is neither an error the API sends nor such a guide.
pub(super) fn format(catalog: &Catalog, examples: &Examples) -> Option<Value> {
    let sent = || crate::public_errors(catalog).filter(|e| e.status.is_some());
    let example = sent()
        .find(|e| !e.example.violations.is_empty())
        .or_else(|| sent().next())
        .and_then(|e| Some((e, examples.of(e)?)));
    let (title, body) = heading(catalog, "format", "Error format");
    if example.is_none() && body.is_none() {
        return None;
    }
    let mut fields = Vec::new();
    if body.is_none()
        && let Some((_, ex)) = &example
    {
        field_rows(&ex.body, "", &mut fields);
    }
    let example = example.map(|(e, ex)| {
        let json = serde_json::to_string_pretty(&ex.body).unwrap_or_default();
        context! {
            code => e.code,
            status => ex.status,
            reason => reason_phrase(ex.status),
            json => Value::from_safe_string(esc_text(&json)),
        }
    });
    Some(context! { title, body, example, fields })
}

/// The fields of an example body, objects opened (`error.code`).
fn field_rows(v: &serde_json::Value, prefix: &str, out: &mut Vec<Value>) {
    let serde_json::Value::Object(map) = v else {
        return;
    };
    for (k, v) in map {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let ty = match v {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "boolean",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "object",
        };
        out.push(context! { name, ty });
        if v.is_object() {
            field_rows(v, &name, out);
        }
    }
}
