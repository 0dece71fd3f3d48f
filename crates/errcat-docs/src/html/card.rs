//! One error's card: what `card.html` shows, each sentence once.

use errcat_catalog::{Catalog, ErrorDef};
use errcat_render::reason_phrase;
use minijinja::{Value, context};

use super::dedup::Shown;
use crate::example::Examples;
use crate::md_to_html::{esc_text, inline_html, safe_url, to_html};
use crate::plural::count_s;

/// Markup that catalog text was already made safe in (Markdown through the
/// sanitizing renderer, or escaped text).
fn safe(html: String) -> Value {
    Value::from_safe_string(html)
}

/// The status badge: "404 Not Found", with its class.
pub(super) fn status_badge(status: Option<u16>) -> Value {
    match status {
        Some(s) => context! {
            class => format!("s{}", s / 100),
            text => format!("{s} {}", reason_phrase(s)),
        },
        None => context! { class => "sn", text => "not sent by the API" },
    }
}

/// The context of one card.
pub(super) fn card(catalog: &Catalog, examples: &Examples, e: &ErrorDef, open: bool) -> Value {
    let mut shown = Shown::default();
    shown.add(&e.title);
    let message = (!shown.covers(&e.message.raw)).then(|| {
        shown.add(&e.message.raw);
        e.message.raw.clone()
    });
    let description = e
        .description
        .as_deref()
        .and_then(|d| shown.fresh(d))
        .map(|d| safe(to_html(&d)));
    let causes: Vec<Value> = e
        .causes
        .iter()
        .filter_map(|c| shown.fresh(c))
        .map(|c| safe(inline_html(&c)))
        .collect();
    let steps: Vec<String> = e.resolution.iter().filter_map(|r| shown.fresh(r)).collect();
    let (resolution, resolution_steps) = match steps.as_slice() {
        [one] => (Some(safe(to_html(one))), Vec::new()),
        _ => (None, steps.iter().map(|s| safe(inline_html(s))).collect()),
    };
    let example = examples.of(e);
    let sent_with = example
        .as_ref()
        .zip(e.status)
        .and_then(|(ex, s)| (ex.status != s).then_some(ex.status));
    context! {
        code => e.code,
        numeric_code => e.numeric_code,
        status => e.status.map_or_else(|| "none".to_owned(), |s| s.to_string()),
        badge => status_badge(e.status),
        sent_with,
        category => e.category,
        retryable => e.retryable,
        since => e.since,
        deprecated => e.deprecated,
        replaced_by => e.replaced_by,
        title => e.title,
        message,
        description,
        params => e.params.iter().map(|p| context! {
            name => p.name,
            ty => p.ty.as_str(),
            description => p.description.as_deref().map(|d| safe(inline_html(d))),
        }).collect::<Vec<_>>(),
        causes,
        resolution,
        resolution_steps,
        retry => retry(e, &mut shown),
        links => e.links.iter().map(|l| context! {
            title => l.title,
            url => safe_url(&l.url).then_some(l.url.as_str()),
        }).collect::<Vec<_>>(),
        translations => e.translations.iter().map(|t| context! {
            locale => t.locale,
            title => t.title,
            message => t.message.as_ref().map(|m| m.raw.as_str()),
        }).collect::<Vec<_>>(),
        example => example.map(|ex| context! {
            open,
            content_type => ex.content_type,
            // Escaped for element content only: quotes stay as they are,
            // which keeps JSON readable and small.
            text => safe(esc_text(&ex.http_text())),
        }),
        doc_url => catalog.doc_url(&e.code).filter(|u| safe_url(u)),
    }
}

/// The retry advice, unless the card said it already, and the default delay.
fn retry(e: &ErrorDef, shown: &mut Shown) -> Option<Value> {
    if !(e.retryable || e.retry_advice.is_some() || e.retry_after.is_some()) {
        return None;
    }
    let advice = match &e.retry_advice {
        Some(a) => shown.fresh(a).map(|a| safe(inline_html(&a))),
        None if e.retryable => Some(Value::from("The same request can succeed later.")),
        None => Some(Value::from("Retrying the same request will not help.")),
    };
    let delay = e.retry_after.map(|s| count_s(s, "second"));
    if advice.is_none() && delay.is_none() {
        return None;
    }
    Some(context! { advice, delay })
}
