//! The reports of a [`Diff`]: for a terminal, as JSON, and as a Markdown
//! changelog section.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Change, Diff, Impact, Kind};

impl Diff {
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
        let _ = writeln!(
            s,
            "\n{b} breaking, {}",
            crate::plural::count(c as u64, "compatible change", "compatible changes")
        );
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
        if self.is_breaking() {
            self.markdown_breaking(&mut s);
        }
        self.markdown_added(&mut s);
        self.markdown_changed(&mut s);
        s
    }

    fn markdown_breaking(&self, s: &mut String) {
        s.push_str("### Breaking changes\n\n");
        for e in &self.envelope {
            let _ = writeln!(s, "- {e}");
        }
        for v in &self.lock {
            let _ = writeln!(s, "- {v}");
        }
        for c in self.changes.iter().filter(|c| c.impact == Impact::Breaking) {
            let texts = texts(c, Impact::Breaking);
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

    fn markdown_added(&self, s: &mut String) {
        let added: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.kind == Kind::Added)
            .collect();
        if added.is_empty() {
            return;
        }
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

    fn markdown_changed(&self, s: &mut String) {
        let changed: Vec<(&Change, Vec<&str>)> = self
            .changes
            .iter()
            .filter(|c| c.kind != Kind::Added)
            .map(|c| (c, texts(c, Impact::Compatible)))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        if changed.is_empty() {
            return;
        }
        s.push_str("### Changed\n\n");
        for (c, texts) in changed {
            let _ = writeln!(s, "- {}: {}", code(&c.code), texts.join("; "));
        }
        s.push('\n');
    }
}

/// A code in Markdown backticks (a backtick in it becomes a quote).
fn code(c: &str) -> String {
    format!("`{}`", c.replace('`', "'"))
}

/// The texts of a change's notes of one impact.
fn texts(c: &Change, impact: Impact) -> Vec<&str> {
    c.notes
        .iter()
        .filter(|n| n.impact == impact)
        .map(|n| n.text.as_str())
        .collect()
}
