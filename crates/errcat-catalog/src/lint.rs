//! Checks that need the whole resolved catalog.

use crate::Checks;
use crate::decode::{At, did_you_mean};
use crate::diagnostic::Diagnostic;
use crate::model::{Catalog, Category, ErrorDef, FastMap, Origin, ParamType};
use crate::style::CodeStyle;

/// Runs the checks; with [`Checks::Errors`], only those that can find an
/// error (a check that only warns is skipped).
pub(crate) fn check(
    catalog: &Catalog,
    guide_categories: &[At<String>],
    checks: Checks,
    locate: &dyn Fn(usize) -> String,
    diags: &mut Vec<Diagnostic>,
) {
    let warnings = checks == Checks::All;
    duplicates(catalog, locate, diags);
    let category_names: Vec<&str> = catalog.categories.iter().map(|c| c.name.as_str()).collect();
    let mut categories: FastMap<&str, &Category> = FastMap::default();
    for c in &catalog.categories {
        categories.entry(c.name.as_str()).or_insert(c);
    }
    for e in &catalog.errors {
        if e.origin == Origin::Standard {
            continue;
        }
        code_chars(e, diags);
        category(&categories, e, &category_names, diags);
        placeholders(e, diags);
        replaced_by(catalog, e, diags);
        if warnings {
            docs(e, diags);
            retry(e, diags);
            example(e, diags);
        }
    }
    if !warnings {
        return;
    }
    code_style(catalog, diags);
    for g in guide_categories {
        if !category_names.contains(&g.value.as_str()) {
            let d = Diagnostic::warning(
                "unknown-category",
                format!("guide names unknown category `{}`", g.value),
            )
            .at(Some(g.span.clone()));
            diags.push(with_suggestion(d, &g.value, &category_names));
        }
    }
}

