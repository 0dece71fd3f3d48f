//! Custom envelopes: a JSON template compiled once into literal byte runs
//! and variable slots, rendered without building a JSON tree.

use errcat_catalog::FieldViolation;
use errcat_catalog::template::{self, Var, VarRef};

use crate::Ctx;
use crate::json;

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Lit(Box<[u8]>),
    Var(Var),
    Array(Vec<Node>),
    Object(Vec<Member>),
}

#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// `"key":`, escaped.
    key: Box<[u8]>,
    value: Node,
    /// Drop the member when the value is null (`"$var?"`).
    optional: bool,
}

/// A compiled template: literal byte runs and variable slots in order.
/// Objects with optional members stay nodes, since their commas depend on
/// the values.
#[derive(Clone, Debug)]
pub(crate) struct Ops(Vec<Op>);

#[derive(Clone, Debug)]
enum Op {
    Lit(Box<[u8]>),
    Var(Var),
    Node(Node),
}

impl Ops {
    pub(crate) fn new(node: &Node) -> Self {
        let mut ops = Vec::new();
        let mut pending = Vec::new();
        flatten(node, &mut pending, &mut ops);
        if !pending.is_empty() {
            ops.push(Op::Lit(pending.into_boxed_slice()));
        }
        Ops(ops)
    }
}

fn flatten(node: &Node, pending: &mut Vec<u8>, ops: &mut Vec<Op>) {
    let flush = |pending: &mut Vec<u8>, ops: &mut Vec<Op>| {
        if !pending.is_empty() {
            ops.push(Op::Lit(std::mem::take(pending).into_boxed_slice()));
        }
    };
    match node {
        Node::Lit(bytes) => pending.extend_from_slice(bytes),
        Node::Var(var) => {
            flush(pending, ops);
            ops.push(Op::Var(*var));
        }
        Node::Array(items) => {
            pending.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    pending.push(b',');
                }
                flatten(item, pending, ops);
            }
            pending.push(b']');
        }
        Node::Object(members) if members.iter().all(|m| !m.optional) => {
            pending.push(b'{');
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    pending.push(b',');
                }
                pending.extend_from_slice(&m.key);
                flatten(&m.value, pending, ops);
            }
            pending.push(b'}');
        }
        Node::Object(_) => {
            flush(pending, ops);
            ops.push(Op::Node(node.clone()));
        }
    }
}

/// A compiled envelope.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub(crate) body: Ops,
    pub(crate) violation: Ops,
    pub(crate) media_type: std::sync::Arc<str>,
}

fn has_vars(v: &serde_json::Value) -> bool {
    let mut found = false;
    template::visit_vars(v, &mut |_| found = true);
    found
}

/// Compiles a template. Unknown variables (rejected by the catalog's lint)
/// render as null.
pub(crate) fn compile(v: &serde_json::Value, violation: bool) -> Node {
    use serde_json::Value;
    if !has_vars(v) {
        let mut buf = Vec::new();
        write_literal(&mut buf, v);
        return Node::Lit(buf.into_boxed_slice());
    }
    match v {
        Value::String(s) => match template::var_ref(s).and_then(|r| Var::parse(r.name, violation)) {
            Some(var) => Node::Var(var),
            None => Node::Lit(b"null".to_vec().into_boxed_slice()),
        },
        Value::Array(items) => Node::Array(items.iter().map(|i| compile(i, violation)).collect()),
        Value::Object(map) => Node::Object(
            map.iter()
                .map(|(k, v)| {
                    let mut key = json::quoted(k).into_vec();
                    key.push(b':');
                    let optional = matches!(v, Value::String(s) if template::var_ref(s).is_some_and(|r: VarRef<'_>| r.optional));
                    Member {
                        key: key.into_boxed_slice(),
                        value: compile(v, violation),
                        optional,
                    }
                })
                .collect(),
        ),
        _ => unreachable!("scalars other than strings hold no variables"),
    }
}

/// Writes a template value with `$$` unescaped.
fn write_literal(buf: &mut Vec<u8>, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => json::str(buf, &template::literal(s)),
        Value::Array(items) => {
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_literal(buf, item);
            }
            buf.push(b']');
        }
        Value::Object(map) => {
            buf.push(b'{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                json::str(buf, k);
                buf.push(b':');
                write_literal(buf, v);
            }
            buf.push(b'}');
        }
        other => json::value(buf, other),
    }
}

