//! What names mean inside one rule, and what the rule may use where.

use std::collections::HashSet;

use crate::ir::{Aggregate, CodeSet, Param, Schema, Type};
use crate::syntax::{Diagnostic, Sources, Span};

/// Where aggregates such as `count()` may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregates {
    Allowed,
    /// Not here; the text says why.
    Forbidden(&'static str),
}

pub struct Scope<'a> {
    pub schema: &'a Schema,
    pub params: &'a [Param],
    pub sets: &'a [CodeSet],
    pub sources: &'a Sources,
    /// The rule's own row variable and its table.
    pub row: (String, String),
    pub partner: Option<(String, String)>,
    /// The knowledge row a pair matched (`match x in table`) and its table.
    pub known: Option<(String, String)>,
    /// Whether `prev` names the previous row (sequence rules).
    pub prev: bool,
    pub entity: Option<(String, String)>,
    pub lets: Vec<(String, Type)>,
    /// For each let, whether its value is an aggregate's (or reads one):
    /// such a let may not be read inside another aggregate.
    pub aggregated_lets: Vec<bool>,
    /// Whether the expression being checked read an aggregate, directly or
    /// through a let (set by the checker, reset per let).
    pub read_aggregate: bool,
    /// Variables bound by `any(x in ...)`, innermost last.
    pub items: Vec<(String, Type)>,
    pub aggregates_here: Aggregates,
    pub in_aggregate: bool,
    /// Whether aggregates may be taken per run of rows (`per`): group and
    /// window rules.
    pub runs_here: bool,
    pub quantile_here: bool,
    /// In a population rule, the row variable may appear only inside aggregates.
    pub row_only_in_aggregates: bool,
    pub aggregates: Vec<Aggregate>,
    pub used_names: HashSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Scope<'a> {
    pub fn new(
        schema: &'a Schema,
        params: &'a [Param],
        sets: &'a [CodeSet],
        sources: &'a Sources,
        row: (String, String),
    ) -> Scope<'a> {
        Scope {
            schema,
            params,
            sets,
            sources,
            row,
            partner: None,
            known: None,
            prev: false,
            entity: None,
            lets: Vec::new(),
            aggregated_lets: Vec::new(),
            read_aggregate: false,
            items: Vec::new(),
            aggregates_here: Aggregates::Forbidden("a row rule looks at one row at a time"),
            in_aggregate: false,
            runs_here: false,
            quantile_here: false,
            row_only_in_aggregates: false,
            aggregates: Vec::new(),
            used_names: HashSet::new(),
            diagnostics: Vec::new(),
        }
    }

    /// The source text of a span, as the user wrote it.
    pub fn text(&self, span: Span) -> String {
        let file = self.sources.get(span.file);
        file.text
            .get(span.start..span.end)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// E0101 for a table name the schema does not know, with the nearest one.
    pub fn no_such_table(&mut self, table: &crate::syntax::ast::Ident) {
        let mut d = Diagnostic::error(
            "E0101",
            table.span,
            format!("no table is called `{}`", table.name),
        );
        if let Some(near) = crate::syntax::diagnostic::did_you_mean(
            &table.name,
            self.schema.tables.iter().map(|t| t.name.as_str()),
        ) {
            d = d.with_help(format!("did you mean `{near}`?"));
        }
        self.error(d);
    }

    /// Every name that may start a path here, for "did you mean".
    pub fn visible_names(&self) -> Vec<String> {
        let mut names = vec![self.row.0.clone()];
        names.extend(self.partner.iter().map(|p| p.0.clone()));
        names.extend(self.known.iter().map(|p| p.0.clone()));
        names.extend(self.entity.iter().map(|p| p.0.clone()));
        if self.prev {
            names.push("prev".into());
        }
        names.extend(self.items.iter().map(|i| i.0.clone()));
        names.extend(self.lets.iter().map(|l| l.0.clone()));
        names.extend(self.params.iter().map(|p| p.name.clone()));
        names.extend(self.sets.iter().map(|s| s.name.clone()));
        names
    }
}
