//! The values of template expressions: looked up, filtered, written.

use std::borrow::Cow;
use std::time::SystemTime;

use errcat_catalog::template::value as tv;
use errcat_catalog::template::{Alt, Expr, Filter, Var, reason_phrase};

use crate::envelope::At;
use crate::error::ParamValue;
use crate::json;

/// A value, borrowed from the context where it can be.
pub(crate) enum Val<'a> {
    Null,
    Str(Cow<'a, str>),
    /// A string already written as JSON (with quotes).
    Quoted(&'a [u8]),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// The error's message.
    Message,
    /// The field violations, each shaped by the `violation` template.
    Violations,
    /// `$details`: the details object, else the first violation, else `{}`.
    Details,
    /// The parameters, as an object.
    Params,
    Time(SystemTime),
    Json(serde_json::Value),
}

impl<'c> At<'c, '_> {
    /// A variable's value.
    pub(crate) fn var_val(&self, var: &Var) -> Val<'c> {
        let ctx = self.ctx;
        match var {
            Var::Code => Val::Quoted(&ctx.prepared.code),
            Var::NumericCode => ctx.def.numeric_code.map_or(Val::Null, Val::Int),
            Var::Status => Val::Int(i64::from(ctx.status)),
            Var::ReasonPhrase => match reason_phrase(ctx.status) {
                "" => Val::Null,
                p => Val::Str(Cow::Borrowed(p)),
            },
            Var::Title => Val::Str(Cow::Borrowed(ctx.title)),
            Var::Message => Val::Message,
            Var::ViolationMessage => match self.v {
                Some(v) => Val::Str(Cow::Borrowed(&v.message)),
                None => Val::Message,
            },
            Var::Category => Val::Quoted(&ctx.prepared.category),
            Var::Details => Val::Details,
            Var::FieldViolations | Var::Violations => Val::Violations,
            Var::Params => Val::Params,
            Var::Param(name) => match ctx.err.param(name) {
                Some(ParamValue::Str(s)) => Val::Str(crate::bounded(s)),
                Some(ParamValue::Int(i)) => Val::Int(*i),
                Some(ParamValue::Float(f)) => Val::Float(*f),
                Some(ParamValue::Bool(b)) => Val::Bool(*b),
                None => Val::Null,
            },
            Var::RequestHeader(name) => ctx
                .request_headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map_or(Val::Null, |(_, v)| Val::Str(Cow::Borrowed(*v))),
            Var::ErrorId => Val::Str(Cow::Borrowed(ctx.error_id)),
            Var::RequestId => opt(ctx.request_id),
            Var::Type => Val::Quoted(&ctx.prepared.type_uri),
            Var::Instance => opt(ctx.instance),
            Var::Method => opt(ctx.method),
            Var::RetryAfter => ctx.retry_after.map_or(Val::Null, |s| {
                Val::Int(i64::try_from(s).unwrap_or(i64::MAX))
            }),
            Var::Timestamp => Val::Time(ctx.now()),
            Var::DocUrl => opt(ctx.prepared.doc_url.as_deref()),
            Var::Path => match self.v {
                Some(v) => Val::Str(Cow::Borrowed(&v.path)),
                None => Val::Null,
            },
            Var::Reason => opt(self.v.and_then(|v| v.reason.as_deref())),
        }
    }

    /// An expression's value: the first alternative that is not null.
    pub(crate) fn eval(&self, e: &Expr) -> Val<'c> {
        for alt in &e.alts {
            let v = match alt {
                Alt::Lit(s) => return Val::Str(Cow::Owned(s.clone())),
                Alt::Var { var, filters } => {
                    let mut v = self.var_val(var);
                    for f in filters {
                        v = self.filter(v, f);
                    }
                    v
                }
            };
            if !matches!(v, Val::Null) {
                return v;
            }
        }
        Val::Null
    }

    fn filter(&self, v: Val<'c>, f: &Filter) -> Val<'c> {
        if matches!(v, Val::Null) {
            return v;
        }
        match f {
            Filter::Raw => v,
            Filter::Unix | Filter::UnixMs | Filter::Format(_) => {
                let Val::Time(t) = v else { return v };
                let c = tv::Civil::of(t);
                match f {
                    Filter::Unix => Val::Int(c.unix),
                    Filter::UnixMs => {
                        Val::Int(c.unix.saturating_mul(1000) + i64::from(c.nanos / 1_000_000))
                    }
                    Filter::Format(fmt) => {
                        let mut s = String::with_capacity(32);
                        fmt.format_into(c, &mut s);
                        Val::Str(Cow::Owned(s))
                    }
                    _ => unreachable!("matched above"),
                }
            }
            Filter::Json => {
                let mut buf = Vec::new();
                v.write(self, &mut buf);
                Val::Str(Cow::Owned(String::from_utf8(buf).unwrap_or_default()))
            }
            Filter::Segments(prefix) => match text(self, &v) {
                Some(t) => Val::Json(tv::segments(&t, prefix)),
                None => Val::Null,
            },
            other => match text(self, &v) {
                Some(t) => Val::Str(Cow::Owned(tv::text_filters(
                    std::slice::from_ref(other),
                    t.into_owned(),
                ))),
                None => Val::Null,
            },
        }
    }

    /// Writes a plain variable; the common ones straight from the context,
    /// without a [`Val`] in between.
    pub(crate) fn write_var(&self, buf: &mut Vec<u8>, var: &Var) {
        let ctx = self.ctx;
        match var {
            Var::Code => buf.extend_from_slice(&ctx.prepared.code),
            Var::Category => buf.extend_from_slice(&ctx.prepared.category),
            Var::Type => buf.extend_from_slice(&ctx.prepared.type_uri),
            Var::Status => json::int(buf, ctx.status),
            Var::Title => json::str(buf, ctx.title),
            Var::Message => ctx.write_message(buf),
            Var::ViolationMessage => match self.v {
                Some(v) => json::str(buf, &v.message),
                None => ctx.write_message(buf),
            },
            Var::Path => match self.v {
                Some(v) => json::str(buf, &v.path),
                None => buf.extend_from_slice(b"null"),
            },
            Var::ErrorId => json::str(buf, ctx.error_id),
            Var::RequestId => match ctx.request_id {
                Some(r) => json::str(buf, r),
                None => buf.extend_from_slice(b"null"),
            },
            _ => self.var_val(var).write(self, buf),
        }
    }
}

