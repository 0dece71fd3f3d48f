//! Expressions: `NAME|filter|filter:arg ?? NAME ?? 'text'`.

use super::value::TimeFormat;
use super::{Alt, Expr, Filter, Var};

/// A mistake in an expression, at a byte offset of its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExprError {
    pub(crate) at: usize,
    pub(crate) len: usize,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

impl ExprError {
    fn new(at: usize, len: usize, message: impl Into<String>) -> Self {
        ExprError {
            at,
            len,
            code: "invalid-template",
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Splits `text` at `sep` outside single quotes; each part with its offset.
fn split_outside_quotes<'a>(text: &'a str, sep: &str) -> Vec<(usize, &'a str)> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            quoted = !quoted;
        } else if !quoted && text[i..].starts_with(sep) {
            parts.push((start, &text[start..i]));
            i += sep.len();
            start = i;
            continue;
        }
        i += 1;
    }
    parts.push((start, &text[start..]));
    parts
}

/// Trims `s` (at `off`), returning the trimmed text and its offset.
fn trimmed(off: usize, s: &str) -> (usize, &str) {
    let lead = s.len() - s.trim_start().len();
    (off + lead, s.trim())
}

/// Parses an expression; `violation` selects the violation's scope.
pub(crate) fn parse(text: &str, violation: bool) -> Result<Expr, ExprError> {
    let mut alts = Vec::new();
    for (off, part) in split_outside_quotes(text, "??") {
        let (off, part) = trimmed(off, part);
        if part.is_empty() {
            return Err(ExprError::new(off, 0, "an empty expression")
                .help("write a variable name, e.g. `code`, or a quoted text after `??`"));
        }
        alts.push(alt(off, part, violation)?);
    }
    Ok(Expr { alts })
}

fn alt(off: usize, part: &str, violation: bool) -> Result<Alt, ExprError> {
    if let Some(rest) = part.strip_prefix('\'') {
        return match rest.strip_suffix('\'') {
            Some(lit) if !lit.contains('\'') => Ok(Alt::Lit(lit.to_owned())),
            _ => Err(ExprError::new(off, part.len(), "an unclosed quoted text")
                .help("quote a literal text as 'text' (it cannot contain a quote)")),
        };
    }
    let mut pieces = split_outside_quotes(part, "|").into_iter();
    let (name_off, name) = pieces.next().map_or((0, ""), |(o, s)| trimmed(o, s));
    let name_off = off + name_off;
    let name = name.strip_prefix('$').unwrap_or(name);
    let var = Var::parse(name, violation).ok_or_else(|| unknown_var(name_off, name, violation))?;
    let mut filters = Vec::new();
    for (f_off, f) in pieces {
        let (f_off, f) = trimmed(off + f_off, f);
        filters.push(filter(f_off, f)?);
    }
    Ok(Alt::Var { var, filters })
}

