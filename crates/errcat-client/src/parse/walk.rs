//! Reading the newer template constructs back from a JSON value: text
//! with values in it, `$each`, `$if`, filters and `a ?? b`.
//!
//! Filters are undone where they can be: a JSON Pointer or a segment array
//! back to a dotted path, percent-encoding decoded, a case-changed code
//! matched against the catalog without regard to case. Times are not read.

use errcat_catalog::template::value as tv;
use errcat_catalog::template::{Alt, Each, Expr, Filter, Piece, Text, Tpl, Var as T};
use serde_json::Value;

use super::stream::{Found, Node, Var, ViolationFound, read_violation};

/// Reads `v` through `t` into `out` (violation variables into `out.cur`
/// when `in_item`). True when something was read or matched.
pub(super) fn walk(t: &Tpl, v: &Value, out: &mut Found, violation: &Node, in_item: bool) -> bool {
    match t {
        Tpl::Lit(lit) => lit == v,
        Tpl::Value { expr, .. } => read_value(expr, v.clone(), out, violation, in_item),
        Tpl::Text(text) => match v {
            Value::String(s) => read_text(text, s, out, violation, in_item),
            _ => false,
        },
        Tpl::Array(items) => match v {
            Value::Array(vs) => items.iter().zip(vs).fold(false, |acc, (t, v)| {
                walk(t, v, out, violation, in_item) | acc
            }),
            _ => false,
        },
        Tpl::Object(members) => match v {
            Value::Object(map) => members.iter().fold(false, |acc, (k, t)| match map.get(k) {
                Some(v) => walk(t, v, out, violation, in_item) | acc,
                None => acc,
            }),
            _ => false,
        },
        Tpl::Each(each) => read_each(each, v, out, violation, in_item),
        Tpl::If(i) => {
            if walk(&i.then, v, out, violation, in_item) {
                return true;
            }
            i.otherwise
                .as_ref()
                .is_some_and(|o| walk(o, v, out, violation, in_item))
        }
    }
}

fn read_each(each: &Each, v: &Value, out: &mut Found, violation: &Node, in_item: bool) -> bool {
    // A body that lists its violations twice is read from the first list.
    let earlier = out.list.take().filter(|l| !l.is_empty());
    let mut list = Vec::new();
    let matched = match (v, &each.key) {
        (Value::Array(items), None) => {
            for item in items {
                read_item(
                    &each.item,
                    item,
                    ViolationFound::default(),
                    out,
                    violation,
                    &mut list,
                );
            }
            true
        }
        // Grouped items are arrays: an object whose values are not is
        // another shape (`{"detail": "…"}` beside `{"field": ["…"]}`).
        (Value::Object(map), Some(key)) if !each.group || map.values().all(Value::is_array) => {
            for (k, val) in map {
                let saved = std::mem::take(&mut out.cur);
                walk(key, &Value::String(k.clone()), out, violation, true);
                let base = std::mem::replace(&mut out.cur, saved);
                match (each.group, val) {
                    (true, Value::Array(items)) => {
                        for item in items {
                            read_item(&each.item, item, base.clone(), out, violation, &mut list);
                        }
                    }
                    _ => read_item(&each.item, val, base, out, violation, &mut list),
                }
            }
            true
        }
        _ => false,
    };
    out.list = Some(earlier.unwrap_or(list));
    if matched {
        return true;
    }
    each.otherwise
        .as_ref()
        .is_some_and(|o| walk(o, v, out, violation, in_item))
}

/// Reads one item of `$each`: a field violation, or the error itself.
fn read_item(
    t: &Tpl,
    v: &Value,
    base: ViolationFound,
    out: &mut Found,
    violation: &Node,
    list: &mut Vec<errcat_catalog::FieldViolation>,
) {
    let saved = std::mem::replace(&mut out.cur, base);
    let was = std::mem::replace(&mut out.in_item, true);
    walk(t, v, out, violation, true);
    out.in_item = was;
    let mut cur = std::mem::replace(&mut out.cur, saved);
    settle(&mut cur, out);
    if cur.path.is_some() || cur.reason.is_some() {
        list.push(cur.into_violation());
    } else if let Some(m) = cur.message {
        // An item without a field stands for the error itself.
        out.message.get_or_insert(m);
    }
}

