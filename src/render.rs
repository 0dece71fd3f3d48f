//! `errcat render`: print the exact response of an error.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;

use errcat_catalog::{FieldViolation, ParamType};
use errcat_render::{Error, ParamValue, RenderOptions, Renderer, example_error, reason_phrase};

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
    /// A field violation.
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
    /// The RFC 9457 `instance` (usually the request path).
    #[arg(long, value_name = "URI")]
    instance: Option<String>,
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
    let renderer = Renderer::new(catalog);
    if let Some(env) = &args.envelope
        && !renderer.has_envelope(env)
    {
        return Err(UsageError(format!(
            "unknown envelope `{env}`: use problem, google, or one the catalog declares"
        ))
        .into());
    }

    let example = example_error(&def);
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
        let (path, message) = split(v, "PATH=MESSAGE")?;
        err = err.with_violations([FieldViolation::new(path, message)]);
    }
    if args.violations.is_empty() {
        err = err.with_violations(example.violations().iter().cloned());
    }
    if let Some(d) = example.details() {
        err = err.with_details(d.clone());
    }
    let rendered = renderer.render(
        &err,
        &RenderOptions {
            envelope: args.envelope.as_deref(),
            locale: args.locale.as_deref(),
            error_id: args.error_id.as_deref(),
            request_id: args.request_id.as_deref(),
            instance: args.instance.as_deref(),
            timestamp: None,
            status: None,
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
