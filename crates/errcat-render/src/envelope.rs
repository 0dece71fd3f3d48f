//! Custom envelopes: a catalog template ([`Tpl`]) compiled once into
//! literal byte runs and slots, rendered without building a JSON tree.
//!
//! Parts whose presence depends on the values (`"$x?"`, `$if`) are written
//! speculatively: the member's comma and key go into the buffer, and are
//! cut off again when the value turns out to be left out.

use std::borrow::Cow;
use std::sync::Arc;

use errcat_catalog::FieldViolation;
use errcat_catalog::template::{Alt, Each, Expr, If, Piece, Tpl, Var};

use crate::Ctx;
use crate::json;
use crate::value;

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Lit(Box<[u8]>),
    /// A plain variable: written straight from the context.
    Var(Var),
    /// An expression with filters or fallbacks; `optional`: left out when
    /// null or empty.
    Value(Expr, bool),
    /// A string with values in it.
    Text(Vec<Part>, bool),
    Array(Vec<Node>),
    Object(Vec<Member>),
    Each(Box<EachNode>),
    If(Box<IfNode>),
}

#[derive(Clone, Debug)]
pub(crate) enum Part {
    /// Escaped literal text.
    Lit(Box<[u8]>),
    Expr(Expr),
    /// An expression of the error's entry alone (`${code|kebab}`): its
    /// text, escaped or percent-encoded, is computed once per entry
    /// (`Compiled::statics`).
    Static(usize),
}

/// Whether an expression's value depends on the catalog entry alone.
fn is_static(e: &Expr) -> bool {
    e.alts.iter().all(|a| match a {
        Alt::Lit(_) => true,
        Alt::Var { var, .. } => matches!(
            var,
            Var::Code | Var::NumericCode | Var::Category | Var::Type | Var::DocUrl
        ),
    })
}

#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// `"key":`, escaped.
    key: Box<[u8]>,
    value: Node,
}

#[derive(Clone, Debug)]
pub(crate) struct EachNode {
    item: Node,
    key: Option<Node>,
    group: bool,
    once_if_empty: bool,
    otherwise: Option<Node>,
}

#[derive(Clone, Debug)]
pub(crate) struct IfNode {
    cond: Expr,
    then: Node,
    otherwise: Option<Node>,
}

impl Node {
    /// Whether rendering may leave it out (its parent then writes no comma).
    fn omittable(&self) -> bool {
        match self {
            Node::Value(_, optional) => *optional,
            Node::If(i) => i.otherwise.as_ref().is_none_or(Node::omittable) || i.then.omittable(),
            Node::Each(e) => e.otherwise.as_ref().is_some_and(Node::omittable),
            _ => false,
        }
    }
}

/// A compiled template: literal byte runs and slots in order. Containers
/// with parts that may be left out stay nodes, since their commas depend on
/// the values.
#[derive(Clone, Debug)]
pub(crate) struct Ops(Vec<Op>);

#[derive(Clone, Debug)]
enum Op {
    Lit(Box<[u8]>),
    /// A plain variable, written straight from the context.
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
    match node {
        Node::Lit(bytes) => pending.extend_from_slice(bytes),
        Node::Array(items) if items.iter().all(|i| !i.omittable()) => {
            pending.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    pending.push(b',');
                }
                flatten(item, pending, ops);
            }
            pending.push(b']');
        }
        Node::Object(members) if members.iter().all(|m| !m.value.omittable()) => {
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
        other => {
            if !pending.is_empty() {
                ops.push(Op::Lit(std::mem::take(pending).into_boxed_slice()));
            }
            ops.push(match other {
                Node::Var(var) => Op::Var(var.clone()),
                _ => Op::Node(other.clone()),
            });
        }
    }
}

/// A compiled envelope.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub(crate) body: Ops,
    pub(crate) violation: Ops,
    pub(crate) media_type: Arc<str>,
    /// The HTTP status every error is sent with, if the envelope sets one.
    pub(crate) status: Option<u16>,
    pub(crate) headers: Vec<(String, Node)>,
    /// The static expressions' bytes, by entry, then by slot.
    pub(crate) statics: Vec<Vec<Box<[u8]>>>,
}

