//! `errcat`: lint, explain, render, document and diff an API's error catalog; look up its error log; serve its console; probe a live API (`check`); run the reference API (`demo`).

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::filter::LevelFilter;

mod catalog_arg;
mod check;
#[cfg(feature = "demo")]
mod demo;
mod diff_cmd;
mod docs_cmd;
mod explain;
mod lint;
mod log;
mod logging;
mod render;
mod serve;

/// The error system of an HTTP API, defined once in `errors.toml`.
#[derive(Debug, Parser)]
#[command(name = "errcat", version, about, long_about = None)]
struct Cli {
    /// Log lines on stderr as text or JSON; which ones `RUST_LOG` says (default `info` for
    /// `serve` and `demo`, `warn` otherwise).
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "FORMAT",
        default_value = "text"
    )]
    log_format: logging::LogFormat,
    /// When to color output: `auto` (on a terminal, unless `NO_COLOR` is set), `always`, `never`.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    color: logging::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a catalog and report every problem with its file:line:column.
    Lint(lint::Args),
    /// Explain an error: what it means, its causes, how to fix it, an example response.
    Explain(explain::Args),
    /// Print the response an error renders to, exactly as a server sends it.
    Render(render::Args),
    /// Find an error in the error log by its error id or request id, as a support page.
    Lookup(log::LookupArgs),
    /// List recent errors from the error log, newest first.
    Errors(log::ErrorsArgs),
    /// Count errors per code in the error log.
    Stats(log::StatsArgs),
    /// Write the error reference: a static HTML site, Markdown, OpenAPI or JSON.
    Docs(docs_cmd::Args),
    /// Compare two catalogs: added, removed and changed errors, breaking or compatible.
    Diff(diff_cmd::DiffArgs),
    /// Record every published code in the append-only errors.lock.
    Lock(diff_cmd::LockArgs),
    /// Run the reference API with its error log, the docs at /errors and the console at /console.
    #[cfg(feature = "demo")]
    Demo(demo::Args),
    /// Serve the docs site and the support console for an existing error log.
    Serve(serve::Args),
    /// Probe a running API: does every error it sends speak the catalog, and leak nothing?
    Check(check::Args),
}

/// How a command ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: the check the command ran failed.
    Failed,
}

/// A failure that ends the command with exit code 2 (usage or I/O).
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    // The servers report what happens while they run; one-shot commands only problems.
    let default_level = match cli.command {
        Command::Serve(_) => LevelFilter::INFO,
        #[cfg(feature = "demo")]
        Command::Demo(_) => LevelFilter::INFO,
        _ => LevelFilter::WARN,
    };
    logging::init(cli.log_format, cli.color, default_level)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let outcome = match cli.command {
        Command::Lint(args) => lint::run(&args, cli.color.stdout(), &mut out)?,
        Command::Explain(args) => explain::run(&args, &mut out)?,
        Command::Render(args) => render::run(&args, &mut out)?,
        Command::Lookup(args) => log::lookup(&args, &mut out)?,
        Command::Errors(args) => log::errors(&args, &mut out)?,
        Command::Stats(args) => log::stats(&args, &mut out)?,
        Command::Docs(args) => docs_cmd::run(&args, &mut out)?,
        Command::Diff(args) => diff_cmd::diff(&args, &mut out)?,
        Command::Lock(args) => diff_cmd::lock(&args, &mut out)?,
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::run(&args, &mut out)?,
        Command::Serve(args) => serve::run(&args, &mut out)?,
        Command::Check(args) => check::run(&args, &mut out)?,
    };
    out.flush()?;
    Ok(outcome)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("errcat: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        let io = e.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        let json = e
            .downcast_ref::<serde_json::Error>()
            .and_then(serde_json::Error::io_error_kind);
        io.or(json) == Some(std::io::ErrorKind::BrokenPipe)
    })
}
