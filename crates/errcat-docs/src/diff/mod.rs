//! What changed between two versions of a catalog, and whether it breaks
//! clients.

use std::fmt::Write as _;

use errcat_catalog::{Catalog, ErrorDef};
use serde_json::{Value, json};

use crate::lock::{Lock, Violation};

/// Whether a change can break a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Clients keep working.
    Compatible,
    /// Clients matching on codes, statuses, categories, parameters or the
    /// envelope can break.
    Breaking,
}

impl Impact {
    fn as_str(self) -> &'static str {
        match self {
            Impact::Compatible => "compatible",
            Impact::Breaking => "breaking",
        }
    }
}

/// What happened to an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A new code.
    Added,
    /// A code that is gone.
    Removed,
    /// A code replaced by another with the same meaning.
    Renamed {
        /// The old code.
        from: String,
    },
    /// Same code, something else changed.
    Changed,
}

impl Kind {
    fn as_str(&self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Renamed { .. } => "renamed",
            Kind::Changed => "changed",
        }
    }
}

/// One note of a change, with its impact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Breaking or compatible.
    pub impact: Impact,
    /// What changed, in words.
    pub text: String,
}

/// A change to one error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The code (the new one for renames).
    pub code: String,
    /// What happened.
    pub kind: Kind,
    /// Breaking if any note is.
    pub impact: Impact,
    /// The details.
    pub notes: Vec<Note>,
    /// `404 NOT_FOUND` for the reader.
    pub summary: String,
}

/// The differences between two catalogs.
#[derive(Clone, Debug, Default)]
pub struct Diff {
    /// Per-error changes: added and changed in the new catalog's order, then
    /// removed ones.
    pub changes: Vec<Change>,
    /// Changes of the envelope's shape (all breaking).
    pub envelope: Vec<String>,
    /// Codes whose meaning differs from `errors.lock` (all breaking).
    pub lock: Vec<Violation>,
}

/// Why two catalogs cannot be compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffError {
    /// They use different envelopes, so they are not versions of one API's
    /// error format.
    DifferentEnvelopes {
        /// The old catalog's envelope.
        old: String,
        /// The new catalog's envelope.
        new: String,
    },
}

impl std::fmt::Display for DiffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiffError::DifferentEnvelopes { old, new } => write!(
                f,
                "the catalogs use different envelopes (`{old}` → `{new}`): every response body changes shape, so errcat cannot compare them error by error; switching envelopes is a new major version of the API"
            ),
        }
    }
}

impl std::error::Error for DiffError {}

fn summary(e: &ErrorDef) -> String {
    match e.status {
        Some(s) => format!("{s} {}", e.category),
        None => format!("not sent, {}", e.category),
    }
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "none".to_owned(), ToString::to_string)
}

