//! The command's logs and colors: a `tracing` subscriber on stderr filtered
//! by `RUST_LOG`, in text or JSON, and one decision about color for every
//! output that has any.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::UsageError;

/// `--log-format`: how log events are written to stderr.
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields`, `target`, `spans`), for machines.
    Json,
}

/// `--color`: when output is colored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (`CLICOLOR_FORCE` colors a pipe too).
    #[default]
    Auto,
    /// Always, even with `NO_COLOR`.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether output to a stream (a terminal or not) is colored: the flag
    /// first, then `NO_COLOR` (<https://no-color.org>: set and not empty),
    /// then `CLICOLOR_FORCE` (set and not `0`), then whether it is a terminal.
    pub(crate) fn enabled(self, terminal: bool) -> bool {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if var("NO_COLOR").is_some() => false,
            ColorChoice::Auto if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
            ColorChoice::Auto => terminal,
        }
    }

    /// Whether stdout is colored.
    pub(crate) fn stdout(self) -> bool {
        self.enabled(std::io::stdout().is_terminal())
    }
}

/// Installs the subscriber: `RUST_LOG` when set (an invalid one is a usage
/// error), else `default` for every target. Then routes panics to it, so a
/// panic is one event in the chosen format rather than a bare text line.
pub(crate) fn init(
    format: LogFormat,
    color: ColorChoice,
    default: LevelFilter,
) -> Result<(), UsageError> {
    let filter = EnvFilter::builder()
        .with_default_directive(default.into())
        .from_env()
        .map_err(|e| UsageError(format!("RUST_LOG: {e}")))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder
            .with_ansi(color.enabled(std::io::stderr().is_terminal()))
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
    installed.map_err(|e| UsageError(format!("cannot install the logger: {e}")))?;
    route_panics();
    Ok(())
}

/// A panic hook that emits one ERROR event (`panic`, `location`, the thread)
/// when ERROR events are logged, and otherwise runs the hook it replaced.
/// errcat-axum's hook, installed later by a server, runs before it.
fn route_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !tracing::enabled!(tracing::Level::ERROR) {
            return previous(info);
        }
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
        let thread = std::thread::current();
        tracing::error!(
            panic = info.payload_as_str().unwrap_or("a non-string payload"),
            location = location.as_deref(),
            thread = thread.name().unwrap_or("unnamed"),
            "panicked"
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::ColorChoice;

    #[test]
    fn the_flag_decides_before_the_terminal() {
        // Auto depends on the environment; the explicit choices do not.
        assert_eq!(
            [
                ColorChoice::Always.enabled(false),
                ColorChoice::Never.enabled(true)
            ],
            [true, false]
        );
    }
}
