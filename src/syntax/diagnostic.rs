//! Diagnostics: what is wrong in a rules file, where, and how to fix it.
//!
//! Every diagnostic has a stable code (documented in docs/errors.md), a
//! lowercase one-sentence message, the span it is about, and usually a help
//! line. The parser and the checker both produce them.

use std::fmt;

use std::collections::HashMap;

use ariadne::{CharSet, Config, IndexType, Label, Report, ReportKind, Source};
use serde_json::{Value as Json, json};

use super::span::{Sources, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// What the underline says, if more than the message.
    pub label: Option<String>,
    /// Other places that explain this one (e.g. the first declaration).
    pub notes: Vec<Note>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: None,
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.notes.push(Note {
            span,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The diagnostic as a compiler would print it, without colour. To
    /// render many, use one [`Renderer`]: it reads each file once.
    pub fn render(&self, sources: &Sources) -> String {
        Renderer::new(sources).render(self)
    }

    /// The diagnostic for programs: code, severity, message, file, line and column.
    pub fn to_json(&self, sources: &Sources) -> Json {
        let file = sources.get(self.span.file);
        let (line, column) = file.line_col(self.span.start);
        let (end_line, end_column) = file.line_col(self.span.end);
        json!({
            "code": self.code,
            "severity": self.severity.word(),
            "message": self.message,
            "file": file.path.display().to_string(),
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "label": self.label,
            "help": self.help,
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]: {}",
            self.severity.word(),
            self.code,
            self.message
        )
    }
}

/// The name in `candidates` closest to `name`, if close enough to be a
/// likely typo ("did you mean `service_date`?").
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= limit || c.eq_ignore_ascii_case(name))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Renders diagnostics over one ruleset's files, indexing each file's
/// lines once however many diagnostics point into it (a ruleset of
/// thousands of rules may get thousands of warnings).
pub struct Renderer<'s> {
    sources: &'s Sources,
    cache: SourceCache<'s>,
}

impl<'s> Renderer<'s> {
    pub fn new(sources: &'s Sources) -> Renderer<'s> {
        Renderer {
            sources,
            cache: SourceCache {
                sources,
                built: HashMap::new(),
            },
        }
    }

    pub fn render(&mut self, diagnostic: &Diagnostic) -> String {
        let path = |span: Span| self.sources.get(span.file).path.display().to_string();
        let kind = match diagnostic.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let config = Config::default()
            .with_color(false)
            .with_index_type(IndexType::Byte)
            .with_char_set(CharSet::Unicode);
        let span = diagnostic.span;
        let primary = (path(span), span.start..span.end.max(span.start));
        let mut report = Report::build(kind, primary.clone())
            .with_config(config)
            .with_code(diagnostic.code)
            .with_message(&diagnostic.message)
            .with_label(
                Label::new(primary).with_message(diagnostic.label.as_deref().unwrap_or("here")),
            );
        for note in &diagnostic.notes {
            report = report.with_label(
                Label::new((path(note.span), note.span.start..note.span.end))
                    .with_message(&note.message),
            );
        }
        if let Some(help) = &diagnostic.help {
            report = report.with_help(help);
        }
        let mut out = Vec::new();
        if report.finish().write(&mut self.cache, &mut out).is_err() {
            return diagnostic.to_string();
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// ariadne's view of the files, built per file on first use.
struct SourceCache<'s> {
    sources: &'s Sources,
    built: HashMap<String, Source<&'s str>>,
}

impl<'s> ariadne::Cache<String> for SourceCache<'s> {
    type Storage = &'s str;

    fn fetch(&mut self, id: &String) -> Result<&Source<&'s str>, impl fmt::Debug> {
        if !self.built.contains_key(id) {
            let Some((_, file)) = self
                .sources
                .files()
                .find(|(_, f)| f.path.display().to_string() == *id)
            else {
                return Err(format!("no source file {id}"));
            };
            self.built
                .insert(id.clone(), Source::from(file.text.as_str()));
        }
        Ok(&self.built[id])
    }

    fn display<'a>(&self, id: &'a String) -> Option<impl fmt::Display + 'a> {
        Some(id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let names = ["service_date", "settle_time", "item_code"];
        assert_eq!(did_you_mean("servce_date", names), Some("service_date"));
        assert_eq!(did_you_mean("service_day", names), Some("service_date"));
        assert_eq!(did_you_mean("patient", names), None);
        assert_eq!(did_you_mean("ITEM_CODE", names), Some("item_code"));
    }

    #[test]
    fn a_renderer_indexes_each_file_once_however_many_diagnostics() {
        let mut sources = Sources::default();
        let a = sources.add(std::path::Path::new("a.rules"), "one\ntwo\nthree\n".into());
        let b = sources.add(std::path::Path::new("b.rules"), "four\n".into());
        let mut renderer = Renderer::new(&sources);
        for (file, start) in [(a, 0), (a, 4), (b, 0), (a, 8)] {
            let d = Diagnostic::warning("W0001", Span::new(file, start, start + 3), "m");
            assert!(renderer.render(&d).contains("W0001"));
        }
        assert_eq!(renderer.cache.built.len(), 2);
        let d = Diagnostic::error("E0001", Span::new(a, 4, 7), "m");
        assert_eq!(renderer.render(&d), d.render(&sources));
    }
}
