//! One `[[errors]]` entry: decoded field by field (parameters, links,
//! headers, the example, translations), each problem located.

use crate::decode::{
    At, Decoder, ERROR_KEYS, EXAMPLE_KEYS, LINK_KEYS, PARAM_KEYS, RawError, TRANSLATION_KEYS,
    VIOLATION_KEYS, at,
};
use crate::decode_template::URL_VARS;
use crate::diagnostic::Diagnostic;
use crate::model::{
    Example, FieldViolation, Link, Message, Param, ParamType, Retain, Translation, Visibility,
};
use crate::node::{Kind, Node};

impl Decoder<'_> {
    /// One `[[errors]]` entry. Longer than most functions here on purpose:
    /// one match arm per key of an error entry, read as the table of keys
    /// it is (each arm is a line or a small block).
    pub(crate) fn error(&mut self, node: &Node) -> Option<RawError> {
        let entries = self.table(node, "an error entry")?;
        self.check_keys(entries, ERROR_KEYS, "an error entry");
        let mut r = RawError {
            span: Some(node.span.clone()),
            ..RawError::default()
        };
        for e in entries {
            let v = &e.value;
            match e.key.as_ref() {
                "code" => r.code = self.nonempty_string(v, "code").map(|x| at(x, v)),
                "numeric_code" => {
                    r.numeric_code = self.integer(v, "numeric_code").map(|x| at(x, v))
                }
                "status" => {
                    if let Some(i) = self.integer(v, "status") {
                        if (400..=599).contains(&i) {
                            r.status = Some(At {
                                value: i as u16,
                                span: v.span.clone(),
                            });
                        } else {
                            self.err(
                                Diagnostic::error(
                                    "invalid-status",
                                    format!("status {i} is not an error status"),
                                )
                                .at(Some(v.span.clone()))
                                .label("outside 400–599")
                                .help("error statuses are 400–599; leave `status` out for an error the server never sends"),
                            );
                        }
                    }
                }
                "category" => r.category = self.nonempty_string(v, "category").map(|x| at(x, v)),
                "title" => r.title = self.nonempty_string(v, "title"),
                "message" => r.message = self.message(v, "message"),
                "params" => r.params = self.params(v).map(|x| at(x, v)),
                "description" => r.description = self.string(v, "description"),
                "causes" => r.causes = self.strings(v, "causes"),
                "resolution" => r.resolution = self.strings(v, "resolution"),
                "support" => r.support = self.string(v, "support"),
                "links" => r.links = self.links(v),
                "retryable" => r.retryable = self.boolean(v, "retryable"),
                "retry_after" => {
                    if let Some(i) = self.integer(v, "retry_after") {
                        match u64::try_from(i) {
                            Ok(s) => r.retry_after = Some(s),
                            Err(_) => self.err(
                                Diagnostic::error(
                                    "invalid-value",
                                    "`retry_after` is a number of seconds, 0 or more",
                                )
                                .at(Some(v.span.clone())),
                            ),
                        }
                    }
                }
                "retry_advice" => r.retry_advice = self.string(v, "retry_advice"),
                "headers" => r.headers = self.headers(v),
                "since" => r.since = self.version(v, "since"),
                "deprecated" => {
                    r.deprecated = match &v.kind {
                        Kind::Bool(true) => Some(String::new()),
                        Kind::Bool(false) => None,
                        _ => self.version(v, "deprecated"),
                    };
                }
                "replaced_by" => {
                    r.replaced_by = self.nonempty_string(v, "replaced_by").map(|x| at(x, v))
                }
                "example" => r.example = self.example(v),
                "translations" => r.translations = self.translations(v),
                "retain" => {
                    if let Some(s) = self.string(v, "retain") {
                        match s.as_str() {
                            "sampled" => r.retain = Some(Retain::Sampled),
                            "always" => r.retain = Some(Retain::Always),
                            _ => self.unknown_name(v, "retain", &s, &["sampled", "always"]),
                        }
                    }
                }
                "visibility" => {
                    if let Some(s) = self.string(v, "visibility") {
                        match s.as_str() {
                            "public" => r.visibility = Some(Visibility::Public),
                            "internal" => r.visibility = Some(Visibility::Internal),
                            _ => self.unknown_name(v, "visibility", &s, &["public", "internal"]),
                        }
                    }
                }
                "standard" => r.standard = self.strings(v, "standard").map(|x| at(x, v)),
                "doc_url" => r.doc_url = self.text_template(v, "doc_url", Some(URL_VARS)),
                _ => {}
            }
        }
        if r.code.is_none() {
            if entries.iter().any(|e| e.key == "code") {
                // Its type error is already reported.
                return None;
            }
            self.err(
                Diagnostic::error("missing-key", "an error entry needs a `code`")
                    .at(Some(
                        node.span.start
                            ..node.span.start.max(node.span.start + 1).min(node.span.end),
                    ))
                    .help("add `code = \"SOME_CODE\"`"),
            );
            return None;
        }
        Some(r)
    }

    pub(crate) fn version(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            Kind::Str(s) => Some(s.to_string()),
            Kind::Datetime(s) => Some(s.clone()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            _ => {
                self.type_error(node, what, "a version string");
                None
            }
        }
    }

    pub(crate) fn params(&mut self, node: &Node) -> Option<Vec<Param>> {
        let entries = self.table(node, "params")?;
        let mut out = Vec::new();
        for e in entries {
            let valid_name = !e.key.is_empty()
                && e.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !e.key.starts_with(|c: char| c.is_ascii_digit());
            if !valid_name {
                self.err(
                    Diagnostic::error(
                        "invalid-param",
                        format!("`{}` is not a parameter name", e.key),
                    )
                    .at(Some(e.key_span.clone()))
                    .help("parameter names are letters, digits and `_`, not starting with a digit"),
                );
                continue;
            }
            let mut param = Param {
                name: e.key.to_string(),
                ty: ParamType::String,
                description: None,
                example: None,
            };
            let ty_node = match &e.value.kind {
                Kind::Str(_) => Some(&e.value),
                Kind::Table(fields) => {
                    self.check_keys(fields, PARAM_KEYS, "a parameter");
                    for f in fields {
                        match f.key.as_ref() {
                            "description" => {
                                param.description = self.string(&f.value, "description")
                            }
                            "example" => param.example = Some(f.value.to_json()),
                            _ => {}
                        }
                    }
                    fields.iter().find(|f| f.key == "type").map(|f| &f.value)
                }
                _ => {
                    self.type_error(
                        &e.value,
                        &format!("params.{}", e.key),
                        "a type name or a table",
                    );
                    continue;
                }
            };
            if let Some(t) = ty_node
                && let Some(s) = self.string(t, "type")
            {
                match ParamType::parse(&s) {
                    Some(ty) => param.ty = ty,
                    None => self.unknown_name(t, "parameter type", &s, ParamType::NAMES),
                }
            }
            out.push(param);
        }
        Some(out)
    }

    pub(crate) fn links(&mut self, node: &Node) -> Option<Vec<Link>> {
        let Kind::Array(items) = &node.kind else {
            self.type_error(node, "links", "an array of `{ title, url }` tables");
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            let Some(fields) = self.table(item, "a link") else {
                continue;
            };
            self.check_keys(fields, LINK_KEYS, "a link");
            let mut title = None;
            let mut url = None;
            for f in fields {
                match f.key.as_ref() {
                    "title" => title = self.string(&f.value, "title"),
                    "url" => url = self.nonempty_string(&f.value, "url"),
                    _ => {}
                }
            }
            match url {
                Some(url) => out.push(Link {
                    title: title.unwrap_or_else(|| url.clone()),
                    url,
                }),
                None if !fields.iter().any(|f| f.key == "url") => self.err(
                    Diagnostic::error("missing-key", "a link needs a `url`")
                        .at(Some(item.span.clone())),
                ),
                None => {}
            }
        }
        Some(out)
    }

    pub(crate) fn headers(&mut self, node: &Node) -> Option<Vec<(String, Message)>> {
        let entries = self.table(node, "headers")?;
        let mut out = Vec::new();
        for e in entries {
            let valid = !e.key.is_empty()
                && e.key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !valid {
                self.err(
                    Diagnostic::error(
                        "invalid-header",
                        format!("`{}` is not a valid header name", e.key),
                    )
                    .at(Some(e.key_span.clone())),
                );
                continue;
            }
            if let Some(m) = self.message(&e.value, &format!("headers.{}", e.key)) {
                if m.value.raw.contains(['\r', '\n']) {
                    self.err(
                        Diagnostic::error(
                            "invalid-header",
                            "header values cannot contain line breaks",
                        )
                        .at(Some(e.value.span.clone())),
                    );
                    continue;
                }
                out.push((e.key.to_string(), m.value));
            }
        }
        Some(out)
    }

    pub(crate) fn example(&mut self, node: &Node) -> Option<Example> {
        let entries = self.table(node, "example")?;
        self.check_keys(entries, EXAMPLE_KEYS, "`example`");
        let mut ex = Example::default();
        for e in entries {
            match e.key.as_ref() {
                "params" => {
                    if let Some(fields) = self.table(&e.value, "example.params") {
                        ex.params = fields
                            .iter()
                            .map(|f| (f.key.to_string(), f.value.to_json()))
                            .collect();
                    }
                }
                "details" => ex.details = Some(e.value.to_json()),
                "violations" => {
                    let Kind::Array(items) = &e.value.kind else {
                        self.type_error(&e.value, "example.violations", "an array");
                        continue;
                    };
                    for item in items {
                        let Some(fields) = self.table(item, "a violation") else {
                            continue;
                        };
                        self.check_keys(fields, VIOLATION_KEYS, "a violation");
                        let mut v = FieldViolation::new("", "");
                        for f in fields {
                            match f.key.as_ref() {
                                "path" => {
                                    v.path = self.string(&f.value, "path").unwrap_or_default()
                                }
                                "message" => {
                                    v.message =
                                        self.string(&f.value, "message").unwrap_or_default();
                                }
                                "reason" => v.reason = self.string(&f.value, "reason"),
                                _ => {}
                            }
                        }
                        ex.violations.push(v);
                    }
                }
                _ => {}
            }
        }
        Some(ex)
    }

    pub(crate) fn translations(&mut self, node: &Node) -> Option<Vec<Translation>> {
        let entries = self.table(node, "translations")?;
        let mut out = Vec::new();
        for e in entries {
            let Some(fields) = self.table(&e.value, "a translation") else {
                continue;
            };
            self.check_keys(fields, TRANSLATION_KEYS, "a translation");
            let mut t = Translation {
                locale: e.key.to_string(),
                title: None,
                message: None,
            };
            for f in fields {
                match f.key.as_ref() {
                    "title" => t.title = self.string(&f.value, "title"),
                    "message" => t.message = self.message(&f.value, "message").map(|m| m.value),
                    _ => {}
                }
            }
            out.push(t);
        }
        Some(out)
    }
}
