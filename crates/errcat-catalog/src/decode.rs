//! Node tree → raw catalog entries, reporting every problem with its span.

use std::ops::Range;

use crate::decode_template::URL_VARS;
use crate::diagnostic::Diagnostic;
use crate::model::{IdScheme, Message, StatusRange};
use crate::node::{Entry, Kind, Node};

pub(crate) type Span = Range<usize>;

pub(crate) use crate::raw::*;

/// The names of the built-in envelopes.
pub(crate) const BUILTIN_ENVELOPES: &[&str] = &["problem", "google"];

pub(crate) struct Decoder<'s> {
    pub(crate) diags: Vec<Diagnostic>,
    /// The catalog's text, to point into templates.
    pub(crate) source: &'s str,
}

/// The closest of `candidates` to `word`, if close enough to suggest.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

impl<'s> Decoder<'s> {
    pub(crate) fn new(source: &'s str) -> Self {
        Decoder {
            diags: Vec::new(),
            source,
        }
    }

    pub(crate) fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub(crate) fn type_error(&mut self, node: &Node, what: &str, expected: &str) {
        self.err(
            Diagnostic::error(
                "invalid-type",
                format!(
                    "`{what}` must be {expected}, found {}",
                    node.kind.type_name()
                ),
            )
            .at(Some(node.span.clone()))
            .label(format!("expected {expected}")),
        );
    }

