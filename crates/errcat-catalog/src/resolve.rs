//! Raw entries + the standard catalog → a resolved [`Catalog`].

use std::sync::OnceLock;

use crate::decode::{
    At, BUILTIN_ENVELOPES, Decoder, RawCatalog, RawCategory, RawEnvelope, RawError, did_you_mean,
};
use crate::diagnostic::Diagnostic;
use crate::model::{
    Api, Catalog, Category, EnvelopeDef, ErrorDef, ErrorSpans, FastMap, Guide, IdScheme, Message,
    Origin, Visibility,
};
use crate::node;
use crate::style::CodeStyle;

/// The text of errcat's standard catalog.
pub const STANDARD_TOML: &str = include_str!("standard.toml");

pub(crate) fn standard_raw() -> &'static RawCatalog {
    static STANDARD: OnceLock<RawCatalog> = OnceLock::new();
    STANDARD.get_or_init(|| {
        let root = node::parse_toml(STANDARD_TOML).expect("the standard catalog is valid TOML");
        let mut d = Decoder::new(STANDARD_TOML);
        let raw = d.document(&root);
        assert!(
            d.diags.is_empty(),
            "the standard catalog decodes cleanly: {:?}",
            d.diags
        );
        raw
    })
}

/// The roles of the standard catalog, such as `not_found`.
pub fn standard_roles() -> impl Iterator<Item = String> {
    standard_raw()
        .errors
        .iter()
        .map(|e| role_of(&e.code.as_ref().expect("standard codes are set").value))
}

fn role_of(standard_code: &str) -> String {
    standard_code.to_ascii_lowercase()
}

fn humanize(code: &str) -> String {
    let words: Vec<String> = code
        .split(['_', '-', '.', ' '])
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut s = words.join(" ");
    if let Some(first) = s.get(0..1) {
        s = first.to_uppercase() + &s[1..];
    }
    s
}

/// The category an error gets when its entry names none.
fn default_category(status: Option<u16>) -> &'static str {
    match status {
        Some(401 | 403 | 407) => "AUTH",
        Some(404 | 410) => "NOT_FOUND",
        Some(409 | 412 | 422 | 423) => "CONFLICT",
        Some(429) => "RATE_LIMIT",
        Some(502 | 504) => "EXTERNAL_SERVICE",
        Some(500..=599) => "INTERNAL",
        Some(_) => "VALIDATION",
        None => "INTERNAL",
    }
}

/// Field-by-field: the user's value where set, else the standard one.
/// An inherited example keeps only the parameters the entry still declares.
fn merge(user: RawError, base: &RawError) -> RawError {
    let inherits_example = user.example.is_none();
    // Inherited fields point at the overriding entry's code, not into the
    // standard catalog's text.
    let here = user
        .code
        .as_ref()
        .map(|c| c.span.clone())
        .unwrap_or_default();
    let mut base = base.clone();
    rebase(&mut base.numeric_code, &here);
    rebase(&mut base.status, &here);
    rebase(&mut base.category, &here);
    rebase(&mut base.message, &here);
    rebase(&mut base.params, &here);
    rebase(&mut base.replaced_by, &here);
    let mut merged = merge_fields(user, &base);
    if inherits_example && let (Some(params), Some(example)) = (&merged.params, &mut merged.example)
    {
        example
            .params
            .retain(|(name, _)| params.value.iter().any(|p| &p.name == name));
    }
    merged
}

fn rebase<T>(field: &mut Option<At<T>>, span: &std::ops::Range<usize>) {
    if let Some(at) = field {
        at.span = span.clone();
    }
}

fn merge_fields(user: RawError, base: &RawError) -> RawError {
    macro_rules! pick {
        ($($f:ident),*) => {
            RawError { $($f: user.$f.or_else(|| base.$f.clone()),)* span: user.span, code: user.code, standard: user.standard }
        };
    }
    pick!(
        numeric_code,
        status,
        category,
        title,
        message,
        params,
        description,
        causes,
        resolution,
        support,
        links,
        retryable,
        retry_after,
        retry_advice,
        headers,
        since,
        deprecated,
        replaced_by,
        example,
        translations,
        visibility,
        retain,
        doc_url
    )
}

pub(crate) struct Resolved {
    pub(crate) catalog: Catalog,
    /// Spans of guide categories, for the lint.
    pub(crate) guide_categories: Vec<At<String>>,
}