/// Assigns the values of an item's `a ?? b` expressions: to the first
/// violation variable when the item is a field's, else to the first of
/// the error's.
pub(super) fn settle(cur: &mut ViolationFound, out: &mut Found) {
    let is_violation = cur.path.is_some();
    for (expr, value) in std::mem::take(&mut cur.pending) {
        let pick = expr.alts.iter().find(|a| match a {
            Alt::Var { var, .. } => var.is_violation() == is_violation && Var::of(var).is_some(),
            Alt::Lit(_) => false,
        });
        if let Some(Alt::Var { var, filters }) = pick {
            let saved = std::mem::replace(&mut out.cur, std::mem::take(cur));
            assign_filtered(var, filters, value, out, true);
            *cur = std::mem::replace(&mut out.cur, saved);
        }
    }
}

fn read_value(expr: &Expr, v: Value, out: &mut Found, violation: &Node, in_item: bool) -> bool {
    let vars: Vec<_> = expr
        .alts
        .iter()
        .filter_map(|a| match a {
            Alt::Var { var, filters } => Some((var, filters)),
            Alt::Lit(_) => None,
        })
        .collect();
    if vars.len() > 1 && in_item {
        out.cur.pending.push((expr.clone(), v));
        return true;
    }
    let Some((var, filters)) = vars.first() else {
        return false;
    };
    if **var == T::FieldViolations {
        return read_list(v, out, violation);
    }
    assign_filtered(var, filters, v, out, in_item)
}

/// `$field_violations` inside a part read whole: each through the
/// violation template.
fn read_list(v: Value, out: &mut Found, violation: &Node) -> bool {
    let Value::Array(items) = v else { return false };
    let list = out.list.get_or_insert_with(Vec::new);
    list.extend(items.iter().filter_map(|i| read_violation(violation, i)));
    true
}