    /// Reports keys of `entries` that are not in `allowed`.
    pub(crate) fn check_keys(&mut self, entries: &[Entry], allowed: &[&str], what: &str) {
        for e in entries {
            let key: &str = &e.key;
            let known = if std::ptr::eq(allowed, ERROR_KEYS) {
                is_error_key(key)
            } else {
                allowed.contains(&key)
            };
            if !known {
                let mut d =
                    Diagnostic::error("unknown-key", format!("unknown key `{}` in {what}", e.key))
                        .at(Some(e.key_span.clone()))
                        .label("unknown key");
                d = match did_you_mean(&e.key, allowed.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!(
                        "the keys of {what} are: {}",
                        allowed
                            .iter()
                            .filter(|k| !k.starts_with('$'))
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.err(d);
            }
        }
    }

    pub(crate) fn table<'n, 'a>(
        &mut self,
        node: &'n Node<'a>,
        what: &str,
    ) -> Option<&'n [Entry<'a>]> {
        match &node.kind {
            Kind::Table(entries) => Some(entries),
            _ => {
                self.type_error(node, what, "a table");
                None
            }
        }
    }

    pub(crate) fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            Kind::Str(s) => Some(s.to_string()),
            _ => {
                self.type_error(node, what, "a string");
                None
            }
        }
    }

    pub(crate) fn nonempty_string(&mut self, node: &Node, what: &str) -> Option<String> {
        let s = self.string(node, what)?;
        if s.trim().is_empty() {
            self.err(
                Diagnostic::error("empty-value", format!("`{what}` must not be empty"))
                    .at(Some(node.span.clone())),
            );
            return None;
        }
        Some(s)
    }

    pub(crate) fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.kind {
            Kind::Bool(b) => Some(*b),
            _ => {
                self.type_error(node, what, "a boolean");
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, node: &Node, what: &str) -> Option<i64> {
        match &node.kind {
            Kind::Int(i) => Some(*i),
            _ => {
                self.type_error(node, what, "an integer");
                None
            }
        }
    }

    /// A string or an array of strings (`resolution = "one step"` or a list).
    pub(crate) fn strings(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        match &node.kind {
            Kind::Str(s) => Some(vec![s.to_string()]),
            Kind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                out.extend(items.iter().filter_map(|i| self.string(i, what)));
                Some(out)
            }
            _ => {
                self.type_error(node, what, "a string or an array of strings");
                None
            }
        }
    }

    pub(crate) fn message(&mut self, node: &Node, what: &str) -> Option<At<Message>> {
        let raw = self.string(node, what)?;
        match Message::parse_owned(raw) {
            Ok(m) => Some(At {
                value: m,
                span: node.span.clone(),
            }),
            Err((_, msg)) => {
                self.err(
                    Diagnostic::error("invalid-placeholder", format!("`{what}`: {msg}"))
                        .at(Some(node.span.clone())),
                );
                None
            }
        }
    }

    pub(crate) fn document(&mut self, root: &Node) -> RawCatalog {
        let mut cat = RawCatalog::default();
        let Some(entries) = self.table(root, "the catalog") else {
            return cat;
        };
        self.check_keys(entries, TOP_KEYS, "the catalog");
        for e in entries {
            match e.key.as_ref() {
                "api" => {
                    cat.api_span = Some(e.key_span.start..e.value.span.end);
                    cat.api = self.api(&e.value);
                }
                "categories" => cat.categories = self.categories(&e.value),
                "errors" => match &e.value.kind {
                    Kind::Array(items) => {
                        cat.errors = items.iter().filter_map(|i| self.error(i)).collect();
                    }
                    _ => self.type_error(&e.value, "errors", "an array of tables (`[[errors]]`)"),
                },
                "guides" => match &e.value.kind {
                    Kind::Array(items) => {
                        cat.guides = items.iter().filter_map(|i| self.guide(i)).collect();
                    }
                    _ => self.type_error(&e.value, "guides", "an array of tables (`[[guides]]`)"),
                },
                "envelopes" => cat.envelopes = self.envelopes(&e.value),
                "docs" => cat.docs = self.docs(&e.value),
                _ => {}
            }
        }
        cat
    }

    fn api(&mut self, node: &Node) -> RawApi {
        let mut api = RawApi::default();
        let Some(entries) = self.table(node, "api") else {
            return api;
        };
        self.check_keys(entries, API_KEYS, "`[api]`");
        for e in entries {
            let v = &e.value;
            match e.key.as_ref() {
                "name" => api.name = self.nonempty_string(v, "api.name"),
                "version" => api.version = self.string(v, "api.version"),
                "docs_url" => api.docs_url = self.string(v, "api.docs_url"),
                "domain" => api.domain = self.string(v, "api.domain"),
                "envelope" => {
                    api.envelope = self.string(v, "api.envelope").map(|s| At {
                        value: s,
                        span: v.span.clone(),
                    });
                }
                "locale" => api.locale = self.nonempty_string(v, "api.locale"),
                "error_id" => {
                    if let Some(s) = self.string(v, "api.error_id") {
                        api.error_id = IdScheme::parse(&s);
                        if api.error_id.is_none() {
                            self.unknown_name(v, "error id scheme", &s, IdScheme::NAMES);
                        }
                    }
                }
                "request_id_header" => {
                    api.request_id_header = match &v.kind {
                        Kind::Bool(false) => Some(None),
                        _ => self.header_name(v, "api.request_id_header").map(Some),
                    };
                }
                "doc_url" => api.doc_url = self.text_template(v, "api.doc_url", Some(URL_VARS)),
                "standard_errors" => {
                    if let Some(s) = self.string(v, "api.standard_errors") {
                        match s.as_str() {
                            "public" => api.standard_public = Some(true),
                            "internal" => api.standard_public = Some(false),
                            _ => self.unknown_name(
                                v,
                                "standard_errors value",
                                &s,
                                &["public", "internal"],
                            ),
                        }
                    }
                }
                _ => {}
            }
        }
        api
    }

    pub(crate) fn unknown_name(&mut self, node: &Node, what: &str, got: &str, names: &[&str]) {
        let list = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match did_you_mean(got, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? (one of {list})"),
            None => format!("use one of {list}"),
        };
        self.err(
            Diagnostic::error("unknown-value", format!("unknown {what} `{got}`"))
                .at(Some(node.span.clone()))
                .help(help),
        );
    }

    fn categories(&mut self, node: &Node) -> Vec<RawCategory> {
        let Some(entries) = self.table(node, "categories") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries {
            let span = e.key_span.start..e.value.span.end;
            let mut cat = RawCategory {
                name: e.key.to_string(),
                description: String::new(),
                statuses: Vec::new(),
                span,
            };
            match &e.value.kind {
                Kind::Str(s) => cat.description = s.to_string(),
                Kind::Table(fields) => {
                    self.check_keys(fields, CATEGORY_KEYS, "a category");
                    for f in fields {
                        match f.key.as_ref() {
                            "description" => {
                                cat.description =
                                    self.string(&f.value, "description").unwrap_or_default();
                            }
                            "statuses" => cat.statuses = self.statuses(&f.value),
                            _ => {}
                        }
                    }
                }
                _ => {
                    self.type_error(
                        &e.value,
                        &format!("categories.{}", e.key),
                        "a string or a table",
                    );
                    continue;
                }
            }
            out.push(cat);
        }
        out
    }

    fn statuses(&mut self, node: &Node) -> Vec<StatusRange> {
        let Kind::Array(items) = &node.kind else {
            self.type_error(node, "statuses", "an array");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let range = match &item.kind {
                Kind::Int(i) => u16::try_from(*i)
                    .ok()
                    .map(|s| StatusRange { from: s, to: s }),
                Kind::Str(s) => parse_status_range(s),
                _ => None,
            };
            match range {
                Some(r) if r.from >= 100 && r.to <= 599 && r.from <= r.to => out.push(r),
                _ => self.err(
                    Diagnostic::error("invalid-status", "a status range is a status (`404`), a class (`4xx`) or a range (`500-504`)")
                        .at(Some(item.span.clone())),
                ),
            }
        }
        out
    }

    fn guide(&mut self, node: &Node) -> Option<RawGuide> {
        let fields = self.table(node, "a guide")?;
        self.check_keys(fields, GUIDE_KEYS, "a guide");
        let mut id = None;
        let mut title = None;
        let mut body = None;
        let mut category = None;
        for f in fields {
            let v = &f.value;
            match f.key.as_ref() {
                "id" => id = self.nonempty_string(v, "id"),
                "title" => title = self.nonempty_string(v, "title"),
                "body" => body = self.string(v, "body"),
                "category" => {
                    category = self.string(v, "category").map(|s| At {
                        value: s,
                        span: v.span.clone(),
                    });
                }
                _ => {}
            }
        }
        let Some(title) = title else {
            if !fields.iter().any(|f| f.key == "title") {
                self.err(
                    Diagnostic::error("missing-key", "a guide needs a `title`")
                        .at(Some(node.span.clone())),
                );
            }
            return None;
        };
        Some(RawGuide {
            id: id.unwrap_or_else(|| slug(&title)),
            title,
            body: body.unwrap_or_default(),
            category,
        })
    }
}