impl Compiled {
    /// Computes the static expressions' bytes for every entry.
    pub(crate) fn fill_statics(&mut self, slots: &[(Expr, bool)], ctxs: &[Ctx<'_>]) {
        let statics = ctxs
            .iter()
            .map(|ctx| {
                let at = At {
                    ctx,
                    env: self,
                    v: None,
                };
                slots
                    .iter()
                    .map(|(e, encode)| {
                        let mut buf = Vec::new();
                        at.write_expr_text(&mut buf, e, *encode);
                        buf.into_boxed_slice()
                    })
                    .collect()
            })
            .collect();
        self.statics = statics;
    }
}

/// Compiles a catalog template.
pub(crate) fn compile(t: &Tpl, slots: &mut Vec<(Expr, bool)>) -> Node {
    match t {
        Tpl::Lit(v) => {
            let mut buf = Vec::new();
            json::value(&mut buf, v);
            Node::Lit(buf.into_boxed_slice())
        }
        Tpl::Value { expr, optional } => match (expr.as_plain_var(), optional) {
            (Some(var), false) => Node::Var(var.clone()),
            _ => Node::Value(expr.clone(), *optional),
        },
        Tpl::Text(text) => Node::Text(
            text.pieces
                .iter()
                .map(|p| match p {
                    Piece::Lit(s) => {
                        let mut buf = Vec::new();
                        json::escape(&mut buf, s);
                        Part::Lit(buf.into_boxed_slice())
                    }
                    Piece::Expr(e) if is_static(e) => {
                        slots.push((e.clone(), text.url && !e.is_raw()));
                        Part::Static(slots.len() - 1)
                    }
                    Piece::Expr(e) => Part::Expr(e.clone()),
                })
                .collect(),
            text.url,
        ),
        Tpl::Array(items) => Node::Array(items.iter().map(|i| compile(i, slots)).collect()),
        Tpl::Object(members) => Node::Object(
            members
                .iter()
                .map(|(k, v)| {
                    let mut key = json::quoted(k).into_vec();
                    key.push(b':');
                    Member {
                        key: key.into_boxed_slice(),
                        value: compile(v, slots),
                    }
                })
                .collect(),
        ),
        Tpl::Each(e) => {
            let Each {
                item,
                key,
                group,
                once_if_empty,
                otherwise,
            } = &**e;
            Node::Each(Box::new(EachNode {
                item: compile(item, slots),
                key: key.as_ref().map(|k| compile(k, slots)),
                group: *group,
                once_if_empty: *once_if_empty,
                otherwise: otherwise.as_ref().map(|o| compile(o, slots)),
            }))
        }
        Tpl::If(i) => {
            let If {
                cond,
                then,
                otherwise,
            } = &**i;
            Node::If(Box::new(IfNode {
                cond: cond.clone(),
                then: compile(then, slots),
                otherwise: otherwise.as_ref().map(|o| compile(o, slots)),
            }))
        }
    }
}

/// Where a node is rendered: the error, and the violation of the item
/// being rendered (`None` at the body's level, or for an item that stands
/// for the error itself).
#[derive(Clone, Copy)]
pub(crate) struct At<'c, 'a> {
    pub(crate) ctx: &'c Ctx<'a>,
    pub(crate) env: &'c Compiled,
    pub(crate) v: Option<&'c FieldViolation>,
}

impl Compiled {
    pub(crate) fn render(&self, buf: &mut Vec<u8>, ctx: &Ctx<'_>) {
        let at = At {
            ctx,
            env: self,
            v: None,
        };
        if !at.ops(buf, &self.body) {
            buf.extend_from_slice(b"null");
        }
    }

    /// The envelope's headers, rendered (those that render empty are left out).
    pub(crate) fn headers(&self, ctx: &Ctx<'_>, out: &mut Vec<(String, String)>) {
        let at = At {
            ctx,
            env: self,
            v: None,
        };
        for (name, node) in &self.headers {
            let text = match node {
                Node::Lit(bytes) => serde_json::from_slice::<String>(bytes).ok(),
                Node::Var(var) => value::text(&at, &at.var_val(var)).map(Cow::into_owned),
                Node::Value(e, _) => value::text(&at, &at.eval(e)).map(Cow::into_owned),
                Node::Text(parts, url) => Some(at.text(parts, *url)),
                _ => None,
            };
            if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
                out.push((name.clone(), crate::error::sanitize_header(t)));
            }
        }
    }
}

