//! Diagnostics: what is wrong with a catalog, where, and how to fix it.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// How bad a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The catalog works, but something looks wrong.
    Warning,
    /// The catalog cannot be used until this is fixed.
    Error,
}

impl Severity {
    /// `"warning"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding of the loader or the lint.
///
/// ```
/// use errcat_catalog::{Catalog, Severity};
///
/// let report = Catalog::lint_str("[api]\nnmae = \"x\"\n", "errors.toml");
/// let d = &report.diagnostics[0];
/// assert_eq!(d.severity, Severity::Error);
/// assert_eq!(d.code, "unknown-key");
/// assert_eq!(d.help.as_deref(), Some("did you mean `name`?"));
/// assert_eq!(report.source.line_col(d.span.clone().unwrap().start), (2, 1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable, kebab-case identifier such as `unknown-key`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The byte range of the catalog text it is about, if any.
    pub span: Option<Range<usize>>,
    /// A short label for the span.
    pub label: Option<String>,
    /// The fix, when one can be named.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            help: None,
        }
    }

    /// A new warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Sets the span.
    #[must_use]
    pub fn at(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }

    /// Sets the label of the span.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the help text.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The text a catalog was read from, with its name, for locating spans.
#[derive(Clone, Debug)]
pub struct Source {
    /// The file name shown in diagnostics.
    pub name: String,
    /// The whole text.
    pub text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl Source {
    /// Wraps a text and its name.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let prefix = self.text.get(start..offset).unwrap_or("");
        (line + 1, prefix.chars().count() + 1)
    }

    /// `name:line:col` of a byte offset.
    pub fn location(&self, offset: usize) -> String {
        let (line, col) = self.line_col(offset);
        format!("{}:{line}:{col}", self.name)
    }

    /// [`Source::location`] of an offset in `text`, without making a
    /// `Source` (no copy of the text, no line index).
    pub(crate) fn locate(name: &str, text: &str, offset: usize) -> String {
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = before.iter().filter(|&&b| b == b'\n').count();
        let col = text.get(start..offset).unwrap_or("").chars().count();
        format!("{name}:{}:{}", line + 1, col + 1)
    }
}

/// All diagnostics of one catalog, with the source they point into.
#[derive(Clone, Debug)]
pub struct Report {
    /// The catalog text.
    pub source: Source,
    /// Errors first in source order, then warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Counts of errors and warnings.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        (errors, self.diagnostics.len() - errors)
    }

    /// The diagnostics as a JSON array, one object per finding with file, line
    /// and column, for editors and CI annotations.
    pub fn to_json(&self) -> serde_json::Value {
        let items = self
            .diagnostics
            .iter()
            .map(|d| {
                let mut o = serde_json::Map::new();
                o.insert("severity".into(), d.severity.as_str().into());
                o.insert("code".into(), d.code.into());
                o.insert("message".into(), d.message.clone().into());
                o.insert("file".into(), self.source.name.clone().into());
                if let Some(span) = &d.span {
                    let (line, column) = self.source.line_col(span.start);
                    let (end_line, end_column) = self.source.line_col(span.end);
                    o.insert("line".into(), line.into());
                    o.insert("column".into(), column.into());
                    o.insert("end_line".into(), end_line.into());
                    o.insert("end_column".into(), end_column.into());
                    o.insert("offset".into(), span.start.into());
                    o.insert("length".into(), (span.end - span.start).into());
                }
                if let Some(label) = &d.label {
                    o.insert("label".into(), label.clone().into());
                }
                if let Some(help) = &d.help {
                    o.insert("help".into(), help.clone().into());
                }
                serde_json::Value::Object(o)
            })
            .collect();
        serde_json::Value::Array(items)
    }

    /// Each diagnostic as a `miette` report, for graphical rendering.
    pub fn miette_reports(&self) -> impl Iterator<Item = Located<'_>> {
        self.diagnostics.iter().map(|d| Located {
            diagnostic: d,
            source: &self.source,
        })
    }
}