fn opt(s: Option<&str>) -> Val<'_> {
    s.map_or(Val::Null, |s| Val::Str(Cow::Borrowed(s)))
}

/// A value as text (`None` for null): numbers in decimal, times in RFC 3339
/// with milliseconds, objects and lists as their JSON.
pub(crate) fn text<'v>(at: &At<'_, '_>, v: &'v Val<'_>) -> Option<Cow<'v, str>> {
    Some(Cow::Owned(match v {
        Val::Null => return None,
        Val::Str(s) => return Some(Cow::Borrowed(s)),
        Val::Quoted(q) => serde_json::from_slice::<String>(q).unwrap_or_default(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => f.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::Message => at.ctx.message_string(),
        Val::Time(t) => humantime::format_rfc3339_millis(*t).to_string(),
        Val::Violations | Val::Details | Val::Params | Val::Json(_) => {
            let mut buf = Vec::new();
            v.write(at, &mut buf);
            String::from_utf8(buf).unwrap_or_default()
        }
    }))
}

impl Val<'_> {
    /// Writes the value as JSON.
    pub(crate) fn write(&self, at: &At<'_, '_>, buf: &mut Vec<u8>) {
        let ctx = at.ctx;
        match self {
            Val::Null => buf.extend_from_slice(b"null"),
            Val::Str(s) => json::str(buf, s),
            Val::Quoted(q) => buf.extend_from_slice(q),
            Val::Int(i) => json::int(buf, *i),
            Val::Float(f) => json::value(
                buf,
                &serde_json::Number::from_f64(*f)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
            ),
            Val::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
            Val::Message => ctx.write_message(buf),
            Val::Violations => {
                buf.push(b'[');
                for (i, fv) in ctx.violations().iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    at.violation(buf, fv);
                }
                buf.push(b']');
            }
            Val::Details => match (ctx.err.details(), ctx.violations().first()) {
                (Some(d), _) => json::value(buf, d),
                (None, Some(first)) => at.violation(buf, first),
                (None, None) => buf.extend_from_slice(b"{}"),
            },
            Val::Params => {
                buf.push(b'{');
                for (i, (name, value)) in ctx.err.params().iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    json::str(buf, name);
                    buf.push(b':');
                    match value {
                        ParamValue::Str(s) => json::str(buf, &crate::bounded(s)),
                        other => json::value(buf, &other.to_json()),
                    }
                }
                buf.push(b'}');
            }
            Val::Time(t) => json::str(buf, &humantime::format_rfc3339_millis(*t).to_string()),
            Val::Json(v) => json::value(buf, v),
        }
    }

    /// Null, or an empty list or object: what `"$EXPR?"` leaves out.
    pub(crate) fn is_empty(&self, at: &At<'_, '_>) -> bool {
        match self {
            Val::Null => true,
            Val::Violations => at.ctx.violations().is_empty(),
            Val::Details => at.ctx.err.details().is_none() && at.ctx.violations().is_empty(),
            Val::Params => at.ctx.err.params().is_empty(),
            Val::Json(serde_json::Value::Array(a)) => a.is_empty(),
            Val::Json(serde_json::Value::Object(o)) => o.is_empty(),
            Val::Json(serde_json::Value::Null) => true,
            _ => false,
        }
    }

    /// What `$if` holds for: not empty, not false, not empty text.
    pub(crate) fn is_truthy(&self, at: &At<'_, '_>) -> bool {
        match self {
            Val::Bool(b) => *b,
            Val::Str(s) => !s.is_empty(),
            Val::Quoted(q) => q.len() > 2,
            Val::Json(serde_json::Value::Bool(b)) => *b,
            Val::Json(serde_json::Value::String(s)) => !s.is_empty(),
            other => !other.is_empty(at),
        }
    }
}
