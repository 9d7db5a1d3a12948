//! The nesting limit through names. The parser bounds each expression as
//! written; a `let` used inside another expression nests its own depth
//! there (later stages read through it), so a chain of `let`s, each using
//! the one before, can nest far deeper than any one expression. This pass
//! measures every expression of a rule with its `let`s and aggregates read
//! in place, and refuses those past the same limit (E0005).

use crate::ir::{Rule, TExpr, TExprKind};
use crate::syntax::Diagnostic;
use crate::syntax::parse::{MAX_DEPTH, too_deep_here};

/// Reports each expression of `rule` nesting deeper than `MAX_DEPTH` with
/// its names read in place; once per rule, at the first such expression.
pub fn check_depth(rule: &Rule, diagnostics: &mut Vec<Diagnostic>) {
    let mut depths = Depths {
        rule,
        lets: Vec::with_capacity(rule.lets.len()),
        aggregates: vec![None; rule.aggregates.len()],
    };
    // Lets in order: each reads only the lets before it, so every depth a
    // let needs is known when it is measured (no recursion through names).
    for l in &rule.lets {
        let depth = depths.of(&l.expr);
        depths.lets.push(depth);
        if depth > MAX_DEPTH {
            diagnostics.push(too_deep_here(l.expr.span));
            return;
        }
    }
    for expr in rule.exprs() {
        if depths.of(expr) > MAX_DEPTH {
            diagnostics.push(too_deep_here(expr.span));
            return;
        }
    }
}

struct Depths<'r> {
    rule: &'r Rule,
    lets: Vec<usize>,
    aggregates: Vec<Option<usize>>,
}

impl Depths<'_> {
    /// The depth of `expr` with names read in place. The expression itself
    /// is at most `MAX_DEPTH` deep (the parser saw to it), so this
    /// recursion is bounded.
    fn of(&mut self, expr: &TExpr) -> usize {
        let own = match &expr.kind {
            TExprKind::Let(i) => self.lets.get(*i).copied().unwrap_or(1),
            TExprKind::Quantile { stat, .. } => self.lets.get(*stat).copied().unwrap_or(1),
            TExprKind::Aggregate(i) => self.aggregate(*i),
            _ => 0,
        };
        let children = expr
            .children()
            .into_iter()
            .map(|child| self.of(child))
            .max()
            .unwrap_or(0);
        own.max(children) + 1
    }

    fn aggregate(&mut self, i: usize) -> usize {
        if let Some(Some(known)) = self.aggregates.get(i) {
            return *known;
        }
        let arg = self.rule.aggregates.get(i).and_then(|a| a.arg.as_ref());
        let depth = arg.map_or(0, |arg| self.of(arg));
        if let Some(slot) = self.aggregates.get_mut(i) {
            *slot = Some(depth);
        }
        depth
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::check::check_text;

    fn rule_with(lets: &str, condition: &str) -> String {
        format!(
            "ruleset \"r\" version \"1\"\ntable t {{\n  id text\n  n int32\n  key id\n  flags claim (claim_id = id)\n}}\nrule R \"r\" {{\n  category c\n  severity high\n  action warn\n  for row in t\n{lets}  flag when {condition}\n}}\n"
        )
    }

    fn codes(text: &str) -> Vec<&'static str> {
        check_text(Path::new("t.rules"), text)
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect()
    }

    /// Each `let` adds one level to the one before it.
    fn chain(n: usize) -> String {
        let mut lets = "  let v0 = row.n\n".to_string();
        for i in 1..n {
            lets.push_str(&format!("  let v{i} = v{} + 1\n", i - 1));
        }
        rule_with(&lets, &format!("v{} > 0", n - 1))
    }

    #[test]
    fn a_chain_of_lets_within_the_limit_checks() {
        assert!(!codes(&chain(50)).contains(&"E0005"));
    }

    #[test]
    fn a_chain_of_lets_past_the_limit_is_refused() {
        let found = codes(&chain(500));
        assert!(found.contains(&"E0005"), "{found:?}");
    }
}
