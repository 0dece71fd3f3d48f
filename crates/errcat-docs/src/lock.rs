//! `errors.lock`: every error code an API has ever published, with its
//! meaning (status, category, numeric code). Append-only: `errcat lock`
//! adds new codes and marks codes that left the catalog `retired`, and
//! refuses a catalog that gives a locked code a different meaning, so a
//! retired code can never come back meaning something else.
//!
//! The file is plain text, one code per line, sorted:
//!
//! ```text
//! # errors.lock: ...
//! AUTH-401 status=401 category=AUTH
//! OLD_CODE status=404 category=NOT_FOUND numeric=4041 retired
//! ```

use std::collections::BTreeMap;
use std::fmt;

use errcat_catalog::{Catalog, Diagnostic, ErrorDef};

/// The usual file name.
pub const FILE_NAME: &str = "errors.lock";

const HEADER: &str = "\
# errors.lock: every error code this API has published, with its meaning.
# Written by `errcat lock`; review changes like code. Append-only: a code is
# never removed, and a code marked `retired` may only come back with the
# same status, category and numeric code.
";

/// What a code means to clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The HTTP status, `None` for errors never sent by the server.
    pub status: Option<u16>,
    /// The category.
    pub category: String,
    /// The numeric code, if any.
    pub numeric_code: Option<i64>,
    /// Whether the code has left the catalog.
    pub retired: bool,
}

impl Entry {
    fn of(e: &ErrorDef) -> Self {
        Entry {
            status: e.status,
            category: e.category.clone(),
            numeric_code: e.numeric_code,
            retired: false,
        }
    }

    fn same_meaning(&self, other: &Entry) -> bool {
        self.status == other.status
            && self.category == other.category
            && self.numeric_code == other.numeric_code
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(s) => write!(f, "status {s}")?,
            None => f.write_str("no status")?,
        }
        write!(f, ", category {}", self.category)?;
        if let Some(n) = self.numeric_code {
            write!(f, ", numeric code {n}")?;
        }
        Ok(())
    }
}

/// A catalog error whose meaning differs from the lock's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The code.
    pub code: String,
    /// What the lock says.
    pub locked: Entry,
    /// What the catalog says now.
    pub now: Entry,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.locked.retired {
            write!(
                f,
                "`{}` is a retired code (published with {}); the catalog reuses it with {}: a retired code cannot be reused for a different meaning, pick a new code",
                self.code, self.locked, self.now
            )
        } else {
            write!(
                f,
                "`{}` was published with {}; the catalog now gives it {}: clients rely on a code's meaning, add a new code instead",
                self.code, self.locked, self.now
            )
        }
    }
}

/// The contents of an `errors.lock`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lock {
    /// Every code ever published.
    pub entries: BTreeMap<String, Entry>,
}

