//! Rendering one error: the catalog entry it renders as, the context the
//! envelope reads, the body, and the headers after the envelope's.

use std::borrow::Cow;
use std::sync::Arc;

use errcat_catalog::{ErrorDef, Segment};

use crate::{
    Ctx, EnvelopeKind, Error, Inner, MAX_INSTANCE_CHARS, ParamValue, RenderOptions, Rendered,
    Renderer, bounded, builtin, cut, error, id,
};

impl Renderer {
    /// The message `err` is sent with, as text in the catalog's own locale:
    /// what the error log keeps and groups by. Parameters are filled (and
    /// cut) as in the body; an error rendered as the internal error gets
    /// that error's message.
    pub fn message(&self, err: &Error) -> String {
        let def = &self.inner.catalog.errors[self.inner.entry_index(err)];
        let mut fallback = None;
        let err = as_entry(err, def, &mut fallback);
        let mut out = String::new();
        for s in &def.message.segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Param(p) => match (err.param(p), retry_after(err, def)) {
                    (Some(ParamValue::Str(v)), _) => out.push_str(&bounded(v)),
                    (Some(v), _) => v.write_text(&mut out),
                    (None, Some(secs)) if p == "retry_after" => out.push_str(&secs.to_string()),
                    (None, _) => {
                        out.push('{');
                        out.push_str(p);
                        out.push('}');
                    }
                },
            }
        }
        out
    }

    /// Renders an error: status, headers and body.
    ///
    /// An error whose code is not in the catalog, or that has no HTTP status,
    /// renders as the catalog's internal error: a response never reveals
    /// what went wrong inside.
    pub fn render(&self, err: &Error, opts: &RenderOptions<'_>) -> Rendered {
        let mut body = Vec::with_capacity(512);
        let r = self.render_into(err, opts, &mut body);
        Rendered { body, ..r }
    }

    /// Like [`Renderer::render`], appending the body to `body` (the returned
    /// `Rendered::body` is empty).
    pub fn render_into(
        &self,
        err: &Error,
        opts: &RenderOptions<'_>,
        body: &mut Vec<u8>,
    ) -> Rendered {
        let inner = &*self.inner;
        let catalog = &inner.catalog;
        let idx = inner.entry_index(err);
        let def = &catalog.errors[idx];
        let mut fallback = None;
        let err = as_entry(err, def, &mut fallback);
        let prepared = &inner.prepared[idx];
        let kind = opts
            .envelope
            .and_then(|n| inner.envelope_kind(n))
            .unwrap_or(inner.default_envelope);

        let translation = opts
            .locale
            .filter(|l| !l.eq_ignore_ascii_case(&catalog.api.locale))
            .and_then(|l| def.translation(l));
        let title = translation.and_then(|t| t.title.as_deref());
        let template = translation.and_then(|t| t.message.as_ref());
        let locale = translation.map_or(catalog.api.locale.as_str(), |t| t.locale.as_str());
        // A generated id is moved into the result, not copied.
        let error_id: Cow<'_, str> = match opts.error_id {
            Some(id) => Cow::Borrowed(id),
            None => Cow::Owned(id::new_id(catalog.api.error_id)),
        };
        let retry_after = retry_after(err, def);
        let status = opts
            .status
            .filter(|s| (400..=599).contains(s))
            .or(def.status)
            .unwrap_or(500);
        // A path can carry a parameter of any length.
        let instance = opts.instance.map(|i| cut(i, MAX_INSTANCE_CHARS));
        let ctx = Ctx {
            def,
            def_idx: idx,
            prepared,
            err,
            status,
            title: title.unwrap_or(&def.title),
            template: template.unwrap_or(&def.message),
            error_id: &error_id,
            request_id: opts.request_id,
            instance: instance.as_deref(),
            retry_after,
            timestamp: opts
                .timestamp
                .map(std::cell::OnceCell::from)
                .unwrap_or_default(),
            locale,
            method: opts.method,
            request_headers: opts.request_headers,
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        let (content_type, wire_status) =
            inner.write_body(kind, &ctx, translation.is_some(), body, &mut headers);
        add_headers(
            def,
            err,
            retry_after,
            translation.map(|_| locale),
            &mut headers,
        );
        Rendered {
            status: wire_status,
            error_status: status,
            content_type: Arc::clone(content_type),
            headers,
            body: Vec::new(),
            code: Arc::clone(&prepared.code_str),
            error_id: error_id.into_owned(),
        }
    }
}

