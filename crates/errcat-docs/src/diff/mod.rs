//! What changed between two versions of a catalog, and whether it breaks
//! clients: the types and [`diff`] here, one error compared with its new
//! version in `compare.rs`, the envelope's shape in `envelope.rs`, and the
//! terminal, JSON and Markdown reports in `report.rs`.

mod compare;
mod envelope;
mod report;

use errcat_catalog::{Catalog, ErrorDef};

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

/// Compares two versions of a catalog. Catalogs with different envelopes
/// are refused: they are not versions of one error format.
pub fn diff(old: &Catalog, new: &Catalog) -> Result<Diff, DiffError> {
    if old.api.envelope != new.api.envelope {
        return Err(DiffError::DifferentEnvelopes {
            old: old.api.envelope.clone(),
            new: new.api.envelope.clone(),
        });
    }
    Ok(Diff {
        changes: error_changes(old, new),
        envelope: envelope::changes(old, new),
        lock: Vec::new(),
    })
}

/// Added, changed and renamed errors in the new catalog's order, then the
/// removed ones.
fn error_changes(old: &Catalog, new: &Catalog) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut gone: Vec<&ErrorDef> = old
        .errors
        .iter()
        .filter(|e| new.get(&e.code).is_none())
        .collect();
    for e in &new.errors {
        if let Some(o) = old.get(&e.code) {
            let notes = compare::notes(o, e);
            if !notes.is_empty() {
                changes.push(Change {
                    code: e.code.clone(),
                    kind: Kind::Changed,
                    impact: compare::impact(&notes),
                    notes,
                    summary: compare::summary(e),
                });
            }
        } else if let Some(o) = compare::renamed_from(e, &gone) {
            gone.retain(|g| g.code != o.code);
            let mut notes = vec![Note {
                impact: Impact::Breaking,
                text: format!("code renamed from `{}`", o.code),
            }];
            notes.extend(compare::notes(o, e));
            changes.push(Change {
                code: e.code.clone(),
                kind: Kind::Renamed {
                    from: o.code.clone(),
                },
                impact: Impact::Breaking,
                notes,
                summary: compare::summary(e),
            });
        } else {
            changes.push(Change {
                code: e.code.clone(),
                kind: Kind::Added,
                impact: Impact::Compatible,
                notes: vec![Note {
                    impact: Impact::Compatible,
                    text: format!("new error: {}", e.title),
                }],
                summary: compare::summary(e),
            });
        }
    }
    for o in gone {
        changes.push(Change {
            code: o.code.clone(),
            kind: Kind::Removed,
            impact: Impact::Breaking,
            notes: vec![Note {
                impact: Impact::Breaking,
                text: "code removed: clients matching on it no longer see it".to_owned(),
            }],
            summary: compare::summary(o),
        });
    }
    changes
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"
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
"#;

    fn cat(body: &str) -> Catalog {
        Catalog::from_str(&format!("[api]\nname = \"T\"\n{body}"), "errors.toml").unwrap()
    }

    #[test]
    fn classifies_changes() {
        let old = cat(OLD);
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
        // Reworded and documented: nothing breaks.
        let only_docs = cat(&OLD
            .replace("\"A {id} not found\"", "\"A {id} was not found\"")
            .replace(
                "params = { id = \"string\" }\n",
                "params = { id = \"string\" }\ndescription = \"New docs\"\n",
            ));
        let d = diff(&old, &only_docs).unwrap();
        assert!(!d.is_breaking(), "{}", d.human());
        assert_eq!(d.changes.len(), 1);
    }
}
