//! The `[docs]` table: how the reference site lays out its page.

use crate::decode::{At, Decoder, did_you_mean};
use crate::diagnostic::Diagnostic;
use crate::model::Guide;
use crate::node::{Kind, Node};

pub(crate) const DOCS_KEYS: &[&str] = &["overview", "status_headings", "sections"];

/// The built-in sections of the reference page, as `[docs] sections` names them.
pub const BUILTIN_SECTIONS: &[&str] = &["format", "categories", "overview", "errors"];

/// How the overview table at the top of the reference groups the errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overview {
    /// One group per category.
    Category,
    /// One group per HTTP status.
    Status,
    /// No overview table.
    None,
}

impl Overview {
    /// The name used in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Overview::Category => "category",
            Overview::Status => "status",
            Overview::None => "none",
        }
    }

    pub(crate) const NAMES: &'static [&'static str] = &["category", "status", "none"];

    fn parse(s: &str) -> Option<Self> {
        match s {
            "category" => Some(Overview::Category),
            "status" => Some(Overview::Status),
            "none" => Some(Overview::None),
            _ => None,
        }
    }
}

/// The `[docs]` table: the reference site's layout.
///
/// ```
/// let catalog = errcat_catalog::Catalog::from_str(r#"
/// [api]
/// name = "Shop"
/// [docs]
/// overview = "status"
/// status_headings = { 404 = "Not Found Errors" }
/// sections = ["overview", "errors"]
/// [[errors]]
/// code = "ORDER_NOT_FOUND"
/// status = 404
/// message = "No such order"
/// "#, "errors.toml").unwrap();
/// assert_eq!(catalog.docs.overview, Some(errcat_catalog::Overview::Status));
/// assert_eq!(catalog.docs.status_heading(404), Some("Not Found Errors"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Docs {
    /// How the overview table groups errors; `None`: the site's default.
    pub overview: Option<Overview>,
    /// Headings of the overview's status groups (`400` → "Validation Errors").
    pub status_headings: Vec<(u16, String)>,
    /// The page's sections in order: built-in names ([`BUILTIN_SECTIONS`])
    /// and guide ids; empty: the site's default order.
    pub sections: Vec<String>,
}

impl Docs {
    /// The heading the catalog gives the overview group of `status`.
    pub fn status_heading(&self, status: u16) -> Option<&str> {
        self.status_headings
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, h)| h.as_str())
    }
}

/// `[docs]` as written, with the spans of section names.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawDocs {
    pub(crate) overview: Option<Overview>,
    pub(crate) status_headings: Vec<(u16, String)>,
    pub(crate) sections: Vec<At<String>>,
    pub(crate) sections_span: Option<crate::decode::Span>,
}

impl Decoder<'_> {
    pub(crate) fn docs(&mut self, node: &Node) -> RawDocs {
        let mut docs = RawDocs::default();
        let Some(entries) = self.table(node, "docs") else {
            return docs;
        };
        self.check_keys(entries, DOCS_KEYS, "`[docs]`");
        for e in entries {
            let v = &e.value;
            match e.key.as_ref() {
                "overview" => docs.overview = self.overview(v),
                "status_headings" => docs.status_headings = self.status_headings(v),
                "sections" => {
                    if let Some(names) = self.section_names(v) {
                        docs.sections_span = Some(v.span.clone());
                        docs.sections = names;
                    }
                }
                _ => {}
            }
        }
        docs
    }

    fn overview(&mut self, v: &Node) -> Option<Overview> {
        let s = self.string(v, "docs.overview")?;
        let parsed = Overview::parse(&s);
        if parsed.is_none() {
            self.err(
                Diagnostic::error("unknown-value", format!("unknown overview `{s}`"))
                    .at(Some(v.span.clone()))
                    .help(format!("use one of: {}", Overview::NAMES.join(", "))),
            );
        }
        parsed
    }

    fn status_headings(&mut self, v: &Node) -> Vec<(u16, String)> {
        let Some(entries) = self.table(v, "docs.status_headings") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries {
            let status = e
                .key
                .parse::<u16>()
                .ok()
                .filter(|s| (100..=599).contains(s));
            let Some(status) = status else {
                self.err(
                    Diagnostic::error(
                        "invalid-status",
                        format!("`{}` is not an HTTP status", e.key),
                    )
                    .at(Some(e.key_span.clone()))
                    .help("the keys of `docs.status_headings` are statuses from 100 to 599"),
                );
                continue;
            };
            if let Some(h) = self.nonempty_string(&e.value, "docs.status_headings") {
                out.push((status, h));
            }
        }
        out
    }

    fn section_names(&mut self, v: &Node) -> Option<Vec<At<String>>> {
        let Kind::Array(items) = &v.kind else {
            self.type_error(v, "docs.sections", "an array of strings");
            return None;
        };
        let names = items
            .iter()
            .filter_map(|i| {
                self.nonempty_string(i, "docs.sections").map(|s| At {
                    value: s,
                    span: i.span.clone(),
                })
            })
            .collect();
        Some(names)
    }
}