pub(crate) fn unknown_var(at: usize, name: &str, violation: bool) -> ExprError {
    let only_violation = !violation && super::VIOLATION_VARS.contains(&name) && name != "message";
    let mut e = ExprError::new(
        at,
        name.len(),
        format!("unknown template variable `${name}`"),
    );
    e.code = "unknown-variable";
    if only_violation {
        return e.help(format!(
            "`${name}` belongs to a field violation: use it in the `violation` template or inside `$each`"
        ));
    }
    let mut names: Vec<&str> = super::BODY_VARS.to_vec();
    if violation {
        names.extend(super::VIOLATION_VARS);
    }
    match crate::decode::did_you_mean(name, names.iter().copied()) {
        Some(s) => e.help(format!("did you mean `${s}`? (write `$$` for a literal `$`)")),
        None => e.help(format!(
            "variables are {}, `$params.NAME` and `$request_header.NAME` (write `$$` for a literal `$`)",
            names
                .iter()
                .map(|v| format!("`${v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn unquote(arg: &str) -> &str {
    arg.strip_prefix('\'')
        .and_then(|a| a.strip_suffix('\''))
        .unwrap_or(arg)
}

fn filter(off: usize, text: &str) -> Result<Filter, ExprError> {
    let (name, arg) = match text.split_once(':') {
        Some((n, a)) => (n.trim(), Some(unquote(a.trim()))),
        None => (text, None),
    };
    let no_arg = |f: Filter| match arg {
        None => Ok(f),
        Some(_) => Err(ExprError::new(
            off,
            text.len(),
            format!("the `{name}` filter takes no argument"),
        )),
    };
    match name {
        "lower" => no_arg(Filter::Lower),
        "upper" => no_arg(Filter::Upper),
        "kebab" => no_arg(Filter::Kebab),
        "snake" => no_arg(Filter::Snake),
        "screaming" => no_arg(Filter::Screaming),
        "camel" => no_arg(Filter::Camel),
        "pascal" => no_arg(Filter::Pascal),
        "pointer" => no_arg(Filter::Pointer),
        "url" => no_arg(Filter::Url),
        "raw" => no_arg(Filter::Raw),
        "string" => no_arg(Filter::String),
        "json" => no_arg(Filter::Json),
        "unix" => no_arg(Filter::Unix),
        "unix_ms" => no_arg(Filter::UnixMs),
        "segments" => Ok(Filter::Segments(
            arg.map(super::value::path_segments)
                .unwrap_or_default()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        )),
        "format" => {
            let Some(pattern) = arg.filter(|a| !a.is_empty()) else {
                return Err(ExprError::new(off, text.len(), "`format` needs a pattern")
                    .help("e.g. `timestamp|format:%Y-%m-%dT%H:%M:%S%.3f%:z`"));
            };
            TimeFormat::parse(pattern)
                .map(Filter::Format)
                .map_err(|(at, msg)| {
                    let at = off + text.find(pattern).unwrap_or(0) + at;
                    ExprError::new(at, 2, msg).help(
                        "patterns take %Y %m %d %H %M %S %3f %6f %9f %.3f %z %:z %Z %s %a %b %%",
                    )
                })
        }
        other => {
            let e = ExprError::new(off, other.len(), format!("unknown filter `{other}`"));
            Err(
                match crate::decode::did_you_mean(other, Filter::NAMES.iter().copied()) {
                    Some(s) => e.help(format!("did you mean `{s}`?")),
                    None => e.help(format!("filters are {}", Filter::NAMES.join(", "))),
                },
            )
        }
    }
}

/// A part of a template string: literal text, or an expression at its
/// byte range in the string.
#[derive(Debug, PartialEq)]
pub(crate) enum Part<'a> {
    Lit(String),
    Expr(usize, &'a str),
}

/// Splits a template string into literal text and `${…}` expressions.
pub(crate) fn split_text(s: &str) -> Result<Vec<Part<'_>>, ExprError> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    let mut pos = 0;
    if let Some(r) = rest.strip_prefix("$$") {
        lit.push('$');
        rest = r;
        pos = 2;
    }
    while let Some(i) = rest.find('$') {
        lit.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(r) = after.strip_prefix("$${") {
            lit.push_str("${");
            pos += i + 3;
            rest = r;
        } else if let Some(r) = after.strip_prefix("${") {
            let Some(end) = r.find('}') else {
                return Err(ExprError::new(
                    pos + i,
                    s.len() - pos - i,
                    "`${` without its closing `}`",
                )
                .help("close the expression with `}`, or write `$${` for a literal `${`"));
            };
            let text_before = std::mem::take(&mut lit);
            if !text_before.is_empty() {
                parts.push(Part::Lit(text_before));
            }
            parts.push(Part::Expr(pos + i + 2, &r[..end]));
            pos += i + 2 + end + 1;
            rest = &r[end + 1..];
        } else {
            lit.push('$');
            pos += i + 1;
            rest = &after[1..];
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        let e = parse("reason ?? code", true).unwrap();
        assert_eq!(e.alts.len(), 2);
        let e = parse("timestamp|format:'%Y|%m'", false).unwrap();
        assert!(matches!(&e.alts[0], Alt::Var { filters, .. } if filters.len() == 1));
        let e = parse("request_id ?? 'none'", false).unwrap();
        assert_eq!(e.alts[1], Alt::Lit("none".into()));
        let err = parse("mesage", false).unwrap_err();
        assert_eq!((err.at, err.code), (0, "unknown-variable"));
        assert_eq!(
            err.help.as_deref(),
            Some("did you mean `$message`? (write `$$` for a literal `$`)")
        );
        let err = parse("code | kebap", false).unwrap_err();
        assert_eq!(err.at, 7);
        assert_eq!(err.message, "unknown filter `kebap`");
        assert!(parse("code ??", false).is_err());
        assert!(parse("'open", false).is_err());
        assert!(parse("timestamp|format:%Q", false).is_err());
        assert_eq!(parse("path", false).unwrap_err().code, "unknown-variable");
    }

    #[test]
    fn strings_split_into_text_and_expressions() {
        assert_eq!(
            split_text("[ERROR] ${message}: ${path}").unwrap(),
            vec![
                Part::Lit("[ERROR] ".into()),
                Part::Expr(10, "message"),
                Part::Lit(": ".into()),
                Part::Expr(22, "path"),
            ]
        );
        assert_eq!(
            split_text("$$5 and $${x}").unwrap(),
            vec![Part::Lit("$5 and ${x}".into())]
        );
        assert_eq!(
            split_text("cost: $5").unwrap(),
            vec![Part::Lit("cost: $5".into())]
        );
        let err = split_text("a ${code").unwrap_err();
        assert_eq!(err.at, 2);
        assert_eq!(split_text("}{").unwrap(), vec![Part::Lit("}{".into())]);
    }
}
