//! Planning the probes from the base URL and an OpenAPI spec: which
//! request each probe sends, with which credentials, expecting what.

use reqwest::{Method, Url};
use serde_json::Value;

use crate::openapi::{self, Operation, Scheme, Spec};
use crate::report::Row;
use crate::transport::Request;
use crate::verify::Expect;
use crate::{MAX_BODY_OPS, Options, join, names};

/// One planned probe.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    pub(crate) name: String,
    /// The path shown (relative to the base URL).
    pub(crate) path: String,
    pub(crate) request: Request,
    pub(crate) expect: Expect,
    pub(crate) note: Option<String>,
    /// Send this many body bytes over a raw connection instead.
    pub(crate) oversized: Option<u64>,
}

/// A planned probe, or a row saying why one is not sent.
#[derive(Debug)]
pub(crate) enum Step {
    Probe(Probe),
    Skip(Row),
}

/// The credentials given on the command line.
pub(crate) struct Creds {
    pub(crate) api_key: Option<String>,
    /// The header the API key goes in.
    pub(crate) api_key_header: String,
    pub(crate) bearer: Option<String>,
}

impl Creds {
    /// Every credential given, for routes whose security is unknown.
    pub(crate) fn all(&self) -> Vec<(String, String)> {
        let mut h = Vec::new();
        if let Some(k) = &self.api_key {
            h.push((self.api_key_header.clone(), k.clone()));
        }
        if let Some(t) = &self.bearer {
            h.push(("Authorization".to_owned(), format!("Bearer {t}")));
        }
        h
    }

    /// Headers for one scheme, if its credential was given.
    pub(crate) fn for_scheme(&self, s: &Scheme) -> Option<(String, String)> {
        match s {
            Scheme::ApiKeyHeader(name) if name.eq_ignore_ascii_case(&self.api_key_header) => {
                self.api_key.clone().map(|k| (name.clone(), k))
            }
            Scheme::ApiKeyHeader(_) => None,
            Scheme::Bearer => self
                .bearer
                .clone()
                .map(|t| ("Authorization".to_owned(), format!("Bearer {t}"))),
            Scheme::Unsupported(_) => None,
        }
    }

    /// Headers that satisfy one of the operation's alternatives.
    pub(crate) fn for_op(&self, op: &Operation) -> Option<Vec<(String, String)>> {
        if op.security.is_empty() {
            return Some(Vec::new());
        }
        op.security
            .iter()
            .find_map(|alt| alt.iter().map(|s| self.for_scheme(s)).collect())
    }
}

pub(crate) fn probe(
    name: &str,
    method: Method,
    base: &Url,
    prefix: &str,
    path: &str,
    expect: Expect,
    note: Option<String>,
) -> Probe {
    let url = join(base, prefix, path);
    Probe {
        name: name.to_owned(),
        path: url.path().to_owned(),
        request: Request {
            method,
            url,
            headers: Vec::new(),
            body: None,
        },
        expect,
        note,
        oversized: None,
    }
}

