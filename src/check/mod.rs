//! Check: resolve names against the schema, type every expression, turn
//! the syntax tree into the typed rule IR, and lint what looks wrong.
//!
//! A ruleset that checks without errors cannot fail at run time for
//! reasons of type.

pub mod catalog;
pub mod codes;
mod constants;
mod depth;
mod expr;
mod functions;
mod known;
mod lints;
mod rule;
mod schema;
mod scope;
mod sequence;
pub mod shipped;
mod tests;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ir::{Ruleset, Schema};
use crate::syntax::ast::Item;
use crate::syntax::{
    Diagnostic, Parsed, Sources, Span, parse_bytes_into, parse_paths, parse_text_into,
};

/// The shipped CHS schema, built into the binary so the contract is always at hand.
pub const CHS_SCHEMA_SOURCE: &str = include_str!("../../rulesets/chs/schema.rules");
pub const CHS_SCHEMA_PATH: &str = "rulesets/chs/schema.rules";

/// The outcome of checking: the ruleset when there are no errors, and
/// every diagnostic (errors and warnings) in the order found.
#[derive(Debug)]
pub struct Checked {
    pub ruleset: Option<Ruleset>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

impl Checked {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Reads, parses and checks the `.rules` files under `paths` as one ruleset.
pub fn check_paths(paths: &[PathBuf]) -> std::io::Result<Checked> {
    Ok(check_parsed(parse_paths(paths)?))
}

/// The shipped CHS ruleset, from the copy built into the binary.
pub fn check_shipped() -> Checked {
    let mut parsed = Parsed::default();
    for (path, text) in shipped::SHIPPED {
        parse_text_into(&mut parsed, Path::new(path), text.to_string());
    }
    check_parsed(parsed)
}

/// The ruleset in `paths`, or the shipped one when none are given.
pub fn check_paths_or_shipped(paths: &[PathBuf]) -> std::io::Result<Checked> {
    if paths.is_empty() {
        Ok(check_shipped())
    } else {
        check_paths(paths)
    }
}

/// Checks one text as a whole ruleset (tests, documentation examples).
pub fn check_text(path: &Path, text: &str) -> Checked {
    check_bytes(path, text.as_bytes().to_vec())
}

/// Checks one file's bytes as a whole ruleset, as `check` reads a file.
pub fn check_bytes(path: &Path, bytes: Vec<u8>) -> Checked {
    let mut parsed = Parsed::default();
    parse_bytes_into(&mut parsed, path, bytes);
    check_parsed(parsed)
}

/// The CHS schema from the shipped schema file.
pub fn chs_schema() -> Schema {
    let mut parsed = Parsed::default();
    parse_text_into(
        &mut parsed,
        Path::new(CHS_SCHEMA_PATH),
        CHS_SCHEMA_SOURCE.to_string(),
    );
    let mut diagnostics = parsed.diagnostics;
    let tables: Vec<_> = parsed
        .files
        .iter()
        .flat_map(|(_, f)| f.items.iter())
        .filter_map(|i| match i {
            Item::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    let (schema, _) = schema::check_tables(&tables, &mut diagnostics);
    assert!(
        diagnostics.is_empty(),
        "the shipped schema checks: {diagnostics:?}"
    );
    schema
}

pub fn check_parsed(parsed: Parsed) -> Checked {
    crate::syntax::with_large_stack(|| check_parsed_here(parsed))
}

fn check_parsed_here(mut parsed: Parsed) -> Checked {
    let mut diagnostics = std::mem::take(&mut parsed.diagnostics);
    let declares_tables = parsed
        .files
        .iter()
        .any(|(_, f)| f.items.iter().any(|i| matches!(i, Item::Table(_))));
    if !declares_tables && diagnostics.is_empty() {
        // Rules written for CHS data need not repeat its schema.
        parse_text_into(
            &mut parsed,
            Path::new(CHS_SCHEMA_PATH),
            CHS_SCHEMA_SOURCE.to_string(),
        );
    }
    let items: Vec<&Item> = parsed
        .files
        .iter()
        .flat_map(|(_, f)| f.items.iter())
        .collect();

    // The header: exactly one.
    let headers: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Ruleset(r) => Some(r),
            _ => None,
        })
        .collect();
    if let Some(extra) = headers.get(1) {
        diagnostics.push(
            Diagnostic::error("E0502", extra.span, "the ruleset is named twice")
                .with_note(headers[0].span, "first named here")
                .with_help("keep one `ruleset \"...\" version \"...\"` line for all the files"),
        );
    }
    if headers.is_empty() && parsed.diagnostics.is_empty() && !parsed.files.is_empty() {
        let first = parsed.files[0].0;
        diagnostics.push(
            Diagnostic::error("E0501", Span::new(first, 0, 0), "the ruleset has no name and version")
                .with_help("start one of its files with a line like `ruleset \"医保智能审核规则\" version \"2024.1\"`"),
        );
    }

    let tables: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    let (schema, _spans) = schema::check_tables(&tables, &mut diagnostics);

    let mut params = Vec::new();
    let mut sets = Vec::new();
    let mut names: Vec<(String, Span)> = Vec::new();
    let mut declare = |name: &crate::syntax::ast::Ident, diagnostics: &mut Vec<Diagnostic>| {
        if let Some((_, first)) = names.iter().find(|(n, _)| *n == name.name) {
            diagnostics.push(
                Diagnostic::error(
                    "E0105",
                    name.span,
                    format!("`{}` is declared twice", name.name),
                )
                .with_note(*first, "first declared here")
                .with_help("give the second one another name, or remove it"),
            );
            return false;
        }
        names.push((name.name.clone(), name.span));
        true
    };
    for item in &items {
        match item {
            Item::Param(p) if declare(&p.name, &mut diagnostics) => {
                params.extend(constants::check_param(p, &mut diagnostics))
            }
            Item::Set(s) if declare(&s.name, &mut diagnostics) => {
                sets.extend(constants::check_set(s, &mut diagnostics))
            }
            _ => {}
        }
    }

    let mut rules = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut ids: HashMap<&str, Span> = HashMap::new();
    for item in &items {
        let Item::Rule(decl) = item else { continue };
        if let Some(first) = ids.get(decl.id.name.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    "E0107",
                    decl.id.span,
                    format!("rule id `{}` is used twice", decl.id.name),
                )
                .with_note(*first, "first used here")
                .with_help("flags name their rule by id: give each rule its own"),
            );
        } else {
            ids.insert(&decl.id.name, decl.id.span);
        }
        let mut scope = scope::Scope::new(
            &schema,
            &params,
            &sets,
            &parsed.sources,
            (String::new(), String::new()),
        );
        let checked = rule::check_rule(decl, &mut scope);
        used.extend(scope.used_names.drain());
        diagnostics.append(&mut scope.diagnostics);
        if let Some(rule) = checked {
            lints::impossible_comparisons(&rule, &mut diagnostics);
            depth::check_depth(&rule, &mut diagnostics);
            if rule.tests.is_empty()
                && !decl
                    .items
                    .iter()
                    .any(|i| matches!(i.kind, crate::syntax::ast::RuleItemKind::Test(_)))
            {
                diagnostics.push(
                    Diagnostic::warning("W0005", decl.id.span, format!("rule `{}` has no test", rule.id))
                        .with_help("add a `test \"...\" { given ... expect ... }` showing a case that fires and one that does not"),
                );
            }
            rules.push(rule);
        }
    }
    for param in &params {
        if !used.contains(&param.name) {
            diagnostics.push(
                Diagnostic::warning(
                    "W0001",
                    param.span,
                    format!("parameter `{}` is not used by any rule", param.name),
                )
                .with_help("remove it, or use it in a rule"),
            );
        }
    }
    for set in &sets {
        if !used.contains(&set.name) {
            diagnostics.push(
                Diagnostic::warning(
                    "W0002",
                    set.span,
                    format!("set `{}` is not used by any rule", set.name),
                )
                .with_help("remove it, or use it after `in`"),
            );
        }
    }

    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    let ruleset = (!has_errors).then(|| Ruleset {
        name: headers
            .first()
            .map(|h| h.name.value.clone())
            .unwrap_or_default(),
        version: headers
            .first()
            .map(|h| h.version.value.clone())
            .unwrap_or_default(),
        hash: ruleset_hash(&parsed.sources),
        schema,
        params,
        sets,
        rules,
    });
    Checked {
        ruleset,
        diagnostics,
        sources: parsed.sources,
    }
}