impl Inner {
    /// Writes the body in the envelope `kind`, adding a custom envelope's
    /// headers; its media type and the status sent on the wire (a custom
    /// envelope's own, else the error's).
    fn write_body(
        &self,
        kind: EnvelopeKind,
        ctx: &Ctx<'_>,
        translated: bool,
        body: &mut Vec<u8>,
        headers: &mut Vec<(String, String)>,
    ) -> (&Arc<str>, u16) {
        match kind {
            EnvelopeKind::Problem => {
                builtin::write_problem(body, ctx, translated);
                (&self.media_types.problem, ctx.status)
            }
            EnvelopeKind::Google => {
                builtin::write_google(body, ctx, &self.catalog);
                (&self.media_types.json, ctx.status)
            }
            EnvelopeKind::Custom(i) => {
                let env = &self.envelopes[i];
                env.render(body, ctx);
                env.headers(ctx, headers);
                (&env.media_type, env.status.unwrap_or(ctx.status))
            }
        }
    }

    /// The entry an error renders as: its standard role's, else its code's,
    /// when that entry has a status; else the catalog's internal error.
    fn entry_index(&self, err: &Error) -> usize {
        let catalog = &self.catalog;
        err.role()
            .and_then(|r| catalog.standard(r))
            .and_then(|d| catalog.index_of(&d.code))
            .or_else(|| catalog.index_of(err.code()))
            .filter(|&i| catalog.errors[i].status.is_some())
            .unwrap_or(self.fallback)
    }
}

/// The error as `def` renders it: itself when `def` is its code's or its
/// role's entry, else a bare error of `def`'s code (the internal error),
/// carrying nothing of the original, kept in `fallback`.
fn as_entry<'a>(err: &'a Error, def: &ErrorDef, fallback: &'a mut Option<Error>) -> &'a Error {
    if def.code == err.code()
        || err
            .role()
            .is_some_and(|r| def.standard.iter().any(|s| s == r))
    {
        err
    } else {
        fallback.insert(Error::new(def.code.clone()))
    }
}

/// An explicit delay, else a `retry_after` parameter, else the catalog's default.
fn retry_after(err: &Error, def: &ErrorDef) -> Option<u64> {
    err.retry_after()
        .or_else(|| match err.param("retry_after") {
            Some(ParamValue::Int(i)) => u64::try_from(*i).ok(),
            _ => None,
        })
        .or(def.retry_after)
}

/// After the envelope's headers: the entry's (unless the envelope set
/// them), `Retry-After`, the error's own (which replace any of the same
/// name), and `Content-Language` for a translation.
fn add_headers(
    def: &ErrorDef,
    err: &Error,
    retry_after: Option<u64>,
    translated_to: Option<&str>,
    headers: &mut Vec<(String, String)>,
) {
    for (name, value) in &def.headers {
        let v = value.format(|p| {
            if p == "retry_after" && err.param(p).is_none() {
                return retry_after.map(|s| s.to_string());
            }
            err.param(p).map(ParamValue::to_text)
        });
        // A header whose value renders empty (a parameter not given) is left out.
        if !v.trim().is_empty() && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            headers.push((name.clone(), error::sanitize_header(v)));
        }
    }
    if let Some(s) = retry_after
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
    {
        headers.push(("Retry-After".to_owned(), s.to_string()));
    }
    for (name, value) in err.headers() {
        match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1.clone_from(value),
            None => headers.push((name.to_string(), value.clone())),
        }
    }
    if let Some(locale) = translated_to {
        headers.push(("Content-Language".to_owned(), locale.to_owned()));
    }
}
