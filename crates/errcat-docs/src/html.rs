//! The static HTML reference: one self-contained `index.html`.

use std::fmt::Write as _;

use errcat_catalog::{Catalog, Category, ErrorDef, Guide};
use errcat_render::reason_phrase;

use crate::example::Examples;
use crate::md_to_html::{esc, esc_into, esc_text, inline_html, safe_url, to_html};

const CSS: &str = include_str!("../assets/site.css");
const JS: &str = include_str!("../assets/site.js");

/// Above this many public errors, example responses start folded.
const OPEN_EXAMPLES_UP_TO: usize = 200;

/// The reference site of a catalog: a complete, self-contained HTML page
/// (CSS, script and search included; no network access needed).
///
/// It lists every public error grouped by category, with the catalog's guide
/// sections; each error has an anchor `#CODE`.
pub fn site(catalog: &Catalog) -> String {
    let examples = Examples::new(catalog);
    let sections = crate::sections(catalog);
    let (head_guides, tail_guides) = crate::loose_guides(catalog);
    let public: usize = sections.iter().map(|(_, e)| e.len()).sum();
    let open = public <= OPEN_EXAMPLES_UP_TO;
    let name = esc(&catalog.api.name);
    let mut h = String::with_capacity(4096 + public * 1600);

    h.push_str("<!doctype html>\n<html lang=\"");
    esc_into(
        &mut h,
        catalog.api.locale.split(['-', '_']).next().unwrap_or("en"),
    );
    h.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<meta name=\"generator\" content=\"errcat\">\n");
    let _ = writeln!(h, "<title>{name}: error reference</title>");
    // Apply a stored theme before first paint.
    h.push_str("<script>try{var t=localStorage.getItem('errcat-theme');if(t)document.documentElement.dataset.theme=t}catch(e){}</script>\n<style>\n");
    h.push_str(CSS);
    h.push_str(
        "</style>\n</head>\n<body>\n<a class=\"skip\" href=\"#ec-main\">Skip to content</a>\n",
    );

    // Header: title, search, filters, theme.
    h.push_str("<header class=\"top\" role=\"banner\">\n");
    let _ = write!(h, "<h1><a href=\"#\">{name}</a> <span>error reference");
    if let Some(v) = &catalog.api.version {
        let _ = write!(h, " · {}", esc(v));
    }
    h.push_str("</span></h1>\n<div class=\"tools\" role=\"search\">\n<label class=\"sr\" for=\"ec-q\">Search errors</label>\n<input id=\"ec-q\" type=\"search\" placeholder=\"Search errors (Ctrl+K or /)\" autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"ec-count\" aria-controls=\"ec-main\" aria-keyshortcuts=\"Control+K /\">\n");
    h.push_str("<label class=\"sr\" for=\"ec-fs\">Filter by status</label>\n<select id=\"ec-fs\"><option value=\"\">All statuses</option>");
    let mut statuses: Vec<Option<u16>> = crate::public_errors(catalog).map(|e| e.status).collect();
    statuses.sort_unstable_by_key(|s| s.unwrap_or(u16::MAX));
    statuses.dedup();
    for s in statuses {
        match s {
            Some(s) => {
                let _ = write!(h, "<option value=\"{s}\">{s} {}</option>", reason_phrase(s));
            }
            None => h.push_str("<option value=\"none\">Not sent by the API</option>"),
        }
    }
    h.push_str("</select>\n<label class=\"sr\" for=\"ec-fc\">Filter by category</label>\n<select id=\"ec-fc\"><option value=\"\">All categories</option>");
    for (c, errs) in &sections {
        if !errs.is_empty() {
            let n = esc(&c.name);
            let _ = write!(h, "<option value=\"{n}\">{n}</option>");
        }
    }
    h.push_str("</select>\n<button id=\"ec-theme\" type=\"button\" aria-label=\"Switch between light and dark theme\" title=\"Light / dark theme\">◐</button>\n</div>\n");
    let _ = writeln!(
        h,
        "<p id=\"ec-count\" class=\"count\" role=\"status\" aria-live=\"polite\">{public} errors</p>\n</header>"
    );

    // Contents.
    h.push_str("<div class=\"layout\">\n<nav class=\"toc\" aria-label=\"Contents\">\n<details open><summary>Contents</summary>\n<ul>\n");
    for g in &head_guides {
        toc_guide(&mut h, g);
    }
    for (c, errs) in &sections {
        let id = esc(&c.name);
        let n = esc(&category_heading(c));
        if open && !errs.is_empty() {
            // The index: every error of the category with its status.
            let _ = write!(
                h,
                "<li><details><summary><a href=\"#cat-{id}\">{n}</a> <span class=\"n\">{}</span></summary><ul class=\"codes\">",
                errs.len()
            );
            for e in errs {
                let code = esc(&e.code);
                let _ = write!(h, "<li><a href=\"#{code}\">{code}</a>");
                if let Some(s) = e.status {
                    let _ = write!(h, " <span class=\"b s{}\">{s}</span>", s / 100);
                }
                h.push_str("</li>");
            }
            h.push_str("</ul></details></li>\n");
        } else {
            let _ = writeln!(
                h,
                "<li><a href=\"#cat-{id}\">{n}</a> <span class=\"n\">{}</span></li>",
                errs.len()
            );
        }
    }
    for g in &tail_guides {
        toc_guide(&mut h, g);
    }
    h.push_str("</ul>\n</details>\n</nav>\n<main id=\"ec-main\" tabindex=\"-1\">\n");

    for g in &head_guides {
        guide(&mut h, g, "h2");
    }
    for (c, errs) in &sections {
        let id = esc(&c.name);
        let _ = write!(
            h,
            "<section class=\"cat\" id=\"cat-{id}\" data-cat=\"{id}\" aria-labelledby=\"cat-{id}-h\">\n<h2 id=\"cat-{id}-h\">{} <code class=\"catname\">{id}</code></h2>\n",
            esc(&category_heading(c))
        );
        if !c.description.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"catdesc\">{}</p>",
                inline_html(&c.description)
            );
        }
        for g in catalog
            .guides
            .iter()
            .filter(|g| g.category.as_deref() == Some(c.name.as_str()))
        {
            guide(&mut h, g, "h3");
        }
        for e in errs {
            error(&mut h, catalog, &examples, e, open);
        }
        h.push_str("</section>\n");
    }
    h.push_str(
        "<p id=\"ec-empty\" class=\"empty\" hidden>No errors found matching your search.</p>\n",
    );
    for g in &tail_guides {
        guide(&mut h, g, "h2");
    }
    h.push_str("</main>\n</div>\n<footer><p>Generated by errcat from the API's error catalog. Press <kbd>Ctrl</kbd>+<kbd>K</kbd> or <kbd>/</kbd> to search, <kbd>↓</kbd> <kbd>↑</kbd> to move through results.</p></footer>\n<script>\n");
    h.push_str(JS);
    h.push_str("</script>\n</body>\n</html>\n");
    h
}

