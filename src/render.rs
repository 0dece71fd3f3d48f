//! `errcat render`: print the exact response of an error.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;

use errcat_catalog::{ErrorDef, FieldViolation, ParamType};
use errcat_render::{Error, ParamValue, RenderOptions, example_error, reason_phrase};

use crate::{Outcome, UsageError, catalog_arg};

/// Arguments of `errcat render`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The error's code (or numeric code).
    code: String,
    /// The catalog file (default `errors.toml`, else errcat's standard catalog).
    #[arg(long, short, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// A message parameter; parameters not given take their example values.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// A field violation: `PATH=MESSAGE`, or JSON with a reason:
    /// `{"path": "title", "message": "can't be blank", "reason": "blank"}`.
    /// Repeat it for more.
    #[arg(long = "violation", value_name = "PATH=MESSAGE")]
    violations: Vec<String>,
    /// The envelope (default: the catalog's).
    #[arg(long, value_name = "NAME")]
    envelope: Option<String>,
    /// The client's locale, e.g. `de` or `pt-BR`.
    #[arg(long, value_name = "TAG")]
    locale: Option<String>,
    /// The error id (default: a new one in the catalog's scheme).
    #[arg(long, value_name = "ID")]
    error_id: Option<String>,
    /// The request id.
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    /// The request path (the RFC 9457 `instance`, `$instance`).
    #[arg(long, visible_alias = "path", value_name = "URI")]
    instance: Option<String>,
    /// The request method (`$method`).
    #[arg(long, value_name = "METHOD")]
    method: Option<String>,
    /// The time of the error, RFC 3339 (`2024-05-01T10:00:00.000Z`); default now.
    #[arg(long, value_name = "TIME", value_parser = humantime::parse_rfc3339_weak)]
    time: Option<std::time::SystemTime>,
    /// A request header the envelope echoes (`$request_header.NAME`).
    /// Repeat it for more.
    #[arg(long = "header", short = 'H', value_name = "NAME=VALUE")]
    request_headers: Vec<String>,
    /// Print the status line and headers before the body.
    #[arg(long)]
    headers: bool,
    /// Indent the body (the server sends it compact).
    #[arg(long)]
    pretty: bool,
}

fn split(arg: &str, what: &str) -> anyhow::Result<(String, String)> {
    arg.split_once('=')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .ok_or_else(|| UsageError(format!("`{arg}` is not {what}")).into())
}

/// A `--violation`: `PATH=MESSAGE`, or a JSON object with `path`,
/// `message` and an optional `reason`.
fn violation(arg: &str) -> anyhow::Result<FieldViolation> {
    if arg.trim_start().starts_with('{') {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Json {
            path: String,
            message: String,
            reason: Option<String>,
        }
        let v: Json = serde_json::from_str(arg).map_err(|e| {
            UsageError(format!(
                "`--violation {arg}` is not a violation: {e}; write PATH=MESSAGE or {{\"path\": \"…\", \"message\": \"…\", \"reason\": \"…\"}}"
            ))
        })?;
        let mut fv = FieldViolation::new(v.path, v.message);
        fv.reason = v.reason;
        return Ok(fv);
    }
    let (path, message) = split(arg, "PATH=MESSAGE")?;
    Ok(FieldViolation::new(path, message))
}

/// The error `--param` and `--violation` describe, with the example's
/// values for what they leave out (each noted on stderr).
fn error_from_args(args: &Args, def: &ErrorDef) -> anyhow::Result<Error> {
    let example = example_error(def);
    let mut err = Error::new(def.code.clone());
    let mut given = Vec::new();
    for p in &args.params {
        let (name, raw) = split(p, "NAME=VALUE")?;
        let Some(param) = def.param(&name) else {
            let names: Vec<&str> = def.params.iter().map(|p| p.name.as_str()).collect();
            let hint = if names.is_empty() {
                format!("`{}` has no parameters", def.code)
            } else {
                format!("its parameters are: {}", names.join(", "))
            };
            return Err(
                UsageError(format!("`{}` has no parameter `{name}`; {hint}", def.code)).into(),
            );
        };
        let bad = |ty: &str| UsageError(format!("parameter `{name}` is {ty}; got `{raw}`"));
        let value = match param.ty {
            ParamType::String => ParamValue::Str(Cow::Owned(raw.clone())),
            ParamType::Integer => ParamValue::Int(raw.parse().map_err(|_| bad("an integer"))?),
            ParamType::Number => ParamValue::Float(raw.parse().map_err(|_| bad("a number"))?),
            ParamType::Boolean => {
                ParamValue::Bool(raw.parse().map_err(|_| bad("`true` or `false`"))?)
            }
        };
        given.push(name.clone());
        err = err.with_param(name, value);
    }
    for (name, value) in example.params() {
        if !given.iter().any(|g| g == name) {
            eprintln!(
                "errcat: note: `{name}` not given; using the example value `{}`",
                value.to_text()
            );
            err = err.with_param(name.clone(), value.clone());
        }
    }
    for v in &args.violations {
        err = err.with_violations([violation(v)?]);
    }
    if args.violations.is_empty() {
        err = err.with_violations(example.violations().iter().cloned());
    }
    if let Some(d) = example.details() {
        err = err.with_details(d.clone());
    }
    Ok(err)
}

pub(crate) fn run(args: &Args, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let catalog = catalog_arg::load(args.catalog.as_deref())?;
    let def = catalog_arg::find(&catalog, &args.code)?.clone();
    if def.status.is_none() {
        return Err(UsageError(format!(
            "`{}` has no HTTP status: it is documented but never sent (see `errcat explain {}`)",
            def.code, def.code
        ))
        .into());
    }
    let renderer = catalog_arg::renderer(catalog, args.envelope.as_deref())?;

    let err = error_from_args(args, &def)?;
    let mut request_headers = Vec::new();
    for h in &args.request_headers {
        let (name, value) = split(h, "NAME=VALUE")?;
        request_headers.push((name.to_ascii_lowercase(), value));
    }
    let request_headers: Vec<(&str, &str)> = request_headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let rendered = renderer.render(
        &err,
        &RenderOptions {
            envelope: args.envelope.as_deref(),
            locale: args.locale.as_deref(),
            error_id: args.error_id.as_deref(),
            request_id: args.request_id.as_deref(),
            instance: args.instance.as_deref(),
            timestamp: args.time,
            status: None,
            method: args.method.as_deref(),
            request_headers: &request_headers,
        },
    );
    if args.headers {
        writeln!(
            out,
            "HTTP/1.1 {} {}",
            rendered.status,
            reason_phrase(rendered.status)
        )?;
        writeln!(out, "content-type: {}", rendered.content_type)?;
        if let (Some(name), Some(id)) = (renderer.request_id_header(), &args.request_id) {
            writeln!(out, "{}: {id}", name.to_ascii_lowercase())?;
        }
        for (n, v) in &rendered.headers {
            writeln!(out, "{}: {v}", n.to_ascii_lowercase())?;
        }
        writeln!(out)?;
    }
    if args.pretty {
        let value: serde_json::Value = serde_json::from_slice(&rendered.body)?;
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        out.write_all(&rendered.body)?;
        writeln!(out)?;
    }
    Ok(Outcome::Ok)
}