fn compare(old: &ErrorDef, new: &ErrorDef) -> Vec<Note> {
    let mut notes = Vec::new();
    let mut breaking = |t: String| {
        notes.push(Note {
            impact: Impact::Breaking,
            text: t,
        })
    };
    if old.status != new.status {
        breaking(format!(
            "status {} → {}",
            opt(&old.status),
            opt(&new.status)
        ));
    }
    if old.category != new.category {
        breaking(format!("category {} → {}", old.category, new.category));
    }
    if old.numeric_code != new.numeric_code {
        breaking(format!(
            "numeric code {} → {}",
            opt(&old.numeric_code),
            opt(&new.numeric_code)
        ));
    }
    let removed: Vec<_> = old
        .params
        .iter()
        .filter(|p| new.param(&p.name).is_none())
        .collect();
    let added: Vec<_> = new
        .params
        .iter()
        .filter(|p| old.param(&p.name).is_none())
        .collect();
    if removed.len() == 1 && added.len() == 1 && removed[0].ty == added[0].ty {
        breaking(format!(
            "parameter `{}` renamed to `{}`",
            removed[0].name, added[0].name
        ));
    } else {
        for p in &removed {
            breaking(format!("parameter `{}` removed", p.name));
        }
    }
    for p in &old.params {
        if let Some(q) = new.param(&p.name)
            && q.ty != p.ty
        {
            breaking(format!(
                "parameter `{}` type {} → {}",
                p.name,
                p.ty.as_str(),
                q.ty.as_str()
            ));
        }
    }
    for (h, _) in &old.headers {
        if !new.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(h)) {
            breaking(format!("header `{h}` no longer sent"));
        }
    }
    let mut compatible = |t: String| {
        notes.push(Note {
            impact: Impact::Compatible,
            text: t,
        })
    };
    if !(removed.len() == 1 && added.len() == 1 && removed[0].ty == added[0].ty) {
        for p in &added {
            compatible(format!("parameter `{}` added", p.name));
        }
    }
    for (h, _) in &new.headers {
        if !old.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(h)) {
            compatible(format!("header `{h}` added"));
        }
    }
    if old.title != new.title {
        compatible(format!("title reworded: “{}” → “{}”", old.title, new.title));
    }
    if old.message.raw != new.message.raw {
        compatible(format!(
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
        compatible(format!("docs updated: {}", changed.join(", ")));
    }
    if old.retryable != new.retryable {
        compatible(format!(
            "now {}",
            if new.retryable {
                "retryable"
            } else {
                "not retryable"
            }
        ));
    }
    if old.retry_after != new.retry_after {
        compatible(format!(
            "retry delay {} → {} s",
            opt(&old.retry_after),
            opt(&new.retry_after)
        ));
    }
    if old.deprecated != new.deprecated && new.deprecated.is_some() {
        compatible("deprecated".to_owned());
    }
    if old.replaced_by != new.replaced_by {
        compatible(format!("replaced by {}", opt(&new.replaced_by)));
    }
    if old.since != new.since {
        compatible(format!("since {} → {}", opt(&old.since), opt(&new.since)));
    }
    if old.visibility != new.visibility {
        compatible(if new.is_public() {
            "now in the public reference".to_owned()
        } else {
            "now internal (no longer in the public reference)".to_owned()
        });
    }
    notes
}

fn impact(notes: &[Note]) -> Impact {
    notes
        .iter()
        .map(|n| n.impact)
        .max()
        .unwrap_or(Impact::Compatible)
}

/// Same meaning, different code: the old error is gone and a new one has
/// its numeric code, or its status, category and message.
fn renamed_from<'a>(new: &ErrorDef, gone: &[&'a ErrorDef]) -> Option<&'a ErrorDef> {
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

/// Compares two versions of a catalog. Catalogs with different envelopes
/// are refused: they are not versions of one error format.
pub fn diff(old: &Catalog, new: &Catalog) -> Result<Diff, DiffError> {
    if old.api.envelope != new.api.envelope {
        return Err(DiffError::DifferentEnvelopes {
            old: old.api.envelope.clone(),
            new: new.api.envelope.clone(),
        });
    }
    let mut out = Diff::default();
    if let (Some(a), Some(b)) = (
        old.envelope(&old.api.envelope),
        new.envelope(&new.api.envelope),
    ) {
        if a.body != b.body {
            out.envelope.push(format!(
                "envelope `{}` body changed shape: {} → {}",
                a.name, a.body, b.body
            ));
        }
        if a.violation != b.violation {
            out.envelope.push(format!(
                "envelope `{}` field-violation shape changed: {} → {}",
                a.name, a.violation, b.violation
            ));
        }
        if a.media_type != b.media_type {
            out.envelope.push(format!(
                "envelope `{}` Content-Type {} → {}",
                a.name, a.media_type, b.media_type
            ));
        }
    }
    let mut gone: Vec<&ErrorDef> = old
        .errors
        .iter()
        .filter(|e| new.get(&e.code).is_none())
        .collect();
    for e in &new.errors {
        if let Some(o) = old.get(&e.code) {
            let notes = compare(o, e);
            if !notes.is_empty() {
                out.changes.push(Change {
                    code: e.code.clone(),
                    kind: Kind::Changed,
                    impact: impact(&notes),
                    notes,
                    summary: summary(e),
                });
            }
        } else if let Some(o) = renamed_from(e, &gone) {
            gone.retain(|g| g.code != o.code);
            let mut notes = vec![Note {
                impact: Impact::Breaking,
                text: format!("code renamed from `{}`", o.code),
            }];
            notes.extend(compare(o, e));
            out.changes.push(Change {
                code: e.code.clone(),
                kind: Kind::Renamed {
                    from: o.code.clone(),
                },
                impact: Impact::Breaking,
                notes,
                summary: summary(e),
            });
        } else {
            out.changes.push(Change {
                code: e.code.clone(),
                kind: Kind::Added,
                impact: Impact::Compatible,
                notes: vec![Note {
                    impact: Impact::Compatible,
                    text: format!("new error: {}", e.title),
                }],
                summary: summary(e),
            });
        }
    }
    for o in gone {
        out.changes.push(Change {
            code: o.code.clone(),
            kind: Kind::Removed,
            impact: Impact::Breaking,
            notes: vec![Note {
                impact: Impact::Breaking,
                text: "code removed: clients matching on it no longer see it".to_owned(),
            }],
            summary: summary(o),
        });
    }
    Ok(out)
}