fn with_suggestion(d: Diagnostic, word: &str, names: &[&str]) -> Diagnostic {
    match did_you_mean(word, names.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!(
            "declare it under `[categories]`, or use one of {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn duplicates(catalog: &Catalog, locate: &dyn Fn(usize) -> String, diags: &mut Vec<Diagnostic>) {
    let n = catalog.errors.len();
    let mut codes: FastMap<&str, &ErrorDef> =
        FastMap::with_capacity_and_hasher(n, Default::default());
    let mut numbers: FastMap<i64, &ErrorDef> =
        FastMap::with_capacity_and_hasher(n, Default::default());
    for e in &catalog.errors {
        let first_at = |first: &ErrorDef| match first.spans.code.as_ref() {
            Some(span) => format!("first defined at {}", locate(span.start)),
            None => {
                "it is a standard error; override it with `standard = \"…\"` instead".to_owned()
            }
        };
        if let Some(first) = codes.get(e.code.as_str()) {
            if e.spans.code.is_none() && first.spans.code.is_some() {
                // The user's entry took a standard error's code while
                // overriding another standard error.
                let role = e.standard.first().map_or("", String::as_str);
                diags.push(
                    Diagnostic::error(
                        "duplicate-code",
                        format!("code `{}` is also the code of the standard error `{role}`", e.code),
                    )
                    .at(first.spans.code.clone())
                    .help(format!(
                        "rename this code, or make this entry the `{role}` error with `standard = \"{role}\"`"
                    )),
                );
                continue;
            }
            diags.push(
                Diagnostic::error("duplicate-code", format!("duplicate code `{}`", e.code))
                    .at(e.spans.code.clone())
                    .label("defined again here")
                    .help(first_at(first)),
            );
        } else {
            codes.insert(&e.code, e);
        }
        if let Some(n) = e.numeric_code {
            if let Some(first) = numbers.get(&n) {
                diags.push(
                    Diagnostic::error(
                        "duplicate-numeric-code",
                        format!(
                            "numeric code {n} is used by `{}` and `{}`",
                            first.code, e.code
                        ),
                    )
                    .at(e.spans.numeric_code.clone())
                    .help(first_at(first)),
                );
            } else {
                numbers.insert(n, e);
            }
        }
    }
}

fn code_chars(e: &ErrorDef, diags: &mut Vec<Diagnostic>) {
    if e.code
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '#' || c == '"')
    {
        diags.push(
            Diagnostic::error(
                "invalid-code",
                format!(
                    "code `{}` contains whitespace, quotes, `#` or control characters",
                    e.code.escape_debug()
                ),
            )
            .at(e.spans.code.clone())
            .help("codes appear in URLs and headers: use letters, digits, `_`, `-` or `.`"),
        );
    }
}

fn category(
    categories: &FastMap<&str, &Category>,
    e: &ErrorDef,
    names: &[&str],
    diags: &mut Vec<Diagnostic>,
) {
    let Some(&cat) = categories.get(e.category.as_str()) else {
        let d = Diagnostic::error(
            "unknown-category",
            format!("unknown category `{}`", e.category),
        )
        .at(e.spans.category.clone())
        .label("not declared");
        diags.push(with_suggestion(d, &e.category, names));
        return;
    };
    if let Some(status) = e.status
        && !cat.statuses.is_empty()
        && !cat.statuses.iter().any(|r| r.contains(status))
    {
        let expected = cat
            .statuses
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        diags.push(
            Diagnostic::warning(
                "status-category-mismatch",
                format!(
                    "`{}` has status {status}, but category {} expects {expected}",
                    e.code, cat.name
                ),
            )
            .at(e.spans.status.clone().or_else(|| e.spans.code.clone()))
            .help("change the status or the category, or widen the category's `statuses`"),
        );
    }
}

fn placeholders(e: &ErrorDef, diags: &mut Vec<Diagnostic>) {
    let mut used: Vec<&str> = Vec::new();
    let mut check = |name: &str, what: &str, allow_retry_after: bool, used: &mut Vec<&str>| {
        if e.param(name).is_none() && !(allow_retry_after && name == "retry_after") {
            let declared: Vec<&str> = e.params.iter().map(|p| p.name.as_str()).collect();
            let d = Diagnostic::error(
                "undeclared-param",
                format!(
                    "{what} of `{}` uses `{{{name}}}`, which is not a declared parameter",
                    e.code
                ),
            )
            .at(e.spans.message.clone().or_else(|| e.spans.code.clone()));
            let d = match did_you_mean(name, declared.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{{{s}}}`?")),
                None => d.help(format!("declare it: `params = {{ {name} = \"string\" }}`")),
            };
            diags.push(d);
        }
        let _ = used;
    };
    for p in e.message.placeholders() {
        check(p, "the message", false, &mut used);
        used.push(p);
    }
    for t in &e.translations {
        if let Some(m) = &t.message {
            for p in m.placeholders() {
                check(p, &format!("the `{}` message", t.locale), false, &mut used);
                used.push(p);
            }
        }
    }
    for (name, value) in &e.headers {
        for p in value.placeholders() {
            check(p, &format!("header `{name}`"), true, &mut used);
            used.push(p);
        }
    }
    for p in &e.params {
        if !used.contains(&p.name.as_str()) {
            diags.push(
                Diagnostic::warning(
                    "unused-param",
                    format!("parameter `{}` of `{}` is never used", p.name, e.code),
                )
                .at(e.spans.params.clone())
                .help(format!(
                    "use `{{{}}}` in the message or a header, or remove it",
                    p.name
                )),
            );
        }
    }
}

fn docs(e: &ErrorDef, diags: &mut Vec<Diagnostic>) {
    if !e.is_public() {
        return;
    }
    let missing: Vec<&str> = [
        (
            "description",
            // `trim().is_empty()`, without scanning from both ends.
            e.description
                .as_deref()
                .is_none_or(|d| d.chars().all(char::is_whitespace)),
        ),
        ("resolution", e.resolution.is_empty()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    if !missing.is_empty() {
        diags.push(
            Diagnostic::warning(
                "undocumented",
                format!("public error `{}` has no {}", e.code, missing.join(" or ")),
            )
            .at(e.spans.code.clone())
            .help("readers of the reference need to know what it means and how to fix it; or mark it `visibility = \"internal\"`"),
        );
    }
}

fn retry(e: &ErrorDef, diags: &mut Vec<Diagnostic>) {
    if e.status == Some(429) && e.retry_after.is_none() && e.retry_advice.is_none() {
        diags.push(
            Diagnostic::warning("missing-retry-advice", format!("`{}` is a 429 without retry advice", e.code))
                .at(e.spans.status.clone().or_else(|| e.spans.code.clone()))
                .help("add `retry_after = <seconds>` or `retry_advice = \"…\"` so clients know when to retry"),
        );
    }
}

fn replaced_by(catalog: &Catalog, e: &ErrorDef, diags: &mut Vec<Diagnostic>) {
    if let Some(r) = &e.replaced_by
        && catalog.get(r).is_none()
    {
        let codes = catalog.errors.iter().map(|e| e.code.as_str());
        let d = Diagnostic::error(
            "unknown-replacement",
            format!(
                "`{}` is replaced by `{r}`, which is not in the catalog",
                e.code
            ),
        )
        .at(e.spans.replaced_by.clone());
        let d = match did_you_mean(r, codes) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("name an existing code"),
        };
        diags.push(d);
    }
}

fn example(e: &ErrorDef, diags: &mut Vec<Diagnostic>) {
    for (name, value) in &e.example.params {
        let Some(p) = e.param(name) else {
            diags.push(
                Diagnostic::warning(
                    "unknown-example-param",
                    format!(
                        "example of `{}` sets `{name}`, which is not a parameter",
                        e.code
                    ),
                )
                .at(e.spans.entry.clone().map(|s| s.start..s.start)),
            );
            continue;
        };
        let ok = match p.ty {
            ParamType::String => value.is_string(),
            ParamType::Integer => value.is_i64(),
            ParamType::Number => value.is_number(),
            ParamType::Boolean => value.is_boolean(),
        };
        if !ok {
            diags.push(
                Diagnostic::warning(
                    "example-type",
                    format!(
                        "example `{name}` of `{}` is not a {}",
                        e.code,
                        p.ty.as_str()
                    ),
                )
                .at(e.spans.entry.clone().map(|s| s.start..s.start)),
            );
        }
    }
}

fn code_style(catalog: &Catalog, diags: &mut Vec<Diagnostic>) {
    let users: Vec<&ErrorDef> = catalog
        .errors
        .iter()
        .filter(|e| e.origin == Origin::User)
        .collect();
    let mut counts: Vec<(CodeStyle, usize)> = Vec::new();
    for e in &users {
        let s = CodeStyle::of(&e.code);
        if s.sep.is_none() {
            continue;
        }
        match counts.iter_mut().find(|(c, _)| *c == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    let Some(&(major, _)) = counts.iter().max_by_key(|(_, n)| *n) else {
        return;
    };
    for e in users {
        let s = CodeStyle::of(&e.code);
        if !s.agrees(major) {
            diags.push(
                Diagnostic::warning(
                    "code-style",
                    format!(
                        "code `{}` is {}, but most codes are {}",
                        e.code,
                        s.describe(),
                        major.describe()
                    ),
                )
                .at(e.spans.code.clone())
                .help("one style per catalog lets clients match codes without surprises"),
            );
        }
    }
}
