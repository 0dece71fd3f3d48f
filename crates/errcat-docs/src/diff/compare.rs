//! One error against its new version: the notes of what changed, each
//! breaking or compatible, and how a renamed code is recognised.

use errcat_catalog::{ErrorDef, Param};

use super::{Impact, Note};

/// `404 NOT_FOUND`, or `not sent, INTERNAL` for an error without a status.
pub(super) fn summary(e: &ErrorDef) -> String {
    match e.status {
        Some(s) => format!("{s} {}", e.category),
        None => format!("not sent, {}", e.category),
    }
}

/// The value, or `none`.
fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "none".to_owned(), ToString::to_string)
}

/// What changed from `old` to `new`: the breaking notes, then the
/// compatible ones.
pub(super) fn notes(old: &ErrorDef, new: &ErrorDef) -> Vec<Note> {
    let params = Params::between(old, new);
    let note = |impact| move |text| Note { impact, text };
    let mut notes: Vec<Note> = breaking(old, new, &params)
        .into_iter()
        .map(note(Impact::Breaking))
        .collect();
    notes.extend(
        compatible(old, new, &params)
            .into_iter()
            .map(note(Impact::Compatible)),
    );
    notes
}

/// The parameters only one version declares.
struct Params<'a> {
    removed: Vec<&'a Param>,
    added: Vec<&'a Param>,
}

impl<'a> Params<'a> {
    fn between(old: &'a ErrorDef, new: &'a ErrorDef) -> Self {
        Self {
            removed: old
                .params
                .iter()
                .filter(|p| new.param(&p.name).is_none())
                .collect(),
            added: new
                .params
                .iter()
                .filter(|p| old.param(&p.name).is_none())
                .collect(),
        }
    }

    /// One parameter gone and one of the same type added: a rename.
    fn renamed(&self) -> Option<(&'a Param, &'a Param)> {
        match (&self.removed[..], &self.added[..]) {
            ([from], [to]) if from.ty == to.ty => Some((from, to)),
            _ => None,
        }
    }
}

/// Changes a client matching on the status, category, numeric code,
/// parameters or headers can break on.
fn breaking(old: &ErrorDef, new: &ErrorDef, params: &Params<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    if old.status != new.status {
        notes.push(format!(
            "status {} → {}",
            opt(&old.status),
            opt(&new.status)
        ));
    }
    if old.category != new.category {
        notes.push(format!("category {} → {}", old.category, new.category));
    }
    if old.numeric_code != new.numeric_code {
        notes.push(format!(
            "numeric code {} → {}",
            opt(&old.numeric_code),
            opt(&new.numeric_code)
        ));
    }
    if let Some((from, to)) = params.renamed() {
        notes.push(format!(
            "parameter `{}` renamed to `{}`",
            from.name, to.name
        ));
    } else {
        for p in &params.removed {
            notes.push(format!("parameter `{}` removed", p.name));
        }
    }
    for p in &old.params {
        if let Some(q) = new.param(&p.name)
            && q.ty != p.ty
        {
            notes.push(format!(
                "parameter `{}` type {} → {}",
                p.name,
                p.ty.as_str(),
                q.ty.as_str()
            ));
        }
    }
    for (h, _) in &old.headers {
        if !new.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(h)) {
            notes.push(format!("header `{h}` no longer sent"));
        }
    }
    notes
}

/// Changes clients keep working through: additions, wording, docs, retry
/// advice, deprecation and visibility.
fn compatible(old: &ErrorDef, new: &ErrorDef, params: &Params<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    if params.renamed().is_none() {
        for p in &params.added {
            notes.push(format!("parameter `{}` added", p.name));
        }
    }
    for (h, _) in &new.headers {
        if !old.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(h)) {
            notes.push(format!("header `{h}` added"));
        }
    }
    if old.title != new.title {
        notes.push(format!("title reworded: “{}” → “{}”", old.title, new.title));
    }
    if old.message.raw != new.message.raw {
        notes.push(format!(
            "message reworded: “{}” → “{}”",
            old.message.raw, new.message.raw
        ));
    }
    let docs = [
        ("description", old.description != new.description),
        ("causes", old.causes != new.causes),
        ("resolution", old.resolution != new.resolution),
        ("help links", old.links != new.links),
        ("retry advice", old.retry_advice != new.retry_advice),
        ("translations", old.translations != new.translations),
        ("example", old.example != new.example),
    ];
    let changed: Vec<&str> = docs.iter().filter(|d| d.1).map(|d| d.0).collect();
    if !changed.is_empty() {
        notes.push(format!("docs updated: {}", changed.join(", ")));
    }
    if old.retryable != new.retryable {
        let now = if new.retryable {
            "retryable"
        } else {
            "not retryable"
        };
        notes.push(format!("now {now}"));
    }
    if old.retry_after != new.retry_after {
        notes.push(format!(
            "retry delay {} → {} s",
            opt(&old.retry_after),
            opt(&new.retry_after)
        ));
    }
    if old.deprecated != new.deprecated && new.deprecated.is_some() {
        notes.push("deprecated".to_owned());
    }
    if old.replaced_by != new.replaced_by {
        notes.push(format!("replaced by {}", opt(&new.replaced_by)));
    }
    if old.since != new.since {
        notes.push(format!("since {} → {}", opt(&old.since), opt(&new.since)));
    }
    if old.visibility != new.visibility {
        notes.push(if new.is_public() {
            "now in the public reference".to_owned()
        } else {
            "now internal (no longer in the public reference)".to_owned()
        });
    }
    notes
}

pub(super) fn impact(notes: &[Note]) -> Impact {
    notes
        .iter()
        .map(|n| n.impact)
        .max()
        .unwrap_or(Impact::Compatible)
}

/// Same meaning, different code: the old error is gone and a new one has
/// its numeric code, or its status, category and message.
pub(super) fn renamed_from<'a>(new: &ErrorDef, gone: &[&'a ErrorDef]) -> Option<&'a ErrorDef> {
    if let Some(n) = new.numeric_code
        && let Some(o) = gone.iter().find(|o| o.numeric_code == Some(n))
    {
        return Some(o);
    }
    let same: Vec<_> = gone
        .iter()
        .filter(|o| {
            o.status == new.status && o.category == new.category && o.message.raw == new.message.raw
        })
        .collect();
    (same.len() == 1).then(|| *same[0])
}
