//! JSON → [`Tpl`]: every mistake reported, none fatal to the rest.

use serde_json::Value;

use super::expr::{self, ExprError, Part};
use super::{Alt, Each, Expr, Filter, If, Piece, Text, Tpl, Var};

/// The variables a template can use: a body's, or a field violation's
/// (which has the body's too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A body template, a header, a URL.
    Body,
    /// The `violation` template, and the items of `$each`.
    Violation,
}

/// A mistake in a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The diagnostic code (`invalid-template`, `unknown-variable`,
    /// `ambiguous-template`).
    pub code: &'static str,
    /// A warning (the template works) rather than an error.
    pub warning: bool,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Text of the template to point at, as written, and the offset in it.
    pub needle: Option<(String, usize)>,
}

struct Builder {
    problems: Vec<Problem>,
}

/// Builds a template from its JSON. The template is usable (mistaken parts
/// render as `null`) whatever the problems; a catalog with an error among
/// them is not loaded.
pub fn build(v: &Value, scope: Scope) -> (Tpl, Vec<Problem>) {
    let mut b = Builder {
        problems: Vec::new(),
    };
    let t = b.node(v, scope);
    (t, b.problems)
}

/// Builds a template of one string (a header value, a URL): a
/// [`Tpl::Lit`] string, a [`Tpl::Value`] or a [`Tpl::Text`].
pub fn build_text(s: &str, scope: Scope) -> (Tpl, Vec<Problem>) {
    let mut b = Builder {
        problems: Vec::new(),
    };
    let t = b.string(s, scope, true);
    (t, b.problems)
}

/// What an expression yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Yields {
    Text,
    Number,
    Structured,
    Array,
    /// A parameter: whatever type it has.
    Any,
}

fn yields(alt: &Alt) -> Yields {
    let Alt::Var { var, filters } = alt else {
        return Yields::Text;
    };
    match filters.iter().rev().find(|f| !matches!(f, Filter::Raw)) {
        Some(Filter::Unix | Filter::UnixMs) => Yields::Number,
        Some(Filter::Segments(_)) => Yields::Array,
        Some(_) => Yields::Text,
        None => match var {
            Var::Status | Var::NumericCode | Var::RetryAfter => Yields::Number,
            Var::Param(_) => Yields::Any,
            v if v.is_structured() => Yields::Structured,
            _ => Yields::Text,
        },
    }
}

impl Builder {
    fn problem(&mut self, e: ExprError, s: &str, base: usize) {
        self.problems.push(Problem {
            code: e.code,
            warning: false,
            message: e.message,
            help: e.help,
            needle: Some((s.to_owned(), base + e.at)),
        });
    }

    fn error(&mut self, message: impl Into<String>, help: Option<String>, needle: Option<&str>) {
        self.problems.push(Problem {
            code: "invalid-template",
            warning: false,
            message: message.into(),
            help,
            needle: needle.map(|n| (n.to_owned(), 0)),
        });
    }