impl Lock {
    /// Reads a lock file's text; the error names the line.
    pub fn parse(text: &str) -> Result<Lock, String> {
        let mut entries = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| format!("line {}: {why}: `{line}`", n + 1);
            let mut words = line.split_whitespace();
            let code = words.next().ok_or_else(|| bad("no code"))?.to_owned();
            let mut entry = Entry {
                status: None,
                category: String::new(),
                numeric_code: None,
                retired: false,
            };
            for w in words {
                match w.split_once('=') {
                    Some(("status", v)) => {
                        entry.status = Some(v.parse().map_err(|_| bad("bad status"))?);
                    }
                    Some(("category", v)) => entry.category = v.to_owned(),
                    Some(("numeric", v)) => {
                        entry.numeric_code = Some(v.parse().map_err(|_| bad("bad numeric code"))?);
                    }
                    None if w == "retired" => entry.retired = true,
                    _ => return Err(bad(&format!("unknown field `{w}`"))),
                }
            }
            if entry.category.is_empty() {
                return Err(bad("no category"));
            }
            if entries.insert(code.clone(), entry).is_some() {
                return Err(bad(&format!("`{code}` is listed twice")));
            }
        }
        Ok(Lock { entries })
    }

    /// The file's text: a header, then one sorted line per code.
    pub fn to_text(&self) -> String {
        let mut s = String::from(HEADER);
        for (code, e) in &self.entries {
            s.push_str(code);
            if let Some(st) = e.status {
                s.push_str(&format!(" status={st}"));
            }
            s.push_str(" category=");
            s.push_str(&e.category);
            if let Some(n) = e.numeric_code {
                s.push_str(&format!(" numeric={n}"));
            }
            if e.retired {
                s.push_str(" retired");
            }
            s.push('\n');
        }
        s
    }

    /// The catalog's errors whose meaning differs from the lock.
    pub fn check(&self, catalog: &Catalog) -> Vec<Violation> {
        catalog
            .errors
            .iter()
            .filter_map(|e| {
                let locked = self.entries.get(&e.code)?;
                let now = Entry::of(e);
                (!locked.same_meaning(&now)).then(|| Violation {
                    code: e.code.clone(),
                    locked: locked.clone(),
                    now,
                })
            })
            .collect()
    }

    /// [`Lock::check`] as lint diagnostics (code `lock-conflict`), located
    /// at the entry's status, category or numeric code in the catalog, for
    /// `errcat lint` to report with the catalog's other problems.
    pub fn diagnostics(&self, catalog: &Catalog) -> Vec<Diagnostic> {
        self.check(catalog)
            .into_iter()
            .map(|v| {
                let e = catalog
                    .get(&v.code)
                    .expect("checked codes are in the catalog");
                let span = if v.locked.status != v.now.status {
                    e.spans.status.clone()
                } else if v.locked.category != v.now.category {
                    e.spans.category.clone()
                } else {
                    e.spans.numeric_code.clone()
                }
                .or_else(|| e.spans.code.clone());
                Diagnostic::error("lock-conflict", v.to_string())
                    .at(span)
                    .label(format!("{FILE_NAME} has {}", v.locked))
                    .help("keep the locked meaning, or give the new meaning a new code")
            })
            .collect()
    }

    /// The lock after publishing `catalog`: new codes added, codes no longer
    /// in it marked retired, reinstated codes active again. Fails with the
    /// violations when the catalog changes a locked code's meaning.
    pub fn update(&self, catalog: &Catalog) -> Result<(Lock, Summary), Vec<Violation>> {
        let violations = self.check(catalog);
        if !violations.is_empty() {
            return Err(violations);
        }
        let mut next = self.clone();
        let mut summary = Summary::default();
        for e in &catalog.errors {
            match next.entries.get_mut(&e.code) {
                Some(entry) if entry.retired => {
                    entry.retired = false;
                    summary.reinstated.push(e.code.clone());
                }
                Some(_) => {}
                None => {
                    next.entries.insert(e.code.clone(), Entry::of(e));
                    summary.added.push(e.code.clone());
                }
            }
        }
        for (code, entry) in &mut next.entries {
            if !entry.retired && catalog.get(code).is_none() {
                entry.retired = true;
                summary.retired.push(code.clone());
            }
        }
        Ok((next, summary))
    }
}

/// What [`Lock::update`] changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Codes added to the lock.
    pub added: Vec<String>,
    /// Codes marked retired.
    pub retired: Vec<String>,
    /// Retired codes back in the catalog with their old meaning.
    pub reinstated: Vec<String>,
}

impl Summary {
    /// Whether the lock file changes.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.retired.is_empty() && self.reinstated.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(errors: &str) -> Catalog {
        Catalog::from_str(&format!("[api]\nname = \"T\"\n{errors}"), "errors.toml").unwrap()
    }

    #[test]
    fn round_trip_and_retire() {
        let a = cat("[[errors]]\ncode = \"GONE\"\nstatus = 404\nmessage = \"Gone\"\n");
        let (lock, s) = Lock::default().update(&a).unwrap();
        assert!(s.added.contains(&"GONE".to_owned()));
        assert_eq!(Lock::parse(&lock.to_text()).unwrap(), lock);
        let b = cat("");
        let (lock2, s2) = lock.update(&b).unwrap();
        assert_eq!(s2.retired, ["GONE"]);
        assert!(
            lock2
                .to_text()
                .contains("GONE status=404 category=NOT_FOUND retired")
        );
        // Reusing the retired code for another meaning is refused.
        let c = cat("[[errors]]\ncode = \"GONE\"\nstatus = 409\nmessage = \"Taken\"\n");
        let v = lock2.update(&c).unwrap_err();
        assert!(v[0].to_string().contains("retired code"), "{}", v[0]);
        let d = lock2.diagnostics(&c);
        assert_eq!(d[0].code, "lock-conflict");
        assert!(d[0].span.is_some());
        // With the same meaning it comes back.
        let (_, s3) = lock2.update(&a).unwrap();
        assert_eq!(s3.reinstated, ["GONE"]);
    }

    #[test]
    fn bad_lines_are_reported() {
        assert!(
            Lock::parse("X status=abc category=A")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(
            Lock::parse("X status=404")
                .unwrap_err()
                .contains("no category")
        );
    }
}