impl Diff {
    /// Adds the codes of `new` whose meaning differs from the lock (such as
    /// a retired code reused for something else).
    pub fn check_lock(&mut self, lock: &Lock, new: &Catalog) {
        self.lock = lock.check(new);
    }

    /// Whether anything breaks clients.
    pub fn is_breaking(&self) -> bool {
        !self.envelope.is_empty()
            || !self.lock.is_empty()
            || self.changes.iter().any(|c| c.impact == Impact::Breaking)
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.envelope.is_empty() && self.lock.is_empty()
    }

    fn counts(&self) -> (usize, usize) {
        let b = self
            .changes
            .iter()
            .filter(|c| c.impact == Impact::Breaking)
            .count()
            + self.envelope.len()
            + self.lock.len();
        let c = self
            .changes
            .iter()
            .filter(|c| c.impact == Impact::Compatible)
            .count();
        (b, c)
    }

    /// A terminal report.
    pub fn human(&self) -> String {
        let mut s = String::new();
        if self.is_empty() {
            s.push_str("no changes\n");
            return s;
        }
        for e in &self.envelope {
            let _ = writeln!(s, "BREAKING    envelope  {e}");
        }
        for v in &self.lock {
            let _ = writeln!(s, "BREAKING    lock      {v}");
        }
        let mut sorted: Vec<&Change> = self.changes.iter().collect();
        sorted.sort_by_key(|c| std::cmp::Reverse(c.impact));
        for c in sorted {
            let tag = match c.impact {
                Impact::Breaking => "BREAKING  ",
                Impact::Compatible => "compatible",
            };
            let _ = writeln!(
                s,
                "{tag}  {:<8}  {} ({})",
                c.kind.as_str(),
                c.code,
                c.summary
            );
            for n in &c.notes {
                let mark = if n.impact == Impact::Breaking {
                    "!"
                } else {
                    "-"
                };
                let _ = writeln!(s, "              {mark} {}", n.text);
            }
        }
        let (b, c) = self.counts();
        let _ = writeln!(s, "\n{b} breaking, {c} compatible change(s)");
        s
    }

    /// A machine-readable report.
    pub fn to_json(&self) -> Value {
        let (b, c) = self.counts();
        json!({
            "breaking": self.is_breaking(),
            "counts": {"breaking": b, "compatible": c},
            "envelope": self.envelope,
            "lock": self.lock.iter().map(|v| json!({
                "code": v.code,
                "retired": v.locked.retired,
                "message": v.to_string(),
            })).collect::<Vec<_>>(),
            "changes": self.changes.iter().map(|c| {
                let mut o = json!({
                    "code": c.code,
                    "kind": c.kind.as_str(),
                    "impact": c.impact.as_str(),
                    "summary": c.summary,
                    "notes": c.notes.iter().map(|n| json!({"impact": n.impact.as_str(), "text": n.text})).collect::<Vec<_>>(),
                });
                if let Kind::Renamed { from } = &c.kind {
                    o["from"] = Value::String(from.clone());
                }
                o
            }).collect::<Vec<_>>(),
        })
    }