#[cfg(feature = "graphical")]
#[cfg_attr(docsrs, doc(cfg(feature = "graphical")))]
impl Report {
    /// Writes each diagnostic as `errcat lint` prints it: a
    /// `file:line:column` line for terminals and editors (miette names only
    /// the file), then miette's graphical report with one line of context.
    /// `color` picks the colored or the plain unicode theme.
    ///
    /// ```
    /// let report = errcat_catalog::Catalog::lint_str("[api]\nname = 1\n", "errors.toml");
    /// let mut out = String::new();
    /// report.write_graphical(false, &mut out).unwrap();
    /// assert!(out.starts_with("errors.toml:2:"), "{out}");
    /// ```
    ///
    /// # Errors
    ///
    /// When `out` fails.
    pub fn write_graphical(&self, color: bool, out: &mut impl fmt::Write) -> fmt::Result {
        use miette::{GraphicalReportHandler, GraphicalTheme};
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
        let mut text = String::new();
        for located in self.miette_reports() {
            text.clear();
            handler.render_report(&mut text, &located)?;
            if let Some(span) = &located.diagnostic.span {
                writeln!(out, "{}", self.source.location(span.start))?;
            }
            writeln!(out, "{text}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    /// One line per diagnostic: `file:line:col: severity[code]: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            match &d.span {
                Some(span) => write!(f, "{}: ", self.source.location(span.start))?,
                None => write!(f, "{}: ", self.source.name)?,
            }
            write!(f, "{}[{}]: {}", d.severity.as_str(), d.code, d.message)?;
            if let Some(help) = &d.help {
                write!(f, " (help: {help})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// A diagnostic together with its source, implementing [`miette::Diagnostic`].
#[derive(Debug)]
pub struct Located<'a> {
    /// The finding.
    pub diagnostic: &'a Diagnostic,
    /// Where it points.
    pub source: &'a Source,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Located<'_> {}

impl miette::Diagnostic for Located<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("errcat::{}", self.diagnostic.code)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.diagnostic.span.as_ref()?;
        Some(self)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.diagnostic.span.clone()?;
        let label = miette::LabeledSpan::new(
            Some(
                self.diagnostic
                    .label
                    .clone()
                    .unwrap_or_else(|| "here".to_owned()),
            ),
            span.start,
            span.end.saturating_sub(span.start),
        );
        Some(Box::new(std::iter::once(label)))
    }
}

impl miette::SourceCode for Located<'_> {
    fn read_span<'b>(
        &'b self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'b> + 'b>, miette::MietteError> {
        // miette reads a span by scanning the text from its start; on a
        // large catalog with many diagnostics that is quadratic. It reads
        // here a window of whole lines around the span instead (found with
        // the line index), and the result is moved back to the text's
        // offsets and line numbers: the same contents, in time of the window.
        let text = &self.source.text;
        let starts = &self.source.line_starts;
        let offset = span.offset().min(text.len());
        let end = (offset + span.len()).min(text.len());
        let line_of = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);
        // One line more than the context before, so that the span never
        // starts the window (miette treats offset 0 apart).
        let first = line_of(offset).saturating_sub(context_lines_before + 1);
        let last = line_of(end) + context_lines_after + 2;
        let from = starts[first];
        let to = starts.get(last + 1).copied().unwrap_or(text.len());
        let window = &text.as_bytes()[from..to];
        let relative = miette::SourceSpan::from((offset - from, end - offset));
        let inner = window.read_span(&relative, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.source.name.clone(),
            inner.data(),
            miette::SourceSpan::from((inner.span().offset() + from, inner.span().len())),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_a_window_gives_what_reading_the_whole_text_gives() {
        use miette::SourceCode as _;
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("line {i} é\n"));
            if i % 7 == 0 {
                text.push('\n');
            }
        }
        let source = Source::new("f", text.as_str());
        let d = Diagnostic::error("x", "y");
        let located = Located {
            source: &source,
            diagnostic: &d,
        };
        for offset in (0..text.len()).step_by(13) {
            for len in [0, 1, 5, 40] {
                let len = len.min(text.len() - offset);
                let span = miette::SourceSpan::from((offset, len));
                for (before, after) in [(0, 0), (1, 1), (2, 3), (5, 0)] {
                    let whole = text.as_bytes().read_span(&span, before, after).unwrap();
                    let window = located.read_span(&span, before, after).unwrap();
                    let at = format!("{offset}+{len} ({before}, {after})");
                    assert_eq!(window.data(), whole.data(), "{at}");
                    assert_eq!(window.span(), whole.span(), "{at}");
                    assert_eq!(window.line(), whole.line(), "{at}");
                    assert_eq!(window.column(), whole.column(), "{at}");
                }
            }
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let s = Source::new("f", "ab\nüx\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(3), (2, 1));
        assert_eq!(s.line_col(5), (2, 2));
        assert_eq!(s.line_col(100), (3, 1));
        assert_eq!(s.location(5), "f:2:2");
        for offset in 0..12 {
            assert_eq!(
                Source::locate("f", "ab\nüx\n", offset),
                s.location(offset),
                "{offset}"
            );
        }
    }
}
