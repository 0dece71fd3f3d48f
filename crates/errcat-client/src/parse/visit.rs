//! The serde side of the streaming reader: a seed that reads a body at one
//! template node, keeping the variables' values and skipping the rest
//! without building them.

use std::fmt;

use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::stream::{Found, Node, Var, ViolationFound};

/// A JSON scalar, or a skipped container.
enum Scalar {
    Null,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Other,
}

impl Scalar {
    fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Null | Scalar::Other => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(*i),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// Reads the body at one template node.
pub(super) struct NodeSeed<'a> {
    pub(super) node: &'a Node,
    pub(super) violation: &'a Node,
    pub(super) out: &'a mut Found,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.node {
            Node::Skip => {
                IgnoredAny::deserialize(d)?;
            }
            Node::Var(Var::FieldViolations) => d.deserialize_any(ViolationsVisitor {
                violation: self.violation,
                out: self.out,
            })?,
            Node::Var(var) => read_var(*var, d, self.out)?,
            Node::Tpl(t) => {
                let v = Value::deserialize(d)?;
                let in_item = self.out.in_item;
                if super::walk::walk(t, &v, self.out, self.violation, in_item) && !in_item {
                    self.out.hits += 1;
                }
            }
            Node::Object(_) | Node::Array(_) => d.deserialize_any(ContainerVisitor {
                node: self.node,
                violation: self.violation,
                out: self.out,
            })?,
        }
        Ok(())
    }
}

/// Reads the value of `var` into `out`, counting a hit when it has the
/// shape the renderer writes.
fn read_var<'de, D: Deserializer<'de>>(var: Var, d: D, out: &mut Found) -> Result<(), D::Error> {
    if matches!(var, Var::Details | Var::DetailsRaw | Var::GoogleDetails) {
        read_details(var, Value::deserialize(d)?, out);
        return Ok(());
    }
    let s = d.deserialize_any(ScalarVisitor)?;
    if read_scalar(var, s, out) {
        out.hits += 1;
    }
    Ok(())
}

/// Details, raw details or AIP-193 details: only the shape the renderer
/// writes counts (details are objects, AIP-193 details arrays).
fn read_details(var: Var, v: Value, out: &mut Found) {
    let shaped = match var {
        Var::GoogleDetails => v.is_array(),
        Var::Details => v.is_object(),
        _ => !v.is_null(),
    };
    if !shaped {
        return;
    }
    match var {
        Var::GoogleDetails => out.google = Some(v),
        _ => {
            out.details = Some(v);
            out.details_raw = var == Var::DetailsRaw;
        }
    }
    out.hits += 1;
}

/// A scalar variable; whether it counts as a hit (a violation's fields
/// count on the violation instead).
fn read_scalar(var: Var, s: Scalar, out: &mut Found) -> bool {
    match var {
        Var::Code => match s {
            Scalar::Str(c) => {
                out.code = Some(c);
                true
            }
            _ => false,
        },
        Var::NumericCode => match (s.as_i64(), s) {
            (Some(n), _) => {
                out.numeric = Some(n);
                true
            }
            // A word where the number goes is still the error's code.
            (None, Scalar::Str(c)) if out.code.is_none() && !c.is_empty() => {
                out.code = Some(c);
                true
            }
            _ => false,
        },
        Var::Status => {
            out.status = s.as_i64().and_then(|i| u16::try_from(i).ok());
            out.status.is_some()
        }
        Var::RetryAfter => {
            out.retry_after = s.as_i64().and_then(|i| u64::try_from(i).ok());
            out.retry_after.is_some()
        }
        Var::Path | Var::ViolationMessage | Var::Reason => {
            let v = s.into_string();
            if v.is_some() {
                out.cur.hits += 1;
            }
            match var {
                Var::Path => out.cur.path = v,
                Var::Reason => out.cur.reason = v,
                _ => out.cur.message = v,
            }
            false
        }
        Var::Title | Var::Message | Var::Category | Var::ErrorId | Var::RequestId => {
            let v = s.into_string();
            let hit = v.is_some();
            let slot = match var {
                Var::Title => &mut out.title,
                Var::Message => &mut out.message,
                Var::Category => &mut out.category,
                Var::ErrorId => &mut out.error_id,
                _ => &mut out.request_id,
            };
            *slot = v;
            hit
        }
        _ => false,
    }
}

struct ContainerVisitor<'a> {
    node: &'a Node,
    violation: &'a Node,
    out: &'a mut Found,
}

/// Reads an object key and finds its template member, without allocating.
struct KeySeed<'a>(&'a [(Box<str>, Node)]);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|(k, _)| **k == *key))
    }
}

/// Reads `$field_violations`: an array of violations in the violation
/// template's shape; anything else is skipped.
pub(super) struct ViolationsVisitor<'a> {
    violation: &'a Node,
    out: &'a mut Found,
}

impl<'de> Visitor<'de> for ViolationsVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of field violations")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut list = Vec::new();
        let was = std::mem::replace(&mut self.out.in_item, true);
        loop {
            self.out.cur = ViolationFound::default();
            let more = seq
                .next_element_seed(NodeSeed {
                    node: self.violation,
                    violation: self.violation,
                    out: &mut *self.out,
                })?
                .is_some();
            if !more {
                break;
            }
            let mut cur = std::mem::take(&mut self.out.cur);
            super::walk::settle(&mut cur, self.out);
            if cur.hits > 0 {
                list.push(cur.into_violation());
            }
        }
        self.out.in_item = was;
        self.out.list = Some(list);
        self.out.hits += 1;
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        ScalarVisitor.visit_map(map).map(drop)
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

impl<'de> Visitor<'de> for ContainerVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the envelope's shape")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Node::Object(members) = self.node else {
            return Err(de::Error::custom("an object where the envelope has none"));
        };
        while let Some(found) = map.next_key_seed(KeySeed(members))? {
            match found.map(|i| &members[i]) {
                Some((_, node)) => map.next_value_seed(NodeSeed {
                    node,
                    violation: self.violation,
                    out: &mut *self.out,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Node::Array(items) = self.node else {
            return Err(de::Error::custom("an array where the envelope has none"));
        };
        let mut i = 0;
        loop {
            let more = match items.get(i) {
                Some(node) => seq
                    .next_element_seed(NodeSeed {
                        node,
                        violation: self.violation,
                        out: &mut *self.out,
                    })?
                    .is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
}