    /// A changelog section in Markdown, titled `heading`.
    pub fn markdown(&self, heading: &str) -> String {
        let mut s = format!("## {heading}\n\n");
        if self.is_empty() {
            s.push_str("No changes to the error catalog.\n");
            return s;
        }
        let code = |c: &str| format!("`{}`", c.replace('`', "'"));
        let breaking: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.impact == Impact::Breaking)
            .collect();
        if self.is_breaking() {
            s.push_str("### Breaking changes\n\n");
            for e in &self.envelope {
                let _ = writeln!(s, "- {e}");
            }
            for v in &self.lock {
                let _ = writeln!(s, "- {v}");
            }
            for c in &breaking {
                let texts: Vec<&str> = c
                    .notes
                    .iter()
                    .filter(|n| n.impact == Impact::Breaking)
                    .map(|n| n.text.as_str())
                    .collect();
                let _ = writeln!(
                    s,
                    "- {} ({}): {}",
                    code(&c.code),
                    c.summary,
                    texts.join("; ")
                );
            }
            s.push('\n');
        }
        let added: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.kind == Kind::Added)
            .collect();
        if !added.is_empty() {
            s.push_str("### Added\n\n");
            for c in added {
                let title = c
                    .notes
                    .first()
                    .map_or("", |n| n.text.trim_start_matches("new error: "));
                let _ = writeln!(s, "- {} ({}): {title}", code(&c.code), c.summary);
            }
            s.push('\n');
        }
        let changed: Vec<(&Change, Vec<&str>)> = self
            .changes
            .iter()
            .filter(|c| c.kind != Kind::Added)
            .map(|c| {
                (
                    c,
                    c.notes
                        .iter()
                        .filter(|n| n.impact == Impact::Compatible)
                        .map(|n| n.text.as_str())
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, t)| !t.is_empty())
            .collect();
        if !changed.is_empty() {
            s.push_str("### Changed\n\n");
            for (c, texts) in changed {
                let _ = writeln!(s, "- {}: {}", code(&c.code), texts.join("; "));
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(body: &str) -> Catalog {
        Catalog::from_str(&format!("[api]\nname = \"T\"\n{body}"), "errors.toml").unwrap()
    }

    #[test]
    fn classifies_changes() {
        let old = cat(r#"
[[errors]]
code = "A_NOT_FOUND"
status = 404
message = "A {id} not found"
params = { id = "string" }
[[errors]]
code = "B_GONE"
status = 410
message = "B"
[[errors]]
code = "C_OLD"
numeric_code = 4001
status = 400
message = "C"
"#);
        let new = cat(r#"
[[errors]]
code = "A_NOT_FOUND"
status = 404
message = "Thing {thing} not found"
params = { thing = "string" }
[[errors]]
code = "C_NEW"
numeric_code = 4001
status = 400
message = "C"
[[errors]]
code = "D_ADDED"
status = 409
message = "D"
"#);
        let d = diff(&old, &new).unwrap();
        assert!(d.is_breaking());
        let by = |c: &str| d.changes.iter().find(|x| x.code == c).unwrap();
        assert!(
            by("A_NOT_FOUND")
                .notes
                .iter()
                .any(|n| n.text.contains("renamed to `thing`"))
        );
        assert_eq!(by("B_GONE").kind, Kind::Removed);
        assert_eq!(
            by("C_NEW").kind,
            Kind::Renamed {
                from: "C_OLD".into()
            }
        );
        assert_eq!(by("D_ADDED").impact, Impact::Compatible);
        let md = d.markdown("v2");
        assert!(
            md.contains("### Breaking changes") && md.contains("### Added"),
            "{md}"
        );
        let only_docs = cat(r#"
[[errors]]
code = "A_NOT_FOUND"
status = 404
message = "A {id} was not found"
params = { id = "string" }
description = "New docs"
[[errors]]
code = "B_GONE"
status = 410
message = "B"
[[errors]]
code = "C_OLD"
numeric_code = 4001
status = 400
message = "C"
"#);
        let d = diff(&old, &only_docs).unwrap();
        assert!(!d.is_breaking(), "{}", d.human());
        assert_eq!(d.changes.len(), 1);
    }
}