pub(crate) fn at<T>(value: T, node: &Node) -> At<T> {
    At {
        value,
        span: node.span.clone(),
    }
}

fn parse_status_range(s: &str) -> Option<StatusRange> {
    let s = s.trim();
    if let Some(class) = s.strip_suffix("xx").or_else(|| s.strip_suffix("XX")) {
        let c: u16 = class.parse().ok()?;
        return Some(StatusRange {
            from: c * 100,
            to: c * 100 + 99,
        });
    }
    if let Some((a, b)) = s.split_once('-') {
        return Some(StatusRange {
            from: a.trim().parse().ok()?,
            to: b.trim().parse().ok()?,
        });
    }
    let n = s.parse().ok()?;
    Some(StatusRange { from: n, to: n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_keys_match() {
        for k in ERROR_KEYS {
            assert!(is_error_key(k), "{k}");
        }
        let others = ["", "codes", "Code", "type", "name", "retry", "status_"];
        for k in others
            .iter()
            .chain(API_KEYS)
            .chain(GUIDE_KEYS)
            .chain(PARAM_KEYS)
        {
            assert_eq!(is_error_key(k), ERROR_KEYS.contains(k), "{k}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Webhook Signature Errors"), "webhook-signature-errors");
        assert_eq!(slug("  What's next? "), "what-s-next");
    }

    #[test]
    fn status_ranges() {
        assert_eq!(
            parse_status_range("4xx"),
            Some(StatusRange { from: 400, to: 499 })
        );
        assert_eq!(
            parse_status_range("500-504"),
            Some(StatusRange { from: 500, to: 504 })
        );
        assert_eq!(
            parse_status_range("404"),
            Some(StatusRange { from: 404, to: 404 })
        );
        assert_eq!(parse_status_range("x"), None);
    }
}