/// Undoes the filters, then assigns.
fn assign_filtered(
    var: &T,
    filters: &[Filter],
    mut v: Value,
    out: &mut Found,
    in_item: bool,
) -> bool {
    let mut folded = false;
    for f in filters.iter().rev() {
        v = match f {
            Filter::Segments(prefix) => match tv::segments_to_path(&v, prefix) {
                Some(p) => Value::String(p),
                None => return false,
            },
            Filter::Pointer => match v.as_str().and_then(tv::pointer_to_path) {
                Some(p) => Value::String(p),
                None => return false,
            },
            Filter::Url => match v.as_str().and_then(tv::percent_decode) {
                Some(p) => Value::String(p),
                None => return false,
            },
            Filter::Json => match v.as_str().and_then(|s| serde_json::from_str(s).ok()) {
                Some(p) => p,
                None => return false,
            },
            Filter::Unix | Filter::UnixMs | Filter::Format(_) => return false,
            f if f.folds_case() => {
                folded = true;
                v
            }
            _ => v,
        };
    }
    if folded && *var == T::Code {
        return match v {
            Value::String(s) => {
                out.code_folded.get_or_insert(s);
                true
            }
            _ => false,
        };
    }
    assign(var, v, out, in_item)
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Puts a value read for `var` where it belongs; the first value of a
/// variable of the error wins (items repeat them).
fn assign(var: &T, v: Value, out: &mut Found, in_item: bool) -> bool {
    let Some(var) = Var::of(var) else {
        return !v.is_null();
    };
    let int = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let set = |slot: &mut Option<String>, v: &Value| match text_of(v) {
        Some(s) => {
            slot.get_or_insert(s);
            true
        }
        None => false,
    };
    match var {
        Var::Code => set(&mut out.code, &v),
        Var::NumericCode => match int(&v) {
            Some(n) => {
                out.numeric.get_or_insert(n);
                true
            }
            None => set(&mut out.code, &v),
        },
        Var::Status => match int(&v).and_then(|i| u16::try_from(i).ok()) {
            Some(s) => {
                out.status.get_or_insert(s);
                true
            }
            None => false,
        },
        Var::RetryAfter => match int(&v).and_then(|i| u64::try_from(i).ok()) {
            Some(s) => {
                out.retry_after.get_or_insert(s);
                true
            }
            None => false,
        },
        Var::Title => set(&mut out.title, &v),
        Var::Message => set(&mut out.message, &v),
        Var::Category => set(&mut out.category, &v),
        Var::ErrorId => set(&mut out.error_id, &v),
        Var::RequestId => set(&mut out.request_id, &v),
        Var::Details | Var::DetailsRaw | Var::GoogleDetails => {
            if v.is_object() {
                out.details.get_or_insert(v);
                true
            } else {
                false
            }
        }
        Var::FieldViolations => false,
        Var::Path | Var::Reason | Var::ViolationMessage => {
            let Some(s) = text_of(&v) else { return false };
            if !in_item {
                if var == Var::ViolationMessage {
                    out.message.get_or_insert(s);
                    return true;
                }
                return false;
            }
            out.cur.hits += 1;
            match var {
                Var::Path => out.cur.path = Some(s),
                Var::Reason => out.cur.reason = Some(s),
                _ => out.cur.message = Some(s),
            }
            true
        }
    }
}

/// Whether a captured value is one that never holds white space (codes,
/// ids, paths): splits that put white space there are tried last.
fn structured(e: &Expr) -> bool {
    e.alts.iter().all(|a| match a {
        Alt::Var { var, .. } => !matches!(
            var,
            T::Message | T::ViolationMessage | T::Title | T::Param(_) | T::ReasonPhrase
        ),
        Alt::Lit(_) => false,
    })
}

/// Reads text built from literal parts and values.
fn read_text(text: &Text, s: &str, out: &mut Found, violation: &Node, in_item: bool) -> bool {
    let Some(captures) = match_pieces(&text.pieces, s) else {
        return false;
    };
    let exprs = text.pieces.iter().filter_map(|p| match p {
        Piece::Expr(e) => Some(e),
        Piece::Lit(_) => None,
    });
    for (e, cap) in exprs.zip(captures) {
        let cap = if text.url && !e.is_raw() {
            match tv::percent_decode(&cap) {
                Some(c) => c,
                None => continue,
            }
        } else {
            cap
        };
        read_value(e, Value::String(cap), out, violation, in_item);
    }
    true
}

/// The values of a text's expressions, if its literal parts match: among
/// the ways to split it (at most a few dozen are tried), the first that
/// puts no white space into a code, id or path.
fn match_pieces(pieces: &[Piece], s: &str) -> Option<Vec<String>> {
    fn solve<'s>(p: &[Piece], s: &'s str, acc: &mut Vec<&'s str>, all: &mut Vec<Vec<&'s str>>) {
        if all.len() >= 32 {
            return;
        }
        match p.split_first() {
            None => {
                if s.is_empty() {
                    all.push(acc.clone());
                }
            }
            Some((Piece::Lit(l), rest)) => {
                if let Some(r) = s.strip_prefix(l.as_str()) {
                    solve(rest, r, acc, all);
                }
            }
            Some((Piece::Expr(_), rest)) => match rest.first() {
                None => {
                    acc.push(s);
                    solve(rest, "", acc, all);
                    acc.pop();
                }
                Some(Piece::Lit(l)) => {
                    for (i, _) in s.match_indices(l.as_str()).take(16) {
                        acc.push(&s[..i]);
                        solve(rest, &s[i..], acc, all);
                        acc.pop();
                    }
                }
                // Two values side by side: the first is taken empty (the
                // lint warns about such templates).
                Some(Piece::Expr(_)) => {
                    acc.push("");
                    solve(rest, s, acc, all);
                    acc.pop();
                }
            },
        }
    }
    let mut all = Vec::new();
    solve(pieces, s, &mut Vec::new(), &mut all);
    let exprs: Vec<&Expr> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Expr(e) => Some(e),
            Piece::Lit(_) => None,
        })
        .collect();
    let clean = |caps: &Vec<&str>| {
        caps.iter()
            .zip(&exprs)
            .all(|(c, e)| !structured(e) || !c.contains(char::is_whitespace))
    };
    let best = all.iter().find(|c| clean(c)).or(all.first())?;
    Some(best.iter().map(|c| (*c).to_owned()).collect())
}