/// sha256 over each source file in the order read (sorted by path): its
/// length as 8 little-endian bytes, then its bytes. Paths are left out so
/// the same files give the same hash wherever they are checked out.
pub fn ruleset_hash(sources: &Sources) -> String {
    let mut hasher = Sha256::new();
    for (_, file) in sources.files() {
        hasher.update((file.text.len() as u64).to_le_bytes());
        hasher.update(file.text.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod shipped_schema_tests {
    use super::chs_schema;
    use crate::data::contract::{CLAIM_ITEMS, CLAIMS};

    #[test]
    fn claims_come_before_their_lines_when_validating() {
        let schema = chs_schema();
        let order: Vec<&str> = schema
            .tables_in_reference_order()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        let claims = order.iter().position(|t| *t == CLAIMS).unwrap();
        let lines = order.iter().position(|t| *t == CLAIM_ITEMS).unwrap();
        assert!(claims < lines, "{order:?}");
        assert_eq!(order.len(), 6);
    }

    #[test]
    fn every_relation_targets_a_key() {
        let schema = chs_schema();
        for relation in &schema.relations {
            let target = schema.table(&relation.to_table).unwrap();
            assert_eq!(target.key.as_ref(), Some(&relation.to_columns));
            let source = schema.table(&relation.from_table).unwrap();
            for column in &relation.from_columns {
                assert!(source.column(column).is_some(), "{column}");
            }
        }
    }
}