    fn node(&mut self, v: &Value, scope: Scope) -> Tpl {
        match v {
            Value::String(s) => self.string(s, scope, false),
            Value::Array(items) => {
                let items: Vec<Tpl> = items.iter().map(|i| self.node(i, scope)).collect();
                if items.iter().all(|i| matches!(i, Tpl::Lit(_))) {
                    Tpl::Lit(Value::Array(
                        items
                            .into_iter()
                            .map(|i| match i {
                                Tpl::Lit(v) => v,
                                _ => Value::Null,
                            })
                            .collect(),
                    ))
                } else {
                    Tpl::Array(items)
                }
            }
            Value::Object(map) => {
                if map.contains_key("$each") {
                    return self.each(map, scope);
                }
                if map.contains_key("$if") {
                    return self.cond(map, scope);
                }
                let mut members = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let key = match k.strip_prefix("$$") {
                        Some(rest) => format!("${rest}"),
                        None if k.starts_with('$') => {
                            self.error(
                                format!("unknown template operator `{k}`"),
                                Some(format!(
                                    "operators are `$each` and `$if`; write `\"${k}\"` for a member named `{k}`"
                                )),
                                Some(k),
                            );
                            continue;
                        }
                        None => k.clone(),
                    };
                    members.push((key, self.node(v, scope)));
                }
                if members.iter().all(|(_, v)| matches!(v, Tpl::Lit(_))) {
                    Tpl::Lit(Value::Object(
                        members
                            .into_iter()
                            .map(|(k, v)| match v {
                                Tpl::Lit(v) => (k, v),
                                _ => (k, Value::Null),
                            })
                            .collect(),
                    ))
                } else {
                    Tpl::Object(members)
                }
            }
            other => Tpl::Lit(other.clone()),
        }
    }

    /// A template string. `text_only`: the result must be text (a key, a
    /// header, a URL).
    fn string(&mut self, s: &str, scope: Scope, text_only: bool) -> Tpl {
        let whole = s.starts_with('$') && !s.starts_with("$$") && !s.starts_with("${");
        if whole {
            let body = &s[1..];
            let (text, optional) = match body.strip_suffix('?') {
                Some(t) if !t.ends_with('?') => (t, true),
                _ => (body, false),
            };
            return match expr::parse(text, scope == Scope::Violation) {
                Ok(e) => {
                    self.check_whole(&e, s, text_only);
                    Tpl::Value { expr: e, optional }
                }
                Err(e) => {
                    self.problem(e, s, 1);
                    Tpl::Lit(Value::Null)
                }
            };
        }
        let parts = match expr::split_text(s) {
            Ok(p) => p,
            Err(e) => {
                self.problem(e, s, 0);
                return Tpl::Lit(Value::Null);
            }
        };
        let mut pieces = Vec::with_capacity(parts.len());
        let mut last_expr: Option<&str> = None;
        for part in parts {
            match part {
                Part::Lit(t) => {
                    last_expr = None;
                    pieces.push(Piece::Lit(t));
                }
                Part::Expr(at, text) => {
                    if let Some(prev) = last_expr {
                        self.problems.push(Problem {
                            code: "ambiguous-template",
                            warning: true,
                            message: format!(
                                "`${{{prev}}}` and `${{{text}}}` touch: a client reading the text back cannot tell where one ends"
                            ),
                            help: Some("put literal text between them, e.g. `${a}: ${b}`".to_owned()),
                            needle: Some((s.to_owned(), at)),
                        });
                    }
                    last_expr = Some(text);
                    match expr::parse(text, scope == Scope::Violation) {
                        Ok(e) => {
                            self.check_in_text(&e, s, at, text);
                            pieces.push(Piece::Expr(e));
                        }
                        Err(e) => self.problem(e, s, at),
                    }
                }
            }
        }
        let text = Text {
            url: pieces
                .first()
                .is_some_and(|p| matches!(p, Piece::Lit(t) if is_url_start(t))),
            pieces,
        };
        match text.as_literal() {
            Some(lit) => Tpl::Lit(Value::String(lit.to_owned())),
            None => Tpl::Text(text),
        }
    }

    /// Filters that fit their values.
    fn check_filters(&mut self, e: &Expr, s: &str) {
        for alt in &e.alts {
            let Alt::Var { var, filters } = alt else {
                continue;
            };
            for f in filters {
                let time = matches!(f, Filter::Unix | Filter::UnixMs | Filter::Format(_));
                if time && *var != Var::Timestamp {
                    self.error(
                        format!(
                            "`${}` is not a time: a time filter applies to `$timestamp`",
                            var.name()
                        ),
                        None,
                        Some(s),
                    );
                }
                if !time
                    && *var == Var::Timestamp
                    && !matches!(f, Filter::Raw | Filter::Url | Filter::Json | Filter::String)
                    && !f.folds_case()
                {
                    self.error(
                        "`$timestamp` is a time: it takes `unix`, `unix_ms`, `format:…`, or text filters",
                        None,
                        Some(s),
                    );
                }
                if var.is_structured() && !matches!(f, Filter::Json) {
                    self.error(
                        format!(
                            "`${}` is an object or a list: only `|json` applies to it",
                            var.name()
                        ),
                        None,
                        Some(s),
                    );
                }
            }
        }
    }

    fn check_whole(&mut self, e: &Expr, s: &str, text_only: bool) {
        self.check_filters(e, s);
        if text_only {
            for alt in &e.alts {
                let y = yields(alt);
                if matches!(y, Yields::Number | Yields::Structured | Yields::Array) {
                    let name = match alt {
                        Alt::Var { var, .. } => var.name().into_owned(),
                        Alt::Lit(_) => String::new(),
                    };
                    self.error(
                        format!("`{s}` is not text: a key, a header or a URL must be a string"),
                        Some(format!("write `\"${{{name}}}\"` for its text")),
                        Some(s),
                    );
                    return;
                }
            }
        }
        if e.alts.iter().any(|a| {
            matches!(
                a,
                Alt::Var {
                    var: Var::Violations,
                    ..
                }
            )
        }) {
            self.error(
                "`$violations` is a condition or a collection (`$if`, `$each`); use `$field_violations` for the list",
                None,
                Some(s),
            );
        }
    }

    fn check_in_text(&mut self, e: &Expr, s: &str, at: usize, text: &str) {
        self.check_filters(e, s);
        for alt in &e.alts {
            match yields(alt) {
                Yields::Structured => self.problems.push(Problem {
                    code: "invalid-template",
                    warning: false,
                    message: format!(
                        "`${{{text}}}` is an object or a list: it cannot be part of a string"
                    ),
                    help: Some(format!(
                        "write `${{{}|json}}` for its JSON text, or `\"${}\"` as a whole value",
                        text.trim(),
                        text.trim()
                    )),
                    needle: Some((s.to_owned(), at)),
                }),
                Yields::Array => self.problems.push(Problem {
                    code: "invalid-template",
                    warning: false,
                    message: format!("`${{{text}}}` makes an array: it cannot be part of a string"),
                    help: Some(
                        "use `|pointer` for a path as text, or the expression as a whole value"
                            .to_owned(),
                    ),
                    needle: Some((s.to_owned(), at)),
                }),
                _ => {}
            }
        }
    }

    fn each(&mut self, map: &serde_json::Map<String, Value>, scope: Scope) -> Tpl {
        const KEYS: &[&str] = &["$each", "do", "key", "group", "once_if_empty", "else"];
        self.operator_keys(map, KEYS, "$each");
        match map.get("$each") {
            Some(Value::String(s))
                if matches!(s.trim_start_matches('$'), "violations" | "field_violations") => {}
            other => self.error(
                format!(
                    "`$each` goes over `violations`, not {}",
                    other.map_or_else(|| "nothing".to_owned(), Value::to_string)
                ),
                Some("write `\"$each\": \"violations\"`".to_owned()),
                Some("$each"),
            ),
        }
        let Some(item) = map.get("do") else {
            self.error(
                "`$each` needs `do`: the template of one item",
                Some(
                    "e.g. `{\"$each\": \"violations\", \"do\": {\"field\": \"$path\"}}`".to_owned(),
                ),
                Some("$each"),
            );
            return Tpl::Lit(Value::Null);
        };
        let item = self.node(item, Scope::Violation);
        let key = match map.get("key") {
            Some(Value::String(s)) => Some(self.string(s, Scope::Violation, true)),
            Some(_) => {
                self.error(
                    "`key` of `$each` is a string template, e.g. \"$path\"",
                    None,
                    Some("key"),
                );
                None
            }
            None => None,
        };
        let flag = |b: &mut Builder, name: &str| match map.get(name) {
            None => false,
            Some(Value::Bool(v)) => *v,
            Some(_) => {
                b.error(
                    format!("`{name}` of `$each` is true or false"),
                    None,
                    Some(name),
                );
                false
            }
        };
        let group = flag(self, "group");
        let once_if_empty = flag(self, "once_if_empty");
        let otherwise = map.get("else").map(|e| self.node(e, scope));
        self.each_options(group, once_if_empty, key.is_some(), otherwise.is_some());
        Tpl::Each(Box::new(Each {
            item,
            key,
            group,
            once_if_empty,
            otherwise,
        }))
    }

    /// The options of `$each` that do not go together: `group` without a
    /// `key`, `once_if_empty` with `key` or `else`, and a `key` without
    /// `group` (a warning: it keeps one violation a field).
    fn each_options(&mut self, group: bool, once_if_empty: bool, keyed: bool, has_else: bool) {
        if group && !keyed {
            self.error(
                "`group` needs a `key`: items are grouped by key",
                None,
                Some("group"),
            );
        }
        if once_if_empty && (keyed || has_else) {
            self.error(
                "`once_if_empty` makes one item of the error itself in a list: it goes with neither `key` nor `else`",
                None,
                Some("once_if_empty"),
            );
        }
        if keyed && !group {
            self.problems.push(Problem {
                code: "ambiguous-template",
                warning: true,
                message:
                    "a keyed `$each` without `group` keeps only the first violation of each field"
                        .to_owned(),
                help: Some(
                    "add `\"group\": true` to keep every message of a field in an array".to_owned(),
                ),
                needle: Some(("key".to_owned(), 0)),
            });
        }
    }

    fn cond(&mut self, map: &serde_json::Map<String, Value>, scope: Scope) -> Tpl {
        self.operator_keys(map, &["$if", "then", "else"], "$if");
        let cond = match map.get("$if") {
            Some(Value::String(s)) => {
                let text = s.strip_prefix('$').unwrap_or(s);
                match expr::parse(text, scope == Scope::Violation) {
                    Ok(e) => e,
                    Err(e) => {
                        self.problem(e, s, s.len() - text.len());
                        return Tpl::Lit(Value::Null);
                    }
                }
            }
            _ => {
                self.error(
                    "`$if` takes an expression as a string, e.g. \"violations\"",
                    None,
                    Some("$if"),
                );
                return Tpl::Lit(Value::Null);
            }
        };
        let Some(then) = map.get("then") else {
            self.error("`$if` needs `then`", None, Some("$if"));
            return Tpl::Lit(Value::Null);
        };
        let then = self.node(then, scope);
        let otherwise = map.get("else").map(|e| self.node(e, scope));
        Tpl::If(Box::new(If {
            cond,
            then,
            otherwise,
        }))
    }

    fn operator_keys(&mut self, map: &serde_json::Map<String, Value>, keys: &[&str], op: &str) {
        for k in map.keys() {
            if !keys.contains(&k.as_str()) {
                self.error(
                    format!("unknown key `{k}` in `{op}`"),
                    Some(format!(
                        "`{op}` takes {}",
                        keys.iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    Some(k),
                );
            }
        }
    }
}

/// Whether text starts with a URL scheme (`https://`).
fn is_url_start(t: &str) -> bool {
    let Some((scheme, _)) = t.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}