impl At<'_, '_> {
    /// Renders ops; false when the whole was left out (a lone optional).
    fn ops(&self, buf: &mut Vec<u8>, ops: &Ops) -> bool {
        for op in &ops.0 {
            match op {
                Op::Lit(bytes) => buf.extend_from_slice(bytes),
                Op::Var(var) => self.write_var(buf, var),
                Op::Node(node) => {
                    if !self.node(buf, node) && ops.0.len() == 1 {
                        return false;
                    }
                }
            }
        }
        true
    }

    pub(crate) fn violation(&self, buf: &mut Vec<u8>, fv: &FieldViolation) {
        let at = At {
            v: Some(fv),
            ..*self
        };
        if !at.ops(buf, &self.env.violation) {
            buf.extend_from_slice(b"null");
        }
    }

    /// Writes a node; false when it is left out (nothing written).
    fn node(&self, buf: &mut Vec<u8>, node: &Node) -> bool {
        match node {
            Node::Lit(bytes) => buf.extend_from_slice(bytes),
            Node::Var(var) => self.write_var(buf, var),
            Node::Value(expr, optional) => {
                let val = self.eval(expr);
                if *optional && val.is_empty(self) {
                    return false;
                }
                val.write(self, buf);
            }
            Node::Text(parts, url) => {
                buf.push(b'"');
                self.write_text(buf, parts, *url);
                buf.push(b'"');
            }
            Node::Array(items) => {
                buf.push(b'[');
                let mut first = true;
                for item in items {
                    let mark = buf.len();
                    if !first {
                        buf.push(b',');
                    }
                    if self.node(buf, item) {
                        first = false;
                    } else {
                        buf.truncate(mark);
                    }
                }
                buf.push(b']');
            }
            Node::Object(members) => {
                buf.push(b'{');
                let mut first = true;
                for m in members {
                    let mark = buf.len();
                    if !first {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(&m.key);
                    if self.node(buf, &m.value) {
                        first = false;
                    } else {
                        buf.truncate(mark);
                    }
                }
                buf.push(b'}');
            }
            Node::Each(each) => return self.each(buf, each),
            Node::If(i) => {
                if self.eval(&i.cond).is_truthy(self) {
                    return self.node(buf, &i.then);
                }
                return match &i.otherwise {
                    Some(o) => self.node(buf, o),
                    None => false,
                };
            }
        }
        true
    }

    fn each(&self, buf: &mut Vec<u8>, each: &EachNode) -> bool {
        let violations = self.ctx.violations();
        if violations.is_empty() {
            if each.once_if_empty {
                buf.push(b'[');
                let at = At { v: None, ..*self };
                let mark = buf.len();
                if !at.node(buf, &each.item) {
                    buf.truncate(mark);
                }
                buf.push(b']');
                return true;
            }
            return match &each.otherwise {
                Some(o) => self.node(buf, o),
                None => {
                    buf.extend_from_slice(if each.key.is_some() { b"{}" } else { b"[]" });
                    true
                }
            };
        }
        let Some(key) = &each.key else {
            buf.push(b'[');
            let mut first = true;
            for fv in violations {
                self.item(buf, &each.item, fv, &mut first);
            }
            buf.push(b']');
            return true;
        };
        // Keys in the order they first appear; each with its violations.
        let keys: Vec<Cow<'_, str>> = violations
            .iter()
            .map(|fv| {
                At {
                    v: Some(fv),
                    ..*self
                }
                .key_text(key)
            })
            .collect();
        buf.push(b'{');
        let mut n = 0;
        if keys.len() <= 32 {
            // A few violations: each key's members found by a scan, nothing allocated.
            for i in 0..keys.len() {
                if !keys[..i].contains(&keys[i]) {
                    let members = (i..keys.len()).filter(|&j| keys[j] == keys[i]);
                    self.keyed_member(buf, each, &mut n, &keys[i], members, violations);
                }
            }
        } else {
            for members in group_indices(&keys) {
                let key = &keys[members[0]];
                self.keyed_member(buf, each, &mut n, key, members.into_iter(), violations);
            }
        }
        buf.push(b'}');
        true
    }
}

impl<'c> At<'c, '_> {
    /// Writes one item of `$each` for a violation, after a comma unless it
    /// is the `first`; false (and nothing written) when it is left out.
    fn item(&self, buf: &mut Vec<u8>, item: &Node, fv: &FieldViolation, first: &mut bool) -> bool {
        let at = At {
            v: Some(fv),
            ..*self
        };
        let mark = buf.len();
        if !*first {
            buf.push(b',');
        }
        if at.node(buf, item) {
            *first = false;
            true
        } else {
            buf.truncate(mark);
            false
        }
    }