impl Compiled {
    pub(crate) fn render(&self, buf: &mut Vec<u8>, ctx: &Ctx<'_>) {
        self.ops(buf, &self.body, ctx, None);
    }

    fn ops(&self, buf: &mut Vec<u8>, ops: &Ops, ctx: &Ctx<'_>, v: Option<&FieldViolation>) {
        for op in &ops.0 {
            match op {
                Op::Lit(bytes) => buf.extend_from_slice(bytes),
                Op::Var(var) => self.var(buf, *var, ctx, v),
                Op::Node(node) => self.node(buf, node, ctx, v),
            }
        }
    }

    fn node(&self, buf: &mut Vec<u8>, node: &Node, ctx: &Ctx<'_>, v: Option<&FieldViolation>) {
        match node {
            Node::Lit(bytes) => buf.extend_from_slice(bytes),
            Node::Var(var) => self.var(buf, *var, ctx, v),
            Node::Array(items) => {
                buf.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    self.node(buf, item, ctx, v);
                }
                buf.push(b']');
            }
            Node::Object(members) => {
                buf.push(b'{');
                let mut first = true;
                for m in members {
                    if m.optional
                        && let Node::Var(var) = m.value
                        && is_null(var, ctx, v)
                    {
                        continue;
                    }
                    if !std::mem::take(&mut first) {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(&m.key);
                    self.node(buf, &m.value, ctx, v);
                }
                buf.push(b'}');
            }
        }
    }

    fn violation(&self, buf: &mut Vec<u8>, ctx: &Ctx<'_>, v: &FieldViolation) {
        self.ops(buf, &self.violation, ctx, Some(v));
    }

    fn var(&self, buf: &mut Vec<u8>, var: Var, ctx: &Ctx<'_>, v: Option<&FieldViolation>) {
        match var {
            Var::Code => buf.extend_from_slice(&ctx.prepared.code),
            Var::NumericCode => match ctx.def.numeric_code {
                Some(n) => json::int(buf, n),
                None => buf.extend_from_slice(b"null"),
            },
            Var::Status => json::int(buf, ctx.status),
            Var::Title => json::str(buf, ctx.title),
            Var::Message | Var::ViolationMessage => match v {
                Some(v) => json::str(buf, &v.message),
                None => ctx.write_message(buf),
            },
            Var::Category => buf.extend_from_slice(&ctx.prepared.category),
            Var::Details => match (ctx.err.details(), ctx.err.violations().first()) {
                (Some(d), _) => json::value(buf, d),
                (None, Some(first)) => self.violation(buf, ctx, first),
                (None, None) => buf.extend_from_slice(b"{}"),
            },
            Var::FieldViolations => {
                buf.push(b'[');
                for (i, fv) in ctx.err.violations().iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    self.violation(buf, ctx, fv);
                }
                buf.push(b']');
            }
            Var::ErrorId => json::str(buf, ctx.error_id),
            Var::RequestId => opt_str(buf, ctx.request_id),
            Var::Type => buf.extend_from_slice(&ctx.prepared.type_uri),
            Var::Instance => opt_str(buf, ctx.instance),
            Var::RetryAfter => match ctx.retry_after {
                Some(s) => json::int(buf, s),
                None => buf.extend_from_slice(b"null"),
            },
            Var::Timestamp => json::str(buf, &ctx.timestamp()),
            Var::DocUrl => opt_str(buf, ctx.prepared.doc_url.as_deref()),
            Var::Path => json::str(buf, v.map_or("", |v| v.path.as_str())),
            Var::Reason => opt_str(buf, v.and_then(|v| v.reason.as_deref())),
        }
    }
}

fn opt_str(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json::str(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

fn is_null(var: Var, ctx: &Ctx<'_>, v: Option<&FieldViolation>) -> bool {
    match var {
        Var::NumericCode => ctx.def.numeric_code.is_none(),
        Var::RequestId => ctx.request_id.is_none(),
        Var::Instance => ctx.instance.is_none(),
        Var::RetryAfter => ctx.retry_after.is_none(),
        Var::DocUrl => ctx.prepared.doc_url.is_none(),
        Var::Reason => v.and_then(|v| v.reason.as_ref()).is_none(),
        _ => false,
    }
}