/// "Authentication: your credentials are missing" → "Authentication".
fn category_heading(c: &Category) -> String {
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

fn toc_guide(h: &mut String, g: &Guide) {
    let _ = writeln!(
        h,
        "<li class=\"g\"><a href=\"#{}\">{}</a></li>",
        esc(&guide_id(g)),
        esc(&g.title)
    );
}

fn guide_id(g: &Guide) -> String {
    format!("guide-{}", g.id)
}

fn guide(h: &mut String, g: &Guide, level: &str) {
    let id = esc(&guide_id(g));
    let _ = write!(
        h,
        "<section class=\"guide\" id=\"{id}\" aria-labelledby=\"{id}-h\">\n<{level} id=\"{id}-h\">{}</{level}>\n{}</section>\n",
        esc(&g.title),
        to_html(&g.body)
    );
}

fn error(h: &mut String, catalog: &Catalog, examples: &Examples, e: &ErrorDef, open: bool) {
    let code = esc(&e.code);
    let status = e
        .status
        .map_or_else(|| "none".to_owned(), |s| s.to_string());
    let _ = write!(
        h,
        "<article class=\"err\" id=\"{code}\" data-status=\"{status}\" data-cat=\"{cat}\">\n<div class=\"eh\"><h3><a class=\"code\" href=\"#{code}\">{code}</a>",
        cat = esc(&e.category),
    );
    if let Some(n) = e.numeric_code {
        let _ = write!(h, " <span class=\"num\">{n}</span>");
    }
    h.push_str("</h3>\n<span class=\"badges\">");
    match e.status {
        Some(s) => {
            let _ = write!(
                h,
                "<span class=\"b s{}\">{s} {}</span>",
                s / 100,
                reason_phrase(s)
            );
            // An envelope that sends every error with one status (200).
            if let Some(ex) = examples.of(e)
                && ex.status != s
            {
                let _ = write!(h, "<span class=\"b\">sent with HTTP {}</span>", ex.status);
            }
        }
        None => h.push_str("<span class=\"b sn\">not sent by the API</span>"),
    }
    let _ = write!(h, "<span class=\"b cat\">{}</span>", esc(&e.category));
    if e.retryable {
        h.push_str("<span class=\"b retry\">retryable</span>");
    }
    if let Some(v) = &e.since {
        let _ = write!(h, "<span class=\"b since\">since {}</span>", esc(v));
    }
    if let Some(v) = &e.deprecated {
        if v.is_empty() {
            h.push_str("<span class=\"b dep\">deprecated</span>");
        } else {
            let _ = write!(h, "<span class=\"b dep\">deprecated in {}</span>", esc(v));
        }
    }
    if let Some(r) = &e.replaced_by {
        let r = esc(r);
        let _ = write!(
            h,
            "<span class=\"b dep\">replaced by <a href=\"#{r}\">{r}</a></span>"
        );
    }
    let _ = write!(
        h,
        "<button class=\"copy\" aria-label=\"Copy link\">#</button></span></div>\n<p class=\"title\">{}</p>\n",
        esc(&e.title)
    );
    if !e.message.raw.is_empty() && e.message.raw != e.title {
        let _ = writeln!(
            h,
            "<p class=\"msg\"><code>{}</code></p>",
            esc(&e.message.raw)
        );
    } else {
        let _ = writeln!(h, "<p class=\"msg\" hidden>{}</p>", esc(&e.message.raw));
    }
    if let Some(d) = &e.description {
        let _ = writeln!(h, "<div class=\"desc\">{}</div>", to_html(d));
    }
    if !e.params.is_empty() {
        h.push_str("<h4>Parameters</h4>\n<ul class=\"params\">");
        for p in &e.params {
            let _ = write!(
                h,
                "<li><code>{}</code> <span class=\"ty\">{}</span>",
                esc(&p.name),
                p.ty.as_str()
            );
            if let Some(d) = &p.description {
                let _ = write!(h, ": {}", inline_html(d));
            }
            h.push_str("</li>");
        }
        h.push_str("</ul>\n");
    }
    if !e.causes.is_empty() {
        h.push_str("<h4>Possible causes</h4>\n<ul class=\"causes\">");
        for c in &e.causes {
            let _ = write!(h, "<li>{}</li>", inline_html(c));
        }
        h.push_str("</ul>\n");
    }
    if !e.resolution.is_empty() {
        h.push_str("<h4>Resolution</h4>\n");
        if e.resolution.len() == 1 {
            let _ = writeln!(h, "<div class=\"res\">{}</div>", to_html(&e.resolution[0]));
        } else {
            h.push_str("<ol class=\"res\">");
            for r in &e.resolution {
                let _ = write!(h, "<li>{}</li>", inline_html(r));
            }
            h.push_str("</ol>\n");
        }
    }
    if e.retryable || e.retry_advice.is_some() || e.retry_after.is_some() {
        h.push_str("<h4>Retrying</h4>\n<p class=\"retry\">");
        if let Some(a) = &e.retry_advice {
            h.push_str(&inline_html(a));
        } else if e.retryable {
            h.push_str("The same request can succeed later.");
        } else {
            h.push_str("Retrying the same request will not help.");
        }
        if let Some(s) = e.retry_after {
            let _ = write!(h, " Default delay: {s} s (<code>Retry-After</code>).");
        }
        h.push_str("</p>\n");
    }
    if !e.links.is_empty() {
        h.push_str("<h4>Help</h4>\n<ul class=\"links\">");
        for l in &e.links {
            if safe_url(&l.url) {
                let _ = write!(
                    h,
                    "<li><a href=\"{}\">{}</a></li>",
                    esc(&l.url),
                    esc(&l.title)
                );
            } else {
                let _ = write!(h, "<li>{}</li>", esc(&l.title));
            }
        }
        h.push_str("</ul>\n");
    }
    if !e.translations.is_empty() {
        h.push_str("<h4>Translations</h4>\n<ul class=\"tr\">");
        for t in &e.translations {
            let l = esc(&t.locale);
            let _ = write!(h, "<li lang=\"{l}\"><code>{l}</code> ");
            if let Some(title) = &t.title {
                let _ = write!(h, "{}", esc(title));
            }
            if let Some(m) = &t.message {
                let _ = write!(h, " <code>{}</code>", esc(&m.raw));
            }
            h.push_str("</li>");
        }
        h.push_str("</ul>\n");
    }
    if let Some(ex) = examples.of(e) {
        let _ = writeln!(
            h,
            "<details class=\"ex\"{}><summary>Example response <span class=\"ct\">{}</span></summary><pre><code>{}</code></pre></details>",
            if open { " open" } else { "" },
            esc_text(&ex.content_type),
            esc_text(&ex.http_text())
        );
    }
    if let Some(url) = catalog.doc_url(&e.code).filter(|u| safe_url(u)) {
        let _ = writeln!(
            h,
            "<p class=\"type\">Reference URL: <code>{}</code></p>",
            esc(&url)
        );
    }
    h.push_str("</article>\n");
}