/// Checks section names against the built-in ones and the guides' ids.
pub(crate) fn resolve(raw: RawDocs, guides: &[Guide], diags: &mut Vec<Diagnostic>) -> Docs {
    let mut names: Vec<&str> = BUILTIN_SECTIONS.to_vec();
    names.extend(guides.iter().map(|g| g.id.as_str()));
    let mut sections: Vec<String> = Vec::with_capacity(raw.sections.len());
    for s in raw.sections {
        if sections.contains(&s.value) {
            diags.push(
                Diagnostic::error(
                    "duplicate-section",
                    format!("section `{}` is listed twice", s.value),
                )
                .at(Some(s.span))
                .help("a section appears once on the page: remove one of them"),
            );
        } else if names.contains(&s.value.as_str()) {
            sections.push(s.value);
        } else {
            let d = Diagnostic::error("unknown-section", format!("unknown section `{}`", s.value))
                .at(Some(s.span));
            diags.push(match did_you_mean(&s.value, names.iter().copied()) {
                Some(n) => d.help(format!("did you mean `{n}`?")),
                None => d.help(
                    "a section is `format`, `categories`, `overview`, `errors` or a guide's `id`",
                ),
            });
        }
    }
    if let Some(span) = raw.sections_span
        && !sections.iter().any(|s| s == "errors")
    {
        diags.push(
            Diagnostic::error("missing-section", "`docs.sections` leaves out `errors`")
                .at(Some(span))
                .help("add \"errors\" where the error reference goes"),
        );
    }
    Docs {
        overview: raw.overview,
        status_headings: raw.status_headings,
        sections,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Catalog, Overview};

    const BASE: &str = "[api]\nname = \"Shop\"\n[[guides]]\nid = \"intro\"\ntitle = \"Intro\"\n[[errors]]\ncode = \"GONE\"\nstatus = 410\nmessage = \"Gone\"\n";

    fn problems(docs: &str) -> Vec<(String, String)> {
        match Catalog::from_str(&format!("{BASE}{docs}"), "errors.toml") {
            Ok(_) => Vec::new(),
            Err(report) => report
                .diagnostics
                .iter()
                .filter(|d| d.severity == crate::Severity::Error)
                .map(|d| (d.code.to_string(), d.message.clone()))
                .collect(),
        }
    }

    #[test]
    fn reads_the_layout() {
        let c = Catalog::from_str(
            &format!(
                "{BASE}[docs]\noverview = \"status\"\nstatus_headings = {{ 410 = \"Gone Errors\" }}\nsections = [\"intro\", \"overview\", \"errors\"]\n"
            ),
            "errors.toml",
        )
        .unwrap();
        assert_eq!(c.docs.overview, Some(Overview::Status));
        assert_eq!(c.docs.status_heading(410), Some("Gone Errors"));
        assert_eq!(c.docs.status_heading(404), None);
        assert_eq!(c.docs.sections, ["intro", "overview", "errors"]);
        let plain = Catalog::from_str(BASE, "errors.toml").unwrap();
        assert_eq!(plain.docs, crate::Docs::default());
    }

    #[test]
    fn bad_layouts_are_errors_that_name_the_fix() {
        let cases: [(&str, &str, &str); 6] = [
            (
                "overview = \"tree\"",
                "unknown-value",
                "unknown overview `tree`",
            ),
            (
                "status_headings = { abc = \"x\" }",
                "invalid-status",
                "`abc` is not an HTTP status",
            ),
            (
                "sections = [\"errors\", \"intro\", \"errors\"]",
                "duplicate-section",
                "section `errors` is listed twice",
            ),
            (
                "sections = [\"errors\", \"overveiw\"]",
                "unknown-section",
                "unknown section `overveiw`",
            ),
            (
                "sections = [\"intro\"]",
                "missing-section",
                "`docs.sections` leaves out `errors`",
            ),
            (
                "sections = \"errors\"",
                "invalid-type",
                "`docs.sections` must be an array of strings, found a string",
            ),
        ];
        for (docs, code, message) in cases {
            let got = problems(&format!("[docs]\n{docs}\n"));
            assert_eq!(got, [(code.to_owned(), message.to_owned())], "{docs}");
        }
        let report = Catalog::from_str(
            &format!("{BASE}[docs]\nsections = [\"errors\", \"overveiw\"]\n"),
            "errors.toml",
        )
        .unwrap_err();
        assert_eq!(
            report.diagnostics[0].help.as_deref(),
            Some("did you mean `overview`?")
        );
    }
}
