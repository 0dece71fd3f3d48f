//! The streaming reader: walks a template and a body together with
//! `serde`, building nothing for the parts the template does not read.
//! Parts written with the newer constructs (`${…}` text, `$each`, `$if`,
//! filters, `??`) are read whole into a JSON value and handed to
//! [`super::walk`].

use errcat_catalog::FieldViolation;
use errcat_catalog::template::{self, Tpl};
use serde_json::Value;

/// A variable of a template, as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Var {
    Code,
    NumericCode,
    Status,
    Title,
    Message,
    Category,
    /// `$details`: a details object, or the first violation.
    Details,
    /// RFC 9457 `details`: always the details object.
    DetailsRaw,
    FieldViolations,
    ErrorId,
    RequestId,
    RetryAfter,
    /// AIP-193's `details` array.
    GoogleDetails,
    Path,
    /// `$message` in a violation template.
    ViolationMessage,
    Reason,
}

impl Var {
    /// What the reader does with a catalog variable; `None` for what it
    /// skips (`$type`, `$instance`, `$timestamp`, `$doc_url`, the request's
    /// method and headers, parameters).
    pub(super) fn of(v: &template::Var) -> Option<Var> {
        use errcat_catalog::template::Var as T;
        Some(match v {
            T::Code => Var::Code,
            T::NumericCode => Var::NumericCode,
            T::Status => Var::Status,
            T::Title => Var::Title,
            T::Message => Var::Message,
            T::Category => Var::Category,
            T::Details => Var::Details,
            T::FieldViolations => Var::FieldViolations,
            T::ErrorId => Var::ErrorId,
            T::RequestId => Var::RequestId,
            T::RetryAfter => Var::RetryAfter,
            T::Path => Var::Path,
            T::ViolationMessage => Var::ViolationMessage,
            T::Reason => Var::Reason,
            T::ReasonPhrase
            | T::Violations
            | T::Params
            | T::Param(_)
            | T::RequestHeader(_)
            | T::Type
            | T::Instance
            | T::Method
            | T::Timestamp
            | T::DocUrl => return None,
        })
    }

    /// The variables of errcat's own built-in readers (RFC 9457, AIP-193).
    fn builtin(name: &str, violation: bool) -> Option<Var> {
        match name {
            "details_raw" => Some(Var::DetailsRaw),
            "google_details" => Some(Var::GoogleDetails),
            _ => Var::of(&template::Var::parse(name, violation)?),
        }
    }
}

/// A compiled template: where the variables are.
#[derive(Clone, Debug)]
pub(super) enum Node {
    Skip,
    Var(Var),
    Object(Vec<(Box<str>, Node)>),
    Array(Vec<Node>),
    /// A part read whole and walked (see [`super::walk`]).
    Tpl(Box<Tpl>),
}

/// Compiles a built-in reader's template (`"$name"` and `"$name?"` only).
pub(super) fn compile_builtin(v: &Value, violation: bool, required: &mut u32) -> Node {
    match v {
        Value::String(s) => {
            let Some(name) = s.strip_prefix('$') else {
                return Node::Skip;
            };
            let (name, optional) = match name.strip_suffix('?') {
                Some(n) => (n, true),
                None => (name, false),
            };
            match Var::builtin(name, violation) {
                Some(var) => {
                    if !optional {
                        *required += 1;
                    }
                    Node::Var(var)
                }
                None => Node::Skip,
            }
        }
        Value::Object(map) => Node::Object(
            map.iter()
                .map(|(k, v)| {
                    (
                        Box::from(k.as_str()),
                        compile_builtin(v, violation, required),
                    )
                })
                .filter(|(_, n)| !matches!(n, Node::Skip))
                .collect(),
        ),
        Value::Array(items) => Node::Array(
            items
                .iter()
                .map(|i| compile_builtin(i, violation, required))
                .collect(),
        ),
        _ => Node::Skip,
    }
}

/// Whether a template part reads anything back.
fn reads(t: &Tpl) -> bool {
    let mut any = false;
    t.visit_vars(&mut |v, _| any |= Var::of(v).is_some());
    any
}

/// Compiles a catalog template for reading; `required` counts the parts a
/// body of this envelope always has.
pub(super) fn compile(t: &Tpl, required: &mut u32) -> Node {
    match t {
        Tpl::Lit(_) => Node::Skip,
        Tpl::Value { expr, optional } => match expr.as_plain_var().and_then(Var::of) {
            Some(var) => {
                if !optional {
                    *required += 1;
                }
                Node::Var(var)
            }
            None if reads(t) || !expr.alts.is_empty() && !optional => {
                if !optional && reads(t) {
                    *required += 1;
                }
                Node::Tpl(Box::new(t.clone()))
            }
            None => Node::Skip,
        },
        Tpl::Object(members) => Node::Object(
            members
                .iter()
                .map(|(k, v)| (Box::from(k.as_str()), compile(v, required)))
                .filter(|(_, n)| !matches!(n, Node::Skip))
                .collect(),
        ),
        Tpl::Array(items) => Node::Array(items.iter().map(|i| compile(i, required)).collect()),
        // Literal text tells envelopes apart, so a string with values
        // counts even when it reads nothing back.
        Tpl::Text(_) | Tpl::Each(_) => {
            *required += 1;
            Node::Tpl(Box::new(t.clone()))
        }
        Tpl::If(_) => Node::Tpl(Box::new(t.clone())),
    }
}

