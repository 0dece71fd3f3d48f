//! Envelopes and the other templates of a catalog (header values, doc
//! URLs): decoded into [`Tpl`]s, each mistake reported at its line and
//! column inside the template text.

use crate::decode::{At, BUILTIN_ENVELOPES, Decoder, ENVELOPE_KEYS, RawEnvelope};
use crate::diagnostic::Diagnostic;
use crate::node::{Kind, Node};
use crate::template::{self, Scope, Tpl, Var};

/// The variables a doc URL can use: what is known of an error before any
/// request.
pub(crate) const URL_VARS: &[&str] = &["code", "numeric_code", "category", "status", "title"];

/// Whether `name` is a valid HTTP header name (an RFC 9110 token).
pub(crate) fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Decoder<'_> {
    pub(crate) fn envelopes(&mut self, node: &Node) -> Vec<RawEnvelope> {
        let Some(entries) = self.table(node, "envelopes") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries {
            if BUILTIN_ENVELOPES.contains(&e.key.as_ref()) {
                self.err(
                    Diagnostic::error(
                        "reserved-name",
                        format!("`{}` is a built-in envelope", e.key),
                    )
                    .at(Some(e.key_span.clone()))
                    .help("give the custom envelope another name"),
                );
                continue;
            }
            let Some(fields) = self.table(&e.value, "an envelope") else {
                continue;
            };
            self.check_keys(fields, ENVELOPE_KEYS, "an envelope");
            let mut media_type = "application/json".to_owned();
            let mut body = None;
            let mut violation = serde_json::json!({"path": "$path", "message": "$message"});
            let mut violation_tpl = None;
            let mut status = None;
            let mut headers = Vec::new();
            let mut codes_by_status = Vec::new();
            for f in fields {
                let v = &f.value;
                match f.key.as_ref() {
                    "media_type" => {
                        if let Some(s) = self.nonempty_string(v, "media_type") {
                            media_type = s;
                        }
                    }
                    "body" => body = self.template(v, Scope::Body, "body"),
                    "violation" => {
                        if let Some((json, tpl)) = self.template(v, Scope::Violation, "violation") {
                            violation = json;
                            violation_tpl = Some(tpl);
                        }
                    }
                    "status" => status = self.wire_status(v),
                    "headers" => headers = self.header_templates(v),
                    "codes_by_status" => codes_by_status = self.codes_by_status(v),
                    _ => {}
                }
            }
            let violation_tpl =
                violation_tpl.unwrap_or_else(|| template::build(&violation, Scope::Violation).0);
            match body {
                Some((body, body_tpl)) => out.push(RawEnvelope {
                    name: e.key.to_string(),
                    media_type,
                    body,
                    violation,
                    body_tpl,
                    violation_tpl,
                    status,
                    headers,
                    codes_by_status,
                    span: e.key_span.start..e.value.span.end,
                }),
                None if !fields.iter().any(|f| f.key == "body") => self.err(
                    Diagnostic::error(
                        "missing-key",
                        format!("envelope `{}` needs a `body` template", e.key),
                    )
                    .at(Some(e.key_span.clone())),
                ),
                None => {}
            }
        }
        out
    }

    /// `status`: the HTTP status every error of the envelope is sent with.
    fn wire_status(&mut self, v: &Node) -> Option<u16> {
        let i = self.integer(v, "status")?;
        match u16::try_from(i) {
            Ok(s) if (200..=599).contains(&s) => Some(s),
            _ => {
                self.err(
                    Diagnostic::error("invalid-status", format!("status {i} is not an HTTP status"))
                        .at(Some(v.span.clone()))
                        .help("an envelope's `status` is the one every error is sent with, 200–599 (e.g. 200 for an API that answers errors with `ok: false`)"),
                );
                None
            }
        }
    }

    /// `headers`: response header templates, by name.
    fn header_templates(&mut self, v: &Node) -> Vec<(String, Tpl)> {
        let Some(entries) = self.table(v, "headers") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries {
            if !is_header_name(&e.key) {
                self.err(
                    Diagnostic::error(
                        "invalid-header",
                        format!("`{}` is not a valid header name", e.key),
                    )
                    .at(Some(e.key_span.clone()))
                    .help("a header name is letters, digits and !#$%&'*+-.^_`|~"),
                );
                continue;
            }
            let what = format!("headers.{}", e.key);
            if let Some(tpl) = self.text_template(&e.value, &what, None) {
                out.push((e.key.to_string(), tpl));
            }
        }
        out
    }

    /// `codes_by_status`: the code of a body that carries none, by status.
    fn codes_by_status(&mut self, v: &Node) -> Vec<(u16, At<String>)> {
        let Some(entries) = self.table(v, "codes_by_status") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries {
            let Some(status) = e
                .key
                .parse::<u16>()
                .ok()
                .filter(|s| (100..=599).contains(s))
            else {
                self.err(
                    Diagnostic::error(
                        "invalid-status",
                        format!("`{}` is not an HTTP status", e.key),
                    )
                    .at(Some(e.key_span.clone()))
                    .help("write the status as the key: `422 = \"VALIDATION_ERROR\"`"),
                );
                continue;
            };
            if let Some(code) = self.nonempty_string(&e.value, "codes_by_status") {
                out.push((
                    status,
                    At {
                        value: code,
                        span: e.value.span.clone(),
                    },
                ));
            }
        }
        out
    }

    /// A header name (`api.request_id_header`).
    pub(crate) fn header_name(&mut self, v: &Node, what: &str) -> Option<String> {
        let s = self.string(v, what)?;
        if s.is_empty() {
            return None;
        }
        if !is_header_name(&s) {
            self.err(
                Diagnostic::error("invalid-header", format!("`{s}` is not a valid header name"))
                    .at(Some(v.span.clone()))
                    .help("a header name is letters, digits and !#$%&'*+-.^_`|~; `false` sends no request id header"),
            );
            return None;
        }
        Some(s)
    }

    /// A JSON template, given as JSON text (or, in a JSON catalog, inline):
    /// its JSON and what it compiles to.
    fn template(
        &mut self,
        node: &Node,
        scope: Scope,
        what: &str,
    ) -> Option<(serde_json::Value, Tpl)> {
        let value = match &node.kind {
            Kind::Str(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v) => v,
                Err(e) => {
                    self.err(
                        Diagnostic::error(
                            "invalid-template",
                            format!("the `{what}` template is not valid JSON: {e}"),
                        )
                        .at(Some(node.span.clone()))
                        .help("write the template as a JSON document, e.g. '{\"error\": \"$message\"}'"),
                    );
                    return None;
                }
            },
            Kind::Table(_) | Kind::Array(_) => node.to_json(),
            _ => {
                self.type_error(node, what, "a JSON template string");
                return None;
            }
        };
        let (tpl, problems) = template::build(&value, scope);
        // A template with mistakes still declares its envelope (the
        // mistakes are errors, so the catalog is not used): no cascade of
        // "unknown envelope".
        self.report(node, what, problems);
        Some((value, tpl))
    }

    /// A template of one string; `vars`, when given, are the variables it
    /// may use (a header may use any of a body's).
    pub(crate) fn text_template(
        &mut self,
        node: &Node,
        what: &str,
        vars: Option<&[&str]>,
    ) -> Option<Tpl> {
        let s = self.string(node, what)?;
        if s.contains(['\r', '\n']) {
            self.err(
                Diagnostic::error(
                    "invalid-template",
                    format!("`{what}` cannot contain line breaks"),
                )
                .at(Some(node.span.clone())),
            );
            return None;
        }
        let (tpl, problems) = template::build_text(&s, Scope::Body);
        let mut ok = self.report(node, what, problems);
        let Some(vars) = vars else {
            return ok.then_some(tpl);
        };
        tpl.visit_vars(&mut |var: &Var, _| {
            let name = var.name();
            if !vars.contains(&name.as_ref()) && ok {
                ok = false;
                self.diags.push(
                    Diagnostic::error(
                        "unknown-variable",
                        format!("`${name}` cannot be used in `{what}`"),
                    )
                    .at(self.locate(node, &name, 0).or(Some(node.span.clone())))
                    .help(format!(
                        "`{what}` can use {}",
                        vars.iter()
                            .map(|v| format!("`${v}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        });
        ok.then_some(tpl)
    }

    /// Turns template problems into diagnostics; false if one is an error.
    fn report(&mut self, node: &Node, what: &str, problems: Vec<template::Problem>) -> bool {
        let mut ok = true;
        for p in problems {
            let span = p
                .needle
                .as_ref()
                .and_then(|(needle, offset)| self.locate(node, needle, *offset))
                .or(Some(node.span.clone()));
            let message = format!("{} (in the `{what}` template)", p.message);
            let mut d = if p.warning {
                Diagnostic::warning(p.code, message)
            } else {
                ok = false;
                Diagnostic::error(p.code, message)
            };
            d = d.at(span);
            if let Some(h) = p.help {
                d = d.help(h);
            }
            self.err(d);
        }
        ok
    }

    /// Where `needle` (with the mistake `offset` bytes into it) stands in
    /// the node's text; `None` when it is not there as written (escaped).
    fn locate(&self, node: &Node, needle: &str, offset: usize) -> Option<std::ops::Range<usize>> {
        let text = self.source.get(node.span.clone())?;
        if let Some(i) = text.find(needle) {
            let start = node.span.start + i + offset.min(needle.len());
            return Some(start..start + 1);
        }
        // The mistake's own expression, when the whole string is escaped
        // differently in the file.
        let tail = needle.get(offset..)?;
        let end = tail.find('}').map_or(tail.len(), |e| e + 1).min(40);
        let piece = tail.get(..end).filter(|p| p.len() >= 3)?;
        let i = text.find(piece)?;
        let start = node.span.start + i;
        Some(start..start + piece.len())
    }
}
