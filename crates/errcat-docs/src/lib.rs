//! Reference docs for an errcat catalog, and the tools that keep an API's
//! error system stable over time.
//!
//! - [`site`]: a self-contained static HTML reference (one `index.html`
//!   with its CSS, JS and search built in; works from `file://`, offline);
//! - [`markdown`] / [`markdown_by_category`]: the same reference as Markdown;
//! - [`openapi`]: OpenAPI 3.1 components (the envelope's schema, one response
//!   per status with an example per code);
//! - [`export_json`]: the resolved catalog as JSON;
//! - [`diff`]: what changed between two catalogs, breaking or compatible;
//! - [`lock`]: the append-only `errors.lock` of every code ever published;
//! - `utoipa` (feature `utoipa`): the same OpenAPI components, and each
//!   operation's error responses, merged into a utoipa document.
//!
//! Catalog text is Markdown rendered with raw HTML escaped and `javascript:`
//! / `data:` link targets dropped, so a catalog cannot inject script into the
//! site.
//!
//! ```
//! let catalog = errcat_catalog::Catalog::from_str(r#"
//! [api]
//! name = "DUAL"
//! [[errors]]
//! code = "TEMPLATE_NOT_FOUND"
//! status = 404
//! message = "Template {template_id} not found"
//! params = { template_id = "string" }
//! "#, "errors.toml").unwrap();
//! let html = errcat_docs::site(&catalog);
//! assert!(html.contains(r#"id="TEMPLATE_NOT_FOUND""#));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod diff;
mod example;
mod export;
mod html;
pub mod lock;
mod markdown;
mod md_to_html;
mod openapi;
pub mod plural;
pub mod schema;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod utoipa;

pub use export::export_json;
pub use html::{html_formatter, site};
pub use markdown::{markdown, markdown_by_category};
pub use md_to_html::escape_html_into;
pub use openapi::openapi;

use errcat_catalog::{Catalog, ErrorDef};

/// The errors the reference lists: public ones, in catalog order.
pub fn public_errors(catalog: &Catalog) -> impl Iterator<Item = &ErrorDef> {
    catalog.errors.iter().filter(|e| e.is_public())
}

/// The reference's sections: each category that has public errors or guides,
/// ordered by where their first error appears in the catalog (the order the
/// API's own page uses), with its errors.
pub(crate) fn sections(catalog: &Catalog) -> Vec<(&errcat_catalog::Category, Vec<&ErrorDef>)> {
    let mut out: Vec<(&errcat_catalog::Category, Vec<&ErrorDef>)> =
        catalog.categories.iter().map(|c| (c, Vec::new())).collect();
    for e in public_errors(catalog) {
        if let Some(slot) = out.iter_mut().find(|(c, _)| c.name == e.category) {
            slot.1.push(e);
        }
    }
    out.retain(|(c, errs)| {
        !errs.is_empty()
            || catalog
                .guides
                .iter()
                .any(|g| g.category.as_deref() == Some(c.name.as_str()))
    });
    // Guide-only categories go last.
    let first = |errs: &Vec<&ErrorDef>| {
        errs.first()
            .and_then(|e| catalog.index_of(&e.code))
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|(_, errs)| first(errs));
    out
}

/// Guides without a category: those before the first categorized guide open
/// the reference, the others close it.
pub(crate) fn loose_guides(
    catalog: &Catalog,
) -> (Vec<&errcat_catalog::Guide>, Vec<&errcat_catalog::Guide>) {
    let first_cat = catalog
        .guides
        .iter()
        .position(|g| g.category.is_some())
        .unwrap_or(usize::MAX);
    let mut head = Vec::new();
    let mut tail = Vec::new();
    for (i, g) in catalog.guides.iter().enumerate() {
        if g.category.is_none() {
            if i < first_cat {
                head.push(g)
            } else {
                tail.push(g)
            }
        }
    }
    (head, tail)
}