/// One envelope, compiled for reading.
#[derive(Clone, Debug)]
pub(super) struct Reader {
    pub(super) format: super::Format,
    pub(super) body: Node,
    pub(super) violation: Node,
    /// Keys of the violation template, and how many of its variables are required.
    violation_keys: Vec<Box<str>>,
    violation_required: u32,
    /// Non-optional parts of the body template.
    pub(super) required: u32,
    /// The template's top-level keys, literal ones included.
    pub(super) top_keys: Vec<Box<str>>,
    /// The code of a body that carries none, by status.
    pub(super) codes_by_status: Vec<(u16, String)>,
    /// The status every error of the envelope is sent with, if one.
    pub(super) wire_status: Option<u16>,
}

fn keys_of(t: &Tpl) -> Vec<Box<str>> {
    match t {
        Tpl::Object(m) => m.iter().map(|(k, _)| Box::from(k.as_str())).collect(),
        Tpl::Lit(Value::Object(m)) => m.keys().map(|k| Box::from(k.as_str())).collect(),
        _ => Vec::new(),
    }
}

impl Reader {
    /// A built-in reader (RFC 9457, AIP-193).
    pub(super) fn builtin(format: super::Format, body: &Value, violation: &Value) -> Self {
        let mut required = 0;
        let body_node = compile_builtin(body, false, &mut required);
        let mut violation_required = 0;
        let violation_node = compile_builtin(violation, true, &mut violation_required);
        let keys = |v: &Value| match v {
            Value::Object(m) => m.keys().map(|k| Box::from(k.as_str())).collect(),
            _ => Vec::new(),
        };
        Reader {
            format,
            top_keys: keys(body),
            violation_keys: keys(violation),
            body: body_node,
            violation: violation_node,
            violation_required,
            required,
            codes_by_status: Vec::new(),
            wire_status: None,
        }
    }

    /// A reader of one of the catalog's envelopes.
    pub(super) fn custom(format: super::Format, env: &errcat_catalog::EnvelopeDef) -> Self {
        let mut required = 0;
        let body = compile(&env.body_tpl, &mut required);
        let mut violation_required = 0;
        let violation = compile(&env.violation_tpl, &mut violation_required);
        Reader {
            format,
            top_keys: keys_of(&env.body_tpl),
            violation_keys: keys_of(&env.violation_tpl),
            body,
            violation,
            violation_required,
            required,
            codes_by_status: env.codes_by_status.clone(),
            wire_status: env.status,
        }
    }

    /// Reads a violation from a JSON value through the violation template.
    pub(super) fn violation_from(&self, v: &Value) -> Option<FieldViolation> {
        read_violation(&self.violation, v)
    }

    /// Whether a `$details` value is really a field violation in the
    /// violation template's shape.
    pub(super) fn looks_like_violation(&self, v: &Value) -> bool {
        let Value::Object(m) = v else { return false };
        !m.is_empty()
            && self.violation_required > 0
            && m.keys()
                .all(|k| self.violation_keys.iter().any(|t| &**t == k.as_str()))
            && self.violation_from(v).is_some()
    }
}

/// Reads one violation from a JSON value through a violation template.
pub(super) fn read_violation(node: &Node, v: &Value) -> Option<FieldViolation> {
    let mut found = Found::default();
    walk_value(node, node, v, &mut found);
    let cur = std::mem::take(&mut found.cur);
    if cur.hits == 0 {
        return None;
    }
    Some(cur.into_violation())
}

/// The field violation being read.
#[derive(Clone, Default, Debug)]
pub(super) struct ViolationFound {
    pub(super) path: Option<String>,
    pub(super) message: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) hits: u32,
    /// Values of `a ?? b` expressions, assigned once the item is read.
    pub(super) pending: Vec<(template::Expr, Value)>,
}

impl ViolationFound {
    pub(super) fn into_violation(self) -> FieldViolation {
        FieldViolation {
            path: self.path.unwrap_or_default(),
            message: self.message.unwrap_or_default(),
            reason: self.reason,
        }
    }
}

/// Reads a JSON value through a compiled node into `out.cur`.
pub(super) fn walk_value(node: &Node, violation: &Node, v: &Value, out: &mut Found) {
    match (node, v) {
        (Node::Var(var), v) => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return,
            };
            let slot = match var {
                Var::Path => &mut out.cur.path,
                Var::ViolationMessage => &mut out.cur.message,
                Var::Reason => &mut out.cur.reason,
                _ => return,
            };
            *slot = Some(s);
            out.cur.hits += 1;
        }
        (Node::Object(members), Value::Object(map)) => {
            for (k, n) in members {
                if let Some(v) = map.get(&**k) {
                    walk_value(n, violation, v, out);
                }
            }
        }
        (Node::Array(items), Value::Array(vs)) => {
            for (n, v) in items.iter().zip(vs) {
                walk_value(n, violation, v, out);
            }
        }
        (Node::Tpl(t), v) => {
            super::walk::walk(t, v, out, violation, true);
        }
        _ => {}
    }
}

/// Values found in a body.
#[derive(Default, Debug)]
pub(super) struct Found {
    pub(super) code: Option<String>,
    /// A code written with a case filter (`code|kebab`): matched against
    /// the catalog's codes without regard to case and separators.
    pub(super) code_folded: Option<String>,
    pub(super) numeric: Option<i64>,
    pub(super) status: Option<u16>,
    pub(super) title: Option<String>,
    pub(super) message: Option<String>,
    pub(super) category: Option<String>,
    pub(super) details: Option<Value>,
    pub(super) details_raw: bool,
    pub(super) error_id: Option<String>,
    pub(super) request_id: Option<String>,
    pub(super) retry_after: Option<u64>,
    pub(super) google: Option<Value>,
    /// The violation being read, and those read (`$field_violations`).
    pub(super) cur: ViolationFound,
    pub(super) list: Option<Vec<FieldViolation>>,
    pub(super) hits: u32,
    /// Reading a violation (its variables go to `cur`).
    pub(super) in_item: bool,
}

pub(super) use super::visit::NodeSeed;