/// Resolves in phases: the `[api]` table, the user's entries merged over the
/// standard errors they override, the standard errors left over, then
/// categories, guides and envelopes, and the indexes by code and role.
pub(crate) fn resolve(raw: RawCatalog, diags: &mut Vec<Diagnostic>) -> Resolved {
    let std_raw = standard_raw();
    let style = CodeStyle::common(
        raw.errors
            .iter()
            .filter_map(|e| e.code.as_ref())
            .map(|c| c.value.as_str()),
    );
    let api = api(&raw, diags);
    let standard = Standard::new(std_raw, &style);
    let user_count = raw.errors.len();
    let mut errors: Vec<ErrorDef> = Vec::with_capacity(user_count + std_raw.errors.len());
    let claimed = user_errors(raw.errors, &standard, &mut errors, diags);
    standard_errors(&standard, &claimed, api.standard_public, &mut errors, diags);
    debug_assert!(errors.len() >= user_count);
    let categories = categories(std_raw, raw.categories);
    let guide_categories = raw
        .guides
        .iter()
        .filter_map(|g| g.category.clone())
        .collect();
    let guides = raw
        .guides
        .into_iter()
        .map(|g| Guide {
            id: g.id,
            title: g.title,
            body: g.body,
            category: g.category.map(|c| c.value),
        })
        .collect::<Vec<_>>();
    let docs = crate::docs::resolve(raw.docs, &guides, diags);
    let envelopes = envelopes(raw.envelopes, &errors, diags);
    if let Some(env) = &raw.api.envelope {
        check_envelope_name(env, &envelopes, diags);
    }
    let mut by_code = FastMap::with_capacity_and_hasher(errors.len(), Default::default());
    let mut by_role = FastMap::default();
    for (i, e) in errors.iter().enumerate() {
        by_code.entry(e.code.clone()).or_insert(i);
        for r in &e.standard {
            by_role.entry(r.clone()).or_insert(i);
        }
    }
    Resolved {
        catalog: Catalog {
            api,
            categories,
            errors,
            guides,
            envelopes,
            docs,
            by_code,
            by_role,
        },
        guide_categories,
    }
}

/// The `[api]` table with its defaults; a warning when it or its name is
/// missing.
fn api(raw: &RawCatalog, diags: &mut Vec<Diagnostic>) -> Api {
    let api = Api {
        name: raw.api.name.clone().unwrap_or_else(|| "API".to_owned()),
        version: raw.api.version.clone(),
        docs_url: raw
            .api
            .docs_url
            .as_ref()
            .map(|u| u.trim_end_matches('#').to_owned()),
        domain: raw.api.domain.clone(),
        envelope: raw
            .api
            .envelope
            .as_ref()
            .map_or_else(|| "problem".to_owned(), |e| e.value.clone()),
        error_id: raw.api.error_id.unwrap_or(IdScheme::UuidV7),
        locale: raw.api.locale.clone().unwrap_or_else(|| "en".to_owned()),
        standard_public: raw.api.standard_public.unwrap_or(true),
        request_id_header: match &raw.api.request_id_header {
            None => Some("X-Request-Id".to_owned()),
            Some(h) => h.clone(),
        },
        request_id_header_declared: raw.api.request_id_header.is_some(),
        doc_url: raw.api.doc_url.clone(),
    };
    if raw.api_span.is_none() {
        diags.push(
            Diagnostic::warning("missing-api", "the catalog has no `[api]` table")
                .at(Some(0..0))
                .help("add `[api]` with at least `name = \"…\"`"),
        );
    } else if raw.api.name.is_none() {
        diags.push(
            Diagnostic::warning("missing-key", "`[api]` has no `name`")
                .at(raw.api_span.clone().map(|s| s.start..s.start + 5))
                .help("add `name = \"Your API\"`"),
        );
    }
    api
}

/// The standard entries by role, with codes in the catalog's style.
struct Standard<'a> {
    raw: &'a RawCatalog,
    /// Role → (index in `raw.errors`, code in the catalog's style).
    by_role: FastMap<String, (usize, String)>,
    /// Styled code → role.
    by_code: FastMap<String, String>,
}

impl<'a> Standard<'a> {
    fn new(raw: &'a RawCatalog, style: &CodeStyle) -> Self {
        let mut by_role: FastMap<String, (usize, String)> = FastMap::default();
        for (i, e) in raw.errors.iter().enumerate() {
            let code = &e.code.as_ref().expect("standard codes are set").value;
            by_role.insert(role_of(code), (i, style.convert(code)));
        }
        let by_code = by_role
            .iter()
            .map(|(role, (_, styled))| (styled.clone(), role.clone()))
            .collect();
        Self {
            raw,
            by_role,
            by_code,
        }
    }