    /// Writes one member of a keyed `$each`: the key, then its first item,
    /// or all its items in an array with `group`.
    fn keyed_member(
        &self,
        buf: &mut Vec<u8>,
        each: &EachNode,
        n: &mut usize,
        key: &str,
        members: impl Iterator<Item = usize>,
        violations: &[FieldViolation],
    ) {
        if *n > 0 {
            buf.push(b',');
        }
        *n += 1;
        json::str(buf, key);
        buf.push(b':');
        if each.group {
            buf.push(b'[');
        }
        let mut first = true;
        for j in members.take(if each.group { usize::MAX } else { 1 }) {
            if !self.item(buf, &each.item, &violations[j], &mut first) && !each.group {
                buf.extend_from_slice(b"null");
            }
        }
        if each.group {
            buf.push(b']');
        }
    }

    /// The text of a key template for the current violation.
    fn key_text(&self, key: &Node) -> Cow<'c, str> {
        match key {
            Node::Var(Var::Path) => Cow::Borrowed(self.v.map_or("", |v| v.path.as_str())),
            Node::Lit(bytes) => {
                Cow::Owned(serde_json::from_slice::<String>(bytes).unwrap_or_default())
            }
            Node::Var(var) => Cow::Owned(
                value::text(self, &self.var_val(var))
                    .map(Cow::into_owned)
                    .unwrap_or_default(),
            ),
            Node::Value(e, _) => Cow::Owned(
                value::text(self, &self.eval(e))
                    .map(Cow::into_owned)
                    .unwrap_or_default(),
            ),
            Node::Text(parts, url) => Cow::Owned(self.text(parts, *url)),
            _ => Cow::Borrowed(""),
        }
    }
}

impl At<'_, '_> {
    /// A string template's text, unescaped.
    fn text(&self, parts: &[Part], url: bool) -> String {
        let mut buf = Vec::new();
        self.write_text(&mut buf, parts, url);
        serde_json::from_slice::<String>(&[b"\"".as_slice(), &buf, b"\""].concat())
            .unwrap_or_default()
    }

    /// Writes a string template's text, escaped, without quotes.
    fn write_text(&self, buf: &mut Vec<u8>, parts: &[Part], url: bool) {
        for p in parts {
            match p {
                Part::Lit(bytes) => buf.extend_from_slice(bytes),
                Part::Static(i) => buf.extend_from_slice(&self.env.statics[self.ctx.def_idx][*i]),
                Part::Expr(e) => self.write_expr_text(buf, e, url && !e.is_raw()),
            }
        }
    }

    /// Writes an expression's text, escaped or percent-encoded.
    fn write_expr_text(&self, buf: &mut Vec<u8>, e: &Expr, encode: bool) {
        match e.as_plain_var() {
            // The message is written straight into the buffer.
            Some(Var::Message) if !encode => self.ctx.write_message_text(buf),
            Some(Var::ViolationMessage) if !encode && self.v.is_none() => {
                self.ctx.write_message_text(buf);
            }
            _ => {
                let val = self.eval(e);
                if let Some(t) = value::text(self, &val) {
                    if encode {
                        let mut out = String::with_capacity(t.len());
                        errcat_catalog::template::value::percent_encode(&t, &mut out);
                        buf.extend_from_slice(out.as_bytes());
                    } else {
                        json::escape(buf, &t);
                    }
                }
            }
        }
    }
}

/// Groups equal keys: for each distinct key (in order of first
/// appearance), the indices that have it; hashed, so that a body with
/// 100,000 violations stays linear.
fn group_indices(keys: &[Cow<'_, str>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        match index.get(k.as_ref()) {
            Some(&g) => groups[g].push(i),
            None => {
                index.insert(k.as_ref(), groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}