/// Authenticates `p` for `op` when possible; else also accepts an AUTH
/// refusal, and says so.
pub(crate) fn authenticate(p: &mut Probe, op: &Operation, creds: &Creds) {
    match creds.for_op(op) {
        Some(headers) => p.request.headers.extend(headers),
        None => {
            p.expect = p.expect.clone().or_auth();
            let wanted: Vec<String> = op
                .security
                .iter()
                .flatten()
                .map(|s| match s {
                    Scheme::ApiKeyHeader(h) if h.eq_ignore_ascii_case(&creds.api_key_header) => {
                        "--api-key".to_owned()
                    }
                    Scheme::ApiKeyHeader(h) => format!("--api-key-header {h} --api-key …"),
                    Scheme::Bearer => "--bearer".to_owned(),
                    Scheme::Unsupported(s) => s.clone(),
                })
                .collect();
            let note = format!(
                "no credentials for this route, 401/403 accepted (pass {})",
                wanted.join(" or ")
            );
            p.note = Some(match p.note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
    }
}

pub(crate) fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap_or(Method::GET)
}

pub(crate) fn json_request(p: &mut Probe, body: Vec<u8>) {
    p.request
        .headers
        .push(("Content-Type".to_owned(), "application/json".to_owned()));
    p.request.body = Some(body);
}

/// The probes an OpenAPI spec allows: a wrong method, bad bodies on JSON
/// operations, and missing or invalid credentials on secured ones.
pub(crate) fn plan_spec(
    args: &Options,
    base: &Url,
    spec: &Spec,
    doc: &Value,
    creds: &Creds,
    planned: &mut Vec<Step>,
) {
    plan_wrong_method(base, spec, creds, planned);
    plan_bodies(args, base, spec, doc, creds, planned);
    plan_credentials(base, spec, doc, planned);
}

/// A method the spec does not declare, on a route without parameters if
/// there is one.
fn plan_wrong_method(base: &Url, spec: &Spec, creds: &Creds, planned: &mut Vec<Step>) {
    let prefix = spec.prefix.as_str();
    let mut paths: Vec<&Operation> = spec.ops.iter().collect();
    paths.sort_by_key(|o| o.has_params());
    let wrong = paths.iter().find_map(|op| {
        ["PATCH", "DELETE", "PUT", "POST", "GET"]
            .into_iter()
            .find(|m| !op.path_methods.iter().any(|pm| pm == m))
            .map(|m| (*op, m))
    });
    match wrong {
        Some((op, m)) => {
            let mut p = probe(
                "wrong-method",
                method(m),
                base,
                prefix,
                &op.path,
                Expect::new(&[405], &["VALIDATION"]),
                Some(format!(
                    "{} declares {}",
                    op.template,
                    op.path_methods.join(", ")
                )),
            );
            authenticate(&mut p, op, creds);
            planned.push(Step::Probe(p));
        }
        None => planned.push(Step::Skip(Row::skip(
            "wrong-method",
            "every path of the spec takes every method",
        ))),
    }
}

/// Malformed JSON and a wrongly typed body on each JSON operation (at most
/// `MAX_BODY_OPS`), and an oversized body on the first.
fn plan_bodies(
    args: &Options,
    base: &Url,
    spec: &Spec,
    doc: &Value,
    creds: &Creds,
    planned: &mut Vec<Step>,
) {
    let prefix = spec.prefix.as_str();
    let json_ops: Vec<&Operation> = spec.ops.iter().filter(|o| o.body.is_some()).collect();
    if json_ops.is_empty() {
        for name in ["malformed-json", "wrong-type", "oversized"] {
            planned.push(Step::Skip(Row::skip(
                name,
                "no operation of the spec takes an application/json body",
            )));
        }
    }
    for op in json_ops.iter().take(MAX_BODY_OPS) {
        let m = method(&op.method);
        let mut p = probe(
            "malformed-json",
            m.clone(),
            base,
            prefix,
            &op.path,
            Expect::new(&[400, 422], &["VALIDATION"]),
            Some("body `{\"errcat\": \"check\",` (cut short)".to_owned()),
        );
        json_request(&mut p, br#"{"errcat": "check","#.to_vec());
        authenticate(&mut p, op, creds);
        planned.push(Step::Probe(p));

        let schema = op.body.as_ref().unwrap_or(&Value::Null);
        let (body, what) = openapi::wrong_body(doc, schema);
        let mut p = probe(
            "wrong-type",
            m,
            base,
            prefix,
            &op.path,
            Expect::new(&[400, 422], &["VALIDATION"]),
            Some(what),
        );
        json_request(&mut p, body.to_string().into_bytes());
        authenticate(&mut p, op, creds);
        planned.push(Step::Probe(p));
    }
    if json_ops.len() > MAX_BODY_OPS {
        planned.push(Step::Skip(Row::skip(
            "malformed-json",
            &format!(
                "{} more JSON operations not probed (at most {MAX_BODY_OPS})",
                json_ops.len() - MAX_BODY_OPS
            ),
        )));
    }
    if let Some(op) = json_ops.first() {
        let size = args.max_body.saturating_add(1);
        let mut p = probe(
            "oversized",
            method(&op.method),
            base,
            prefix,
            &op.path,
            Expect::new(&[413], &["VALIDATION"]),
            Some(format!(
                "{size}-byte body (--max-body {} + 1)",
                args.max_body
            )),
        );
        authenticate(&mut p, op, creds);
        p.oversized = Some(size);
        planned.push(Step::Probe(p));
    }
}

/// Missing and invalid credentials on secured operations.
pub(crate) fn plan_credentials(base: &Url, spec: &Spec, doc: &Value, planned: &mut Vec<Step>) {
    let prefix = spec.prefix.as_str();
    // Safe methods first; a body operation gets a wrongly typed body, so
    // an API that forgot its auth still creates nothing.
    let rank = |o: &Operation| match o.method.as_str() {
        "GET" | "HEAD" => 0,
        _ if o.body.is_some() => 1,
        "DELETE" => 3,
        _ => 2,
    };
    let mut secured: Vec<&Operation> = spec.ops.iter().filter(|o| !o.security.is_empty()).collect();
    secured.sort_by_key(|o| (rank(o), o.has_params()));
    let Some(first) = secured.first() else {
        planned.push(Step::Skip(Row::skip(
            "credentials",
            "no operation of the spec has `security`",
        )));
        return;
    };
    let body_of = |p: &mut Probe, op: &Operation| {
        if let Some(schema) = &op.body {
            let (body, _) = openapi::wrong_body(doc, schema);
            json_request(p, body.to_string().into_bytes());
        }
    };
    let mut p = probe(
        "missing-credentials",
        method(&first.method),
        base,
        prefix,
        &first.path,
        Expect::new(&[401, 403], &["AUTH"]),
        Some("no credentials".to_owned()),
    );
    body_of(&mut p, first);
    planned.push(Step::Probe(p));

    let mut seen: Vec<Scheme> = Vec::new();
    for op in &secured {
        for s in op.security.iter().flatten() {
            if seen.contains(s) {
                continue;
            }
            seen.push(s.clone());
            let Some((header, note)) = invalid_credentials(s) else {
                planned.push(Step::Skip(Row::skip(
                    "invalid-credentials",
                    &format!(
                        "scheme {} is not probed (only apiKey in a header and bearer)",
                        s.label()
                    ),
                )));
                continue;
            };
            let mut p = probe(
                &format!("invalid-credentials ({})", s.label()),
                method(&op.method),
                base,
                prefix,
                &op.path,
                Expect::new(&[401, 403], &["AUTH"]),
                Some(note),
            );
            p.request.headers.push(header);
            body_of(&mut p, op);
            planned.push(Step::Probe(p));
        }
    }
}

/// The credentials sent: the API key under the header the user names, else
/// the spec's (one with "key" in its name first), else `X-API-Key`.
pub(crate) fn credentials(args: &Options, spec: Option<&openapi::Spec>) -> Creds {
    Creds {
        api_key: args.api_key.clone(),
        api_key_header: args.api_key_header.clone().unwrap_or_else(|| {
            let names = spec
                .map(|s| s.api_key_headers.as_slice())
                .unwrap_or_default();
            names
                .iter()
                .find(|n| n.to_ascii_lowercase().contains("key"))
                .or(names.first())
                .cloned()
                .unwrap_or_else(|| "X-API-Key".to_owned())
        }),
        bearer: args.bearer.clone(),
    }
}

/// Without a spec: `DELETE` on the base URL when it answered `GET` with
/// 2xx; the probes that need a route's body or security are skipped.
pub(crate) fn plan_without_spec(
    base: &Url,
    base_reply: Option<u16>,
    creds: &Creds,
    planned: &mut Vec<Step>,
) {
    match base_reply {
        Some(status) if status < 300 => {
            let mut p = probe(
                "wrong-method",
                Method::DELETE,
                base,
                "",
                "",
                Expect::new(&[405], &["VALIDATION"]),
                Some("DELETE on the base URL, which answered GET".to_owned()),
            );
            p.request.headers = creds.all();
            planned.push(Step::Probe(p));
        }
        _ => planned.push(Step::Skip(Row::skip(
            "wrong-method",
            "the base URL did not answer GET with 2xx; pass --openapi to name a route",
        ))),
    }
    for name in ["malformed-json", "wrong-type", "credentials", "oversized"] {
        planned.push(Step::Skip(Row::skip(name, "needs --openapi")));
    }
}

/// The plan under `--skip` and `--expect`: skipped probes become rows, and
/// the statuses the user vouches for replace the expected ones (the code
/// must still be the catalog's for its status, whatever its category).
pub(crate) fn with_options(
    planned: Vec<Step>,
    args: &Options,
    expect: &[(String, Vec<u16>)],
) -> Vec<Step> {
    planned
        .into_iter()
        .map(|step| match step {
            Step::Probe(p) if args.skip.iter().any(|s| names(s, &p.name)) => {
                Step::Skip(Row::skip(&p.name, "skipped (--skip)"))
            }
            Step::Probe(mut p) => {
                if let Some((_, statuses)) = expect.iter().find(|(n, _)| names(n, &p.name)) {
                    p.expect.statuses.clone_from(statuses);
                    p.expect.categories.clear();
                }
                Step::Probe(p)
            }
            skip @ Step::Skip(_) => skip,
        })
        .collect()
}

/// The invalid credential sent for a scheme, as a header and as the note
/// that shows it; `None` for a scheme the probe does not send.
fn invalid_credentials(s: &Scheme) -> Option<((String, String), String)> {
    match s {
        Scheme::ApiKeyHeader(h) => Some((
            (h.clone(), "errcat-check-invalid-key".to_owned()),
            format!("{h}: errcat-check-invalid-key"),
        )),
        Scheme::Bearer => Some((
            (
                "Authorization".to_owned(),
                "Bearer errcat.check.invalid".to_owned(),
            ),
            "Authorization: Bearer errcat.check.invalid".to_owned(),
        )),
        Scheme::Unsupported(_) => None,
    }
}

/// The cheapest endpoint: a GET without parameters from the spec, else the base URL.
pub(crate) fn burst_target(base: &Url, spec: Option<&Spec>, creds: &Creds) -> Probe {
    let op = spec.and_then(|s| {
        s.ops
            .iter()
            .filter(|o| o.method == "GET" && !o.has_params())
            .find(|o| creds.for_op(o).is_some())
            .map(|o| (o, s.prefix.as_str()))
    });
    let mut p = match op {
        Some((op, prefix)) => {
            let mut p = probe(
                "burst",
                Method::GET,
                base,
                prefix,
                &op.path,
                Expect::default(),
                None,
            );
            p.request.headers = creds.for_op(op).unwrap_or_default();
            p
        }
        None => {
            let mut p = probe("burst", Method::GET, base, "", "", Expect::default(), None);
            p.request.headers = creds.all();
            p
        }
    };
    p.expect = Expect::new(&[429], &["RATE_LIMIT"]);
    p
}