    /// The roles an entry overrides: those its `standard` key names
    /// (unknown ones are errors), else the one its code implies.
    /// `lower` is a buffer reused from entry to entry.
    fn roles_of(
        &self,
        user: &RawError,
        lower: &mut String,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<String> {
        let code = user.code.as_ref().map_or("", |c| c.value.as_str());
        let mut roles: Vec<String> = Vec::new();
        let Some(r) = &user.standard else {
            let implied = self.by_code.get(code).cloned().or_else(|| {
                lower.clear();
                lower.push_str(code);
                lower.make_ascii_lowercase();
                self.by_role
                    .contains_key(lower.as_str())
                    .then(|| lower.clone())
            });
            roles.extend(implied);
            return roles;
        };
        for name in &r.value {
            if self.by_role.contains_key(name) {
                roles.push(name.clone());
                continue;
            }
            let mut d = Diagnostic::error(
                "unknown-standard",
                format!("`{name}` is not a standard error"),
            )
            .at(Some(r.span.clone()));
            let known: Vec<&str> = self.by_role.keys().map(String::as_str).collect();
            d = match did_you_mean(name, known.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("run `errcat explain --standard` for the list of standard errors"),
            };
            diags.push(d);
        }
        roles
    }
}

/// The user's entries, each merged over the first standard error it
/// overrides; a role claimed twice is an error. Returns the claimed roles
/// with the index of the entry that claimed each.
fn user_errors(
    entries: Vec<RawError>,
    standard: &Standard<'_>,
    errors: &mut Vec<ErrorDef>,
    diags: &mut Vec<Diagnostic>,
) -> FastMap<String, usize> {
    let mut claimed: FastMap<String, usize> = FastMap::default();
    let mut lower = String::new();
    for (idx, mut user) in entries.into_iter().enumerate() {
        let roles = standard.roles_of(&user, &mut lower, diags);
        let mut mine = Vec::new();
        for role in roles {
            if let Some(&first) = claimed.get(&role) {
                diags.push(
                    Diagnostic::error(
                        "duplicate-standard",
                        format!("two entries override the standard error `{role}`"),
                    )
                    .at(user
                        .standard
                        .as_ref()
                        .map(|s| s.span.clone())
                        .or_else(|| user.code.as_ref().map(|c| c.span.clone())))
                    .help(format!("`{}` already overrides it", errors[first].code)),
                );
            } else {
                claimed.insert(role.clone(), idx);
                mine.push(role);
            }
        }
        if let Some(first) = mine.first() {
            let base = &standard.raw.errors[standard.by_role[first].0];
            user = merge(user, base);
        }
        errors.push(finish(user, Origin::User, mine, diags));
    }
    claimed
}

/// The standard errors no entry overrides, in the standard catalog's
/// order, with codes in the catalog's style; internal unless the catalog
/// makes standard errors public.
fn standard_errors(
    standard: &Standard<'_>,
    claimed: &FastMap<String, usize>,
    public: bool,
    errors: &mut Vec<ErrorDef>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut roles: Vec<(&String, &(usize, String))> = standard.by_role.iter().collect();
    roles.sort_by_key(|(_, (i, _))| *i);
    for (role, (i, styled)) in roles {
        if claimed.contains_key(role) {
            continue;
        }
        let mut e = standard.raw.errors[*i].clone();
        if let Some(c) = e.code.as_mut() {
            c.value.clone_from(styled);
        }
        let mut def = finish(e, Origin::Standard, vec![role.clone()], diags);
        def.spans = ErrorSpans::default();
        if !public {
            def.visibility = Visibility::Internal;
        }
        errors.push(def);
    }
}

/// The standard categories, each replaced by the catalog's of the same name
/// (only its description when it lists no statuses), then the catalog's new
/// ones.
fn categories(std_raw: &RawCatalog, declared: Vec<RawCategory>) -> Vec<Category> {
    let mut categories: Vec<Category> = std_raw
        .categories
        .iter()
        .map(|c| Category {
            name: c.name.clone(),
            description: c.description.clone(),
            statuses: c.statuses.clone(),
            span: None,
        })
        .collect();
    for c in declared {
        let cat = Category {
            name: c.name,
            description: c.description,
            statuses: c.statuses,
            span: Some(c.span),
        };
        match categories.iter_mut().find(|x| x.name == cat.name) {
            Some(existing) => {
                if cat.statuses.is_empty() {
                    existing.description = cat.description;
                    existing.span = cat.span;
                } else {
                    *existing = cat;
                }
            }
            None => categories.push(cat),
        }
    }
    categories
}

/// The declared envelopes, each `codes_by_status` entry checked against
/// the errors.
fn envelopes(
    declared: Vec<RawEnvelope>,
    errors: &[ErrorDef],
    diags: &mut Vec<Diagnostic>,
) -> Vec<EnvelopeDef> {
    declared
        .into_iter()
        .map(|e| {
            for (status, code) in &e.codes_by_status {
                check_status_code(errors, *status, code, diags);
            }
            EnvelopeDef {
                name: e.name,
                media_type: e.media_type,
                body: e.body,
                violation: e.violation,
                body_tpl: e.body_tpl,
                violation_tpl: e.violation_tpl,
                status: e.status,
                headers: e.headers,
                codes_by_status: e
                    .codes_by_status
                    .into_iter()
                    .map(|(s, c)| (s, c.value))
                    .collect(),
                span: Some(e.span),
            }
        })
        .collect()
}

/// `[api] envelope` names a built-in envelope or a declared one.
fn check_envelope_name(env: &At<String>, envelopes: &[EnvelopeDef], diags: &mut Vec<Diagnostic>) {
    if BUILTIN_ENVELOPES.contains(&env.value.as_str())
        || envelopes.iter().any(|e| e.name == env.value)
    {
        return;
    }
    let mut names: Vec<&str> = BUILTIN_ENVELOPES.to_vec();
    names.extend(envelopes.iter().map(|e| e.name.as_str()));
    let d = Diagnostic::error(
        "unknown-envelope",
        format!("unknown envelope `{}`", env.value),
    )
    .at(Some(env.span.clone()));
    let d = match did_you_mean(&env.value, names.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!(
            "use `problem`, `google`, or declare `[envelopes.{}]` with a `body` template",
            env.value
        )),
    };
    diags.push(d);
}

