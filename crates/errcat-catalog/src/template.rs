//! The variables of custom envelope templates.
//!
//! In a template, a JSON string value that is exactly `"$name"` is replaced
//! by the typed value of that variable; `"$name?"` does the same but drops
//! the whole object member when the value is null. A string starting with
//! `$$` is literal text starting with one `$`. Everything else is copied as
//! written, in the order written.

use std::borrow::Cow;

/// Variables of a body template.
pub const BODY_VARS: &[&str] = &[
    "code",
    "numeric_code",
    "status",
    "title",
    "message",
    "category",
    "details",
    "field_violations",
    "error_id",
    "request_id",
    "type",
    "instance",
    "retry_after",
    "timestamp",
    "doc_url",
];

/// Variables of a field-violation template.
pub const VIOLATION_VARS: &[&str] = &["path", "message", "reason"];

/// A variable reference found in a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarRef<'a> {
    /// The variable's name, without `$`.
    pub name: &'a str,
    /// Whether the member is dropped when the value is null (`"$name?"`).
    pub optional: bool,
}

/// The variable a template string stands for, if it is one.
///
/// ```
/// use errcat_catalog::template::{var_ref, VarRef};
///
/// assert_eq!(var_ref("$code"), Some(VarRef { name: "code", optional: false }));
/// assert_eq!(var_ref("$request_id?"), Some(VarRef { name: "request_id", optional: true }));
/// assert_eq!(var_ref("$$5"), None);
/// assert_eq!(var_ref("error"), None);
/// ```
pub fn var_ref(s: &str) -> Option<VarRef<'_>> {
    let rest = s.strip_prefix('$')?;
    if rest.starts_with('$') {
        return None;
    }
    let (name, optional) = match rest.strip_suffix('?') {
        Some(n) => (n, true),
        None => (rest, false),
    };
    Some(VarRef { name, optional })
}

/// The literal text of a template string that is not a variable (`$$` → `$`).
pub fn literal(s: &str) -> Cow<'_, str> {
    match s.strip_prefix("$$") {
        Some(rest) => Cow::Owned(format!("${rest}")),
        None => Cow::Borrowed(s),
    }
}

/// Calls `f` for every variable reference in a template.
pub fn visit_vars<'a>(value: &'a serde_json::Value, f: &mut impl FnMut(VarRef<'a>)) {
    match value {
        serde_json::Value::String(s) => {
            if let Some(v) = var_ref(s) {
                f(v);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| visit_vars(i, f)),
        serde_json::Value::Object(map) => map.values().for_each(|v| visit_vars(v, f)),
        _ => {}
    }
}
