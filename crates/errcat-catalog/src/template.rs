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

/// A variable of a template: what `"$name"` stands for. Renderers and
/// readers of templates match on this instead of on names, so a variable
/// added here is a compile error wherever it is not handled yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var {
    /// `$code`.
    Code,
    /// `$numeric_code`.
    NumericCode,
    /// `$status`.
    Status,
    /// `$title`.
    Title,
    /// `$message` in a body template: the error's message.
    Message,
    /// `$category`.
    Category,
    /// `$details`.
    Details,
    /// `$field_violations`.
    FieldViolations,
    /// `$error_id`.
    ErrorId,
    /// `$request_id`.
    RequestId,
    /// `$type`.
    Type,
    /// `$instance`.
    Instance,
    /// `$retry_after`.
    RetryAfter,
    /// `$timestamp`.
    Timestamp,
    /// `$doc_url`.
    DocUrl,
    /// `$path` in a violation template.
    Path,
    /// `$message` in a violation template: the violation's message.
    ViolationMessage,
    /// `$reason` in a violation template.
    Reason,
}

impl Var {
    /// The variable `name` (without `$`) stands for in a body template, or
    /// in a field-violation template when `violation`; `None` for a name
    /// that is not one of [`BODY_VARS`] or [`VIOLATION_VARS`] respectively.
    ///
    /// ```
    /// use errcat_catalog::template::Var;
    ///
    /// assert_eq!(Var::parse("message", false), Some(Var::Message));
    /// assert_eq!(Var::parse("message", true), Some(Var::ViolationMessage));
    /// assert_eq!(Var::parse("code", true), None);
    /// ```
    pub fn parse(name: &str, violation: bool) -> Option<Var> {
        Some(match (name, violation) {
            ("path", true) => Var::Path,
            ("message", true) => Var::ViolationMessage,
            ("reason", true) => Var::Reason,
            (_, true) => return None,
            ("code", _) => Var::Code,
            ("numeric_code", _) => Var::NumericCode,
            ("status", _) => Var::Status,
            ("title", _) => Var::Title,
            ("message", _) => Var::Message,
            ("category", _) => Var::Category,
            ("details", _) => Var::Details,
            ("field_violations", _) => Var::FieldViolations,
            ("error_id", _) => Var::ErrorId,
            ("request_id", _) => Var::RequestId,
            ("type", _) => Var::Type,
            ("instance", _) => Var::Instance,
            ("retry_after", _) => Var::RetryAfter,
            ("timestamp", _) => Var::Timestamp,
            ("doc_url", _) => Var::DocUrl,
            _ => return None,
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::{BODY_VARS, VIOLATION_VARS, Var};

    #[test]
    fn the_name_lists_and_the_parser_agree() {
        for name in BODY_VARS {
            assert!(Var::parse(name, false).is_some(), "{name}");
        }
        for name in VIOLATION_VARS {
            assert!(Var::parse(name, true).is_some(), "{name}");
        }
        // Every variant is reached by exactly one listed name.
        let vars: Vec<Var> = BODY_VARS
            .iter()
            .filter_map(|n| Var::parse(n, false))
            .chain(VIOLATION_VARS.iter().filter_map(|n| Var::parse(n, true)))
            .collect();
        assert_eq!(vars.len(), 18);
        for (i, v) in vars.iter().enumerate() {
            assert!(!vars[..i].contains(v), "{v:?} twice");
        }
        assert_eq!(Var::parse("nope", false), None);
        assert_eq!(Var::parse("type", true), None);
    }
}