/// A `codes_by_status` entry names a code of the catalog with that status.
fn check_status_code(
    errors: &[ErrorDef],
    status: u16,
    code: &At<String>,
    diags: &mut Vec<Diagnostic>,
) {
    match errors.iter().find(|e| e.code == code.value) {
        None => {
            let d = Diagnostic::error(
                "unknown-code",
                format!(
                    "`codes_by_status` names `{}`, which is not in the catalog",
                    code.value
                ),
            )
            .at(Some(code.span.clone()));
            diags.push(
                match did_you_mean(&code.value, errors.iter().map(|e| e.code.as_str())) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d,
                },
            );
        }
        Some(e) if e.status != Some(status) => diags.push(
            Diagnostic::warning(
                "status-mismatch",
                format!(
                    "`codes_by_status` ties {status} to `{}`, whose status is {}",
                    code.value,
                    e.status
                        .map_or_else(|| "none".to_owned(), |s| s.to_string())
                ),
            )
            .at(Some(code.span.clone())),
        ),
        Some(_) => {}
    }
}

fn finish(
    mut raw: RawError,
    origin: Origin,
    roles: Vec<String>,
    diags: &mut Vec<Diagnostic>,
) -> ErrorDef {
    let spans = ErrorSpans {
        entry: raw.span.clone(),
        code: raw.code.as_ref().map(|c| c.span.clone()),
        numeric_code: raw.numeric_code.as_ref().map(|c| c.span.clone()),
        status: raw.status.as_ref().map(|c| c.span.clone()),
        category: raw.category.as_ref().map(|c| c.span.clone()),
        message: raw.message.as_ref().map(|c| c.span.clone()),
        params: raw.params.as_ref().map(|c| c.span.clone()),
        replaced_by: raw.replaced_by.as_ref().map(|c| c.span.clone()),
        standard: raw.standard.as_ref().map(|c| c.span.clone()),
    };
    let code = raw.code.take().map(|c| c.value).unwrap_or_default();
    let has_title = raw.title.is_some();
    let title = raw.title.take().unwrap_or_else(|| humanize(&code));
    let message = match raw.message.take() {
        Some(m) => m.value,
        None if has_title => Message::literal(&title),
        None => {
            diags.push(
                Diagnostic::error("missing-key", format!("error `{code}` has no `message`"))
                    .at(spans.code.clone())
                    .help("add `message = \"…\"`, the text sent to clients"),
            );
            Message::literal(&title)
        }
    };
    let status = raw.status.as_ref().map(|s| s.value);
    ErrorDef {
        spans,
        code,
        numeric_code: raw.numeric_code.map(|n| n.value),
        status,
        category: raw
            .category
            .map_or_else(|| default_category(status).to_owned(), |c| c.value),
        title,
        message,
        params: raw.params.map(|p| p.value).unwrap_or_default(),
        description: raw.description,
        causes: raw.causes.unwrap_or_default(),
        resolution: raw.resolution.unwrap_or_default(),
        support: raw.support,
        links: raw.links.unwrap_or_default(),
        retryable: raw.retryable.unwrap_or(false),
        retry_after: raw.retry_after,
        retry_advice: raw.retry_advice,
        headers: raw.headers.unwrap_or_default(),
        since: raw.since,
        deprecated: raw.deprecated,
        replaced_by: raw.replaced_by.map(|r| r.value),
        example: raw.example.unwrap_or_default(),
        translations: raw.translations.unwrap_or_default(),
        visibility: raw.visibility.unwrap_or_default(),
        retain: raw.retain.unwrap_or_default(),
        doc_url: raw.doc_url,
        standard: roles,
        origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanizes_codes() {
        assert_eq!(humanize("AUTH_NO_TOKEN"), "Auth no token");
        assert_eq!(humanize("auth-401"), "Auth 401");
    }
}
