//! Checking one rule: its clauses, its form, and every expression in it.

use crate::ir::{
    Action, Form, Grain, Known, Let, MessagePart, Rule, Severity, Step, TExpr, TExprKind, Type,
    Var, WindowRange,
};
use crate::syntax::Diagnostic;
use crate::syntax::ast::{self, BinaryOp, ExprKind, RuleItem, RuleItemKind, TemplatePart};
use crate::syntax::diagnostic::did_you_mean;

use super::scope::{Aggregates, Scope};
use super::tests::check_test;

/// The clauses of a rule, each at most once (lets and tests may repeat).
#[derive(Default)]
struct Clauses<'r> {
    category: Option<&'r ast::Ident>,
    severity: Option<&'r ast::Ident>,
    action: Option<&'r ast::Ident>,
    basis: Option<&'r ast::StrLit>,
    national_code: Option<&'r ast::StrLit>,
    batch_only: bool,
    for_clause: Option<(&'r ast::Ident, &'r ast::Ident)>,
    filter: Option<&'r ast::Expr>,
    form: Option<&'r RuleItem>,
    matched: Option<&'r RuleItem>,
    lets: Vec<(&'r ast::Ident, &'r ast::Expr)>,
    eligible: Option<&'r RuleItem>,
    peers: Option<&'r RuleItem>,
    flag: Option<&'r ast::Expr>,
    /// `flag once when`: where it was written.
    flag_once: Option<crate::syntax::Span>,
    /// `flag provider when`: the grain named.
    flag_grain: Option<&'r ast::Ident>,
    message: Option<&'r ast::Template>,
    amount: Option<&'r ast::Expr>,
    tests: Vec<&'r ast::TestDecl>,
}

fn clause_name(kind: &RuleItemKind) -> &'static str {
    match kind {
        RuleItemKind::Category(_) => "category",
        RuleItemKind::Severity(_) => "severity",
        RuleItemKind::Action(_) => "action",
        RuleItemKind::Basis(_) => "basis",
        RuleItemKind::NationalCode(_) => "national_code",
        RuleItemKind::BatchOnly => "batch_only",
        RuleItemKind::For { .. } => "for",
        RuleItemKind::Where(_) => "where",
        RuleItemKind::Group { .. } => "group by",
        RuleItemKind::Window { .. } => "window by",
        RuleItemKind::Sequence { .. } => "sequence by",
        RuleItemKind::Pair { .. } => "pair with",
        RuleItemKind::Match { .. } => "match",
        RuleItemKind::Per { .. } => "per",
        RuleItemKind::Let { .. } => "let",
        RuleItemKind::Eligible(_) => "eligible when",
        RuleItemKind::Peers { .. } => "peers by",
        RuleItemKind::Flag { .. } => "flag when",
        RuleItemKind::Message(_) => "message",
        RuleItemKind::Amount(_) => "amount",
        RuleItemKind::Test(_) => "test",
    }
}

/// E0303's help for a clause given twice: what can be done instead.
fn repeated_clause_help(name: &str) -> String {
    match name {
        "where" | "flag when" | "eligible when" => {
            format!("a rule has one `{name}`; join the two conditions with `and` (or `or`)")
        }
        "for" => "a rule reads one table; write another rule for the other".to_string(),
        "pair with" => {
            "a rule has one partner; write another rule for the other pairing".to_string()
        }
        "match" => "a rule matches one table; join the conditions of one match with `and`, or write another rule".to_string(),
        "group by" | "window by" | "sequence by" => {
            format!("a rule has one `{name}`; list every key in it, separated by commas")
        }
        _ => format!("a rule has one `{name}`; keep the one you mean"),
    }
}

fn collect<'r>(decl: &'r ast::RuleDecl, diagnostics: &mut Vec<Diagnostic>) -> Clauses<'r> {
    let mut c = Clauses::default();
    let mut seen: Vec<(&'static str, crate::syntax::Span)> = Vec::new();
    for item in &decl.items {
        let name = clause_name(&item.kind);
        let repeatable = matches!(item.kind, RuleItemKind::Let { .. } | RuleItemKind::Test(_));
        let form = matches!(
            item.kind,
            RuleItemKind::Group { .. }
                | RuleItemKind::Window { .. }
                | RuleItemKind::Sequence { .. }
                | RuleItemKind::Pair { .. }
                | RuleItemKind::Per { .. }
        );
        if !repeatable {
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                diagnostics.push(
                    Diagnostic::error(
                        "E0303",
                        item.span,
                        format!("this rule already has `{name}`"),
                    )
                    .with_note(*first, "first given here")
                    .with_help(repeated_clause_help(name)),
                );
                continue;
            }
            if form && let Some(first) = c.form {
                diagnostics.push(
                    Diagnostic::error(
                        "E0305",
                        item.span,
                        format!(
                            "this rule already has `{}`; a rule has one form",
                            clause_name(&first.kind)
                        ),
                    )
                    .with_note(first.span, "the rule's form")
                    .with_help("split it into two rules"),
                );
                continue;
            }
            seen.push((name, item.span));
        }
        match &item.kind {
            RuleItemKind::Category(i) => c.category = Some(i),
            RuleItemKind::Severity(i) => c.severity = Some(i),
            RuleItemKind::Action(i) => c.action = Some(i),
            RuleItemKind::Basis(s) => c.basis = Some(s),
            RuleItemKind::NationalCode(s) => c.national_code = Some(s),
            RuleItemKind::BatchOnly => c.batch_only = true,
            RuleItemKind::For { var, table } => c.for_clause = Some((var, table)),
            RuleItemKind::Where(e) => c.filter = Some(e),
            RuleItemKind::Group { .. }
            | RuleItemKind::Window { .. }
            | RuleItemKind::Sequence { .. }
            | RuleItemKind::Pair { .. }
            | RuleItemKind::Per { .. } => c.form = Some(item),
            RuleItemKind::Match { .. } => c.matched = Some(item),
            RuleItemKind::Let { name, expr } => c.lets.push((name, expr)),
            RuleItemKind::Eligible(_) => c.eligible = Some(item),
            RuleItemKind::Peers { .. } => c.peers = Some(item),
            RuleItemKind::Flag {
                grain,
                once,
                condition,
            } => {
                c.flag = Some(condition);
                c.flag_once = (*once).then_some(item.span);
                c.flag_grain = grain.as_ref();
            }
            RuleItemKind::Message(t) => c.message = Some(t),
            RuleItemKind::Amount(e) => c.amount = Some(e),
            RuleItemKind::Test(t) => c.tests.push(t),
        }
    }
    c
}

fn choose<T: Copy>(
    ident: &ast::Ident,
    options: &[T],
    name: fn(T) -> &'static str,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    if let Some(found) = options.iter().find(|o| name(**o) == ident.name) {
        return Some(*found);
    }
    let names: Vec<&str> = options.iter().map(|o| name(*o)).collect();
    let mut d = Diagnostic::error(
        "E0307",
        ident.span,
        format!("`{}` is not a {what}", ident.name),
    );
    d = d.with_help(match did_you_mean(&ident.name, names.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("a {what} is {}", join_or(&quoted))
        }
    });
    diagnostics.push(d);
    None
}

pub fn check_rule(decl: &ast::RuleDecl, scope: &mut Scope) -> Option<Rule> {
    let clauses = collect(decl, &mut scope.diagnostics);
    let mut ok = true;
    let missing = |what: &str, example: &str, code: &'static str, scope: &mut Scope| {
        scope.error(
            Diagnostic::error(
                code,
                decl.id.span,
                format!("rule `{}` has no `{what}`", decl.id.name),
            )
            .with_help(format!("add a line like `{example}`")),
        );
    };
    let absent: Vec<&str> = [
        (clauses.category.is_some(), "category"),
        (clauses.severity.is_some(), "severity"),
        (clauses.action.is_some(), "action"),
    ]
    .iter()
    .filter(|(present, _)| !present)
    .map(|(_, what)| *what)
    .collect();
    if !absent.is_empty() {
        let listed: Vec<String> = absent.iter().map(|w| format!("`{w}`")).collect();
        scope.error(
            Diagnostic::error("E0304", decl.id.span, format!("rule `{}` has no {}", decl.id.name, join_or(&listed)))
                .with_help("every rule says what it catches and how serious it is, e.g. `category duplicate_billing`, `severity high`, `action review`"),
        );
        ok = false;
    }
    let severity = clauses.severity.and_then(|s| {
        choose(
            s,
            &Severity::ALL,
            Severity::as_str,
            "severity",
            &mut scope.diagnostics,
        )
    });
    let action = clauses.action.and_then(|a| {
        choose(
            a,
            &Action::ALL,
            Action::as_str,
            "action",
            &mut scope.diagnostics,
        )
    });
    let Some((var, table)) = clauses.for_clause else {
        missing("for", "for line in claim_items", "E0301", scope);
        return None;
    };
    if scope.schema.table(&table.name).is_none() {
        scope.no_such_table(table);
        return None;
    }
    scope.row = (var.name.clone(), table.name.clone());
    let Some(flag) = clauses.flag else {
        missing(
            "flag when",
            "flag when line.unit_price > line.entry.price_cap",
            "E0302",
            scope,
        );
        return None;
    };

    let filter = clauses.filter.map(|f| {
        scope.aggregates_here =
            Aggregates::Forbidden("`where` chooses the rows before any are grouped");
        scope.condition(f, "`where`")
    });
    let (form, allow_aggregates) = check_form(&clauses, scope);
    // A pair rule's `match` is checked with its form; any other rule's
    // finds one knowledge row for each of its rows.
    let is_pair = clauses
        .form
        .is_some_and(|f| matches!(f.kind, RuleItemKind::Pair { .. }));
    let row_match = match clauses.matched {
        Some(item) if !is_pair => {
            if matches!(form, Some(Form::Population { .. })) {
                scope.error(
                    Diagnostic::error(
                        "E0310",
                        item.span,
                        "`match` finds a row for each row, and a population rule compares entities",
                    )
                    .with_help(
                        "match the rows in a group rule, or compare the entity's own columns",
                    ),
                );
                ok = false;
                None
            } else {
                let saved = scope.aggregates_here;
                scope.aggregates_here = Aggregates::Forbidden(
                    "`match` finds a row for each row, before any are grouped",
                );
                let known = super::known::check_match(item, scope);
                scope.aggregates_here = saved;
                ok &= known.is_some();
                known
            }
        }
        _ => None,
    };
    if let Some(span) = clauses.flag_once
        && !matches!(form, Some(Form::Group { .. }) | None)
    {
        scope.error(
            Diagnostic::error(
                "E0306",
                span,
                "`flag once` flags a group once, and this rule has no `group by`",
            )
            .with_help("write `flag when` to flag each row, or group the rows first, e.g. `group by line.claim.provider_id`"),
        );
        ok = false;
    }
    if clauses.eligible.is_some() || clauses.peers.is_some() {
        if !matches!(form, Some(Form::Population { .. })) {
            let item = clauses.eligible.or(clauses.peers).expect("one is present");
            scope.error(
                Diagnostic::error("E0306", item.span, format!("`{}` belongs to population rules", clause_name(&item.kind)))
                    .with_help("a population rule names its entity with `per`, e.g. `per provider = line.claim.provider`"),
            );
            ok = false;
        }
    } else if let Some(item) = clauses.form
        && matches!(item.kind, RuleItemKind::Per { .. })
    {
        scope.error(
            Diagnostic::error("E0306", item.span, "a population rule needs `peers by`")
                .with_help("say who the peers are, e.g. `peers by provider.level minimum 20`"),
        );
        ok = false;
    }
    scope.aggregates_here = allow_aggregates;

    let mut lets = Vec::new();
    for (name, expr) in &clauses.lets {
        if scope.lets.iter().any(|(n, _)| *n == name.name)
            || scope.params.iter().any(|p| p.name == name.name)
            || name.name == scope.row.0
        {
            scope.error(
                Diagnostic::error(
                    "E0105",
                    name.span,
                    format!("`{}` already names something in this rule", name.name),
                )
                .with_help("choose another name"),
            );
            ok = false;
            continue;
        }
        scope.read_aggregate = false;
        let typed = scope.expr(expr);
        scope.lets.push((name.name.clone(), typed.ty.clone()));
        scope.aggregated_lets.push(scope.read_aggregate);
        lets.push(Let {
            name: name.name.clone(),
            expr: typed,
        });
    }

    let mut form = form?;
    if let Form::Population {
        eligible,
        peers_by,
        min_peers,
        ..
    } = &mut form
    {
        if let Some(RuleItemKind::Eligible(e)) = clauses.eligible.map(|i| &i.kind) {
            *eligible = Some(scope.condition(e, "`eligible when`"));
        }
        if let Some(RuleItemKind::Peers { by, minimum }) = clauses.peers.map(|i| &i.kind) {
            let saved = scope.aggregates_here;
            scope.aggregates_here =
                Aggregates::Forbidden("peers are grouped by the entity's own columns");
            *peers_by = by.iter().map(|b| scope.expr(b)).collect();
            scope.aggregates_here = saved;
            if let Some(m) = minimum {
                let typed = scope.expr(m);
                if !matches!(typed.ty, Type::Int | Type::Unknown) {
                    scope.error(Diagnostic::error(
                        "E0201",
                        m.span,
                        format!("`minimum` is a number of peers, but this is {}", typed.ty),
                    ));
                } else if !matches!(typed.kind, TExprKind::Const(_) | TExprKind::Param(_)) {
                    scope.error(
                        Diagnostic::error("E0701", m.span, "`minimum` must be a constant")
                            .with_help(
                                "write a number, or the name of a parameter, e.g. `minimum 20`",
                            ),
                    );
                }
                *min_peers = Some(typed);
            }
        }
        scope.quantile_here = true;
    }
    let condition = scope.condition(flag, "`flag when`");
    let message = clauses
        .message
        .map(|t| {
            t.parts
                .iter()
                .map(|p| match p {
                    TemplatePart::Text(s) => MessagePart::Text(s.clone()),
                    TemplatePart::Expr(e) => MessagePart::Value {
                        expr: scope.expr(e),
                        text: scope.text(e.span),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let amount = clauses.amount.map(|e| {
        let typed = scope.expr(e);
        if !typed.ty.is_numeric() || typed.ty == Type::Float {
            scope.error(
                Diagnostic::error(
                    "E0201",
                    e.span,
                    format!("`amount` is money, but this is {}", typed.ty),
                )
                .with_help("give a decimal or whole number, e.g. `amount line.amount`"),
            );
        }
        typed
    });
    let flag_as = match clauses.flag_grain {
        None => None,
        Some(word) => flag_grain(scope, word, &table.name, &form)?,
    };
    // A group flagged once puts all its rows' money in doubt.
    let amount = match amount {
        None if clauses.flag_once.is_some() => group_amount(scope, decl.span, flag_as),
        given => given,
    };
    scope.quantile_here = false;

    let flagged_table = match &form {
        Form::Population { entity_table, .. } => entity_table.clone(),
        _ => table.name.clone(),
    };
    let grain = match scope
        .schema
        .table(&flagged_table)
        .and_then(|t| t.flags.as_ref())
    {
        Some(binding) => flag_as.unwrap_or(binding.grain),
        None => {
            scope.error(
                Diagnostic::error(
                    "E0308",
                    table.span,
                    format!(
                        "rows of `{flagged_table}` cannot be flagged: the table declares no `flags`"
                    ),
                )
                .with_help(format!(
                    "add to table `{flagged_table}` a line like `flags claim (claim_id = claim_id)`"
                )),
            );
            return None;
        }
    };
    let tests = clauses
        .tests
        .iter()
        .filter_map(|t| check_test(t, scope, &flagged_table))
        .collect();
    let mut evidence = evidence(&condition, scope);
    // Every named value of the rule is evidence too (a population rule's n, h, share).
    for (i, l) in lets.iter().enumerate() {
        if !evidence.iter().any(|(label, _)| *label == l.name) {
            let reference = TExpr::new(TExprKind::Let(i), l.expr.ty.clone(), l.expr.span);
            evidence.push((l.name.clone(), reference));
        }
    }
    // The values a row's knowledge row was looked up by.
    if let Some(known) = &row_match {
        for value in known.keys.iter().map(|(_, v)| v).chain(&known.as_of) {
            let label = scope.text(value.span);
            if !evidence.iter().any(|(l, _)| *l == label) {
                evidence.push((label, value.clone()));
            }
        }
    }
    if !ok {
        return None;
    }
    let mut rule = Rule {
        id: decl.id.name.clone(),
        name: decl.name.value.clone(),
        category: clauses.category?.name.clone(),
        severity: severity?,
        action: action?,
        basis: clauses.basis.map(|b| b.value.clone()),
        national_code: clauses.national_code.map(|n| n.value.clone()),
        batch_only: clauses.batch_only,
        source: scope.sources.location(decl.span),
        span: decl.span,
        var: var.name.clone(),
        table: table.name.clone(),
        filter,
        form,
        lets,
        aggregates: std::mem::take(&mut scope.aggregates),
        condition,
        flag_once: clauses.flag_once.is_some(),
        flag_as,
        message,
        amount,
        evidence,
        grain,
        tests,
        row_match,
    };
    if let Some(known) = &rule.row_match {
        let step = Step {
            relation: Known::relation_name(&rule.id, &known.var),
            table: known.table.clone(),
        };
        follow_row_match(&mut rule, &step);
    }
    Some(rule)
}

/// `flag provider when`: the table's `flags` declaration of that grain.
/// `Some(grain)` when it is not the table's own (its rows' flags then
/// merge, one per provider); `None` when it is; an error when the table
/// has none of that grain, or the rule flags an entity (population).
fn flag_grain(
    scope: &mut Scope,
    word: &ast::Ident,
    table: &str,
    form: &Form,
) -> Option<Option<Grain>> {
    let Some(grain) = Grain::from_name(&word.name) else {
        scope.error(
            Diagnostic::error(
                "E0308",
                word.span,
                format!("`{}` is not a grain of flags", word.name),
            )
            .with_help(
                "a flag is about a `line`, a `claim` or a `provider`: `flag provider when ...`",
            ),
        );
        return None;
    };
    if let Form::Population { .. } = form {
        scope.error(
            Diagnostic::error(
                "E0306",
                word.span,
                "a population rule flags its entity, so it takes no grain",
            )
            .with_help("write `flag when`: the flags are at the grain of the entity's table"),
        );
        return None;
    }
    let declared = scope.schema.table(table)?;
    let own = declared.flags.as_ref().map(|b| b.grain);
    if own == Some(grain) {
        return Some(None);
    }
    if declared.flags_of(grain).is_none() {
        let grains: Vec<String> = declared
            .flags
            .iter()
            .chain(&declared.more_flags)
            .map(|b| format!("`{}`", b.grain.as_str()))
            .collect();
        let mut d = Diagnostic::error(
            "E0308",
            word.span,
            format!(
                "table `{table}` has no `flags {}` declaration",
                grain.as_str()
            ),
        );
        let example = match grain {
            Grain::Line => "flags line (claim_id = claim_id, line_no = line_no)",
            Grain::Claim => "flags claim (claim_id = claim_id)",
            Grain::Provider => "flags provider (provider_id = provider_id)",
        };
        d = d.with_help(if grains.is_empty() {
            format!("add to table `{table}` a line like `{example}`")
        } else {
            format!(
                "its flags are at the grain of {}; to flag a {} too, add to table `{table}` a line like `{example}`, naming the columns that hold it",
                grains.join(", "),
                grain.as_str(),
            )
        });
        scope.error(d);
        return None;
    }
    Some(Some(grain))
}

/// `sum(line.amount)`: the flagged table's declared amount (`flags ...
/// amount_at_stake = ...`) over the rows of the group, as an aggregate of
/// the rule; `None` when the table declares none.
fn group_amount(
    scope: &mut Scope,
    span: crate::syntax::Span,
    flag_as: Option<Grain>,
) -> Option<TExpr> {
    let table = scope.schema.table(&scope.row.1)?;
    let binding = match flag_as {
        Some(grain) => table.flags_of(grain),
        None => table.flags.as_ref(),
    };
    let (relations, column) = binding?.amount.clone()?;
    let mut arg = TExpr::row_column(scope.schema, &scope.row.1, &relations, &column)?;
    arg.span = span;
    let ty = arg.ty.clone();
    let written: Vec<&str> = std::iter::once(scope.row.0.as_str())
        .chain(relations.iter().map(String::as_str))
        .chain([column.as_str()])
        .collect();
    let text = format!("sum({})", written.join("."));
    scope.aggregates.push(crate::ir::Aggregate {
        func: crate::ir::AggFunc::Sum,
        arg: Some(arg),
        text,
        per: None,
    });
    Some(TExpr::new(
        TExprKind::Aggregate(scope.aggregates.len() - 1),
        ty,
        span,
    ))
}

/// Reads the matched row of a rule that is not a pair rule through the
/// relation its lookup is built as: `x.col` becomes `line.<step>.col`.
fn follow_row_match(rule: &mut Rule, step: &Step) {
    let mut reroute = |e: &mut TExpr| {
        if let TExprKind::Column { var, path, .. } | TExprKind::Related { var, path } = &mut e.kind
            && *var == Var::Known
        {
            *var = Var::Row;
            path.insert(0, step.clone());
        }
    };
    rule.condition.walk_mut(&mut reroute);
    for l in &mut rule.lets {
        l.expr.walk_mut(&mut reroute);
    }
    for a in &mut rule.aggregates {
        if let Some(arg) = &mut a.arg {
            arg.walk_mut(&mut reroute);
        }
        if let Some(per) = &mut a.per {
            per.key.walk_mut(&mut reroute);
        }
    }
    for part in &mut rule.message {
        if let MessagePart::Value { expr, .. } = part {
            expr.walk_mut(&mut reroute);
        }
    }
    if let Some(amount) = &mut rule.amount {
        amount.walk_mut(&mut reroute);
    }
    for (_, e) in &mut rule.evidence {
        e.walk_mut(&mut reroute);
    }
}

/// Checks the rule's form clause; says whether aggregates may follow.
fn check_form(clauses: &Clauses, scope: &mut Scope) -> (Option<Form>, Aggregates) {
    let Some(item) = clauses.form else {
        return (
            Some(Form::Row),
            Aggregates::Forbidden("a row rule looks at one row at a time"),
        );
    };
    scope.aggregates_here = Aggregates::Forbidden("keys and orders are computed for each row");
    let keys = |scope: &mut Scope, exprs: &[ast::Expr]| -> Vec<TExpr> {
        exprs
            .iter()
            .map(|e| {
                let typed = scope.expr(e);
                if matches!(typed.ty, Type::List(_) | Type::Row(_) | Type::Bool) {
                    scope.error(
                        Diagnostic::error(
                            "E0201",
                            e.span,
                            format!("rows cannot be grouped by {}", typed.ty),
                        )
                        .with_help("group by codes, dates or numbers"),
                    );
                }
                typed
            })
            .collect()
    };
    let order = |scope: &mut Scope, exprs: &[ast::Expr]| -> Vec<TExpr> {
        exprs
            .iter()
            .map(|e| {
                let typed = scope.expr(e);
                if !typed.ty.is_orderable() {
                    scope.error(Diagnostic::error(
                        "E0201",
                        e.span,
                        format!("rows cannot be ordered by {}", typed.ty),
                    ));
                }
                typed
            })
            .collect()
    };
    let form = match &item.kind {
        RuleItemKind::Group { keys: k } => {
            scope.runs_here = true;
            Form::Group {
                keys: keys(scope, k),
            }
        }
        RuleItemKind::Window { keys: k, range } => {
            scope.runs_here = true;
            let keys = keys(scope, k);
            let over_date = |scope: &mut Scope, over: &ast::Expr| {
                let over_typed = scope.expr(over);
                if !matches!(over_typed.ty, Type::Date | Type::Unknown) {
                    scope.error(Diagnostic::error(
                        "E0201",
                        over.span,
                        format!("a window runs `over` a date, but this is {}", over_typed.ty),
                    ));
                }
                over_typed
            };
            // `last N months` and `last N rows` count whole months or rows.
            let count = |scope: &mut Scope, length: &ast::Expr, unit: &str| {
                let typed = scope.expr(length);
                if !matches!(typed.ty, Type::Int | Type::Unknown) {
                    scope.error(
                        Diagnostic::error(
                            "E0201",
                            length.span,
                            format!("`last` takes a number of {unit}, but this is {}", typed.ty),
                        )
                        .with_help(format!("write a whole number: `last 3 {unit}`")),
                    );
                }
                typed
            };
            let range = match range {
                ast::WindowRange::LastMonths { over, length } => WindowRange::LastMonths {
                    over: over_date(scope, over),
                    months: count(scope, length, "months"),
                },
                ast::WindowRange::LastRows { order: o, length } => WindowRange::LastRows {
                    order: order(scope, o),
                    rows: count(scope, length, "rows"),
                },
                ast::WindowRange::Last { over, length } => {
                    let over_typed = over_date(scope, over);
                    let days = scope.expr(length);
                    if !matches!(days.ty, Type::Days | Type::Unknown) {
                        scope.error(
                            Diagnostic::error(
                                "E0201",
                                length.span,
                                format!("`last` takes a number of days, but this is {}", days.ty),
                            )
                            .with_help("write it with its unit: `last 30 days`"),
                        );
                    }
                    WindowRange::Last {
                        over: over_typed,
                        days,
                    }
                }
                ast::WindowRange::Running { order: o } => WindowRange::Running {
                    order: order(scope, o),
                },
            };
            Form::Window { keys, range }
        }
        RuleItemKind::Sequence { keys: k, order: o } => {
            let form = Form::Sequence {
                keys: keys(scope, k),
                order: order(scope, o),
            };
            scope.prev = true;
            return (
                Some(form),
                Aggregates::Forbidden("a sequence rule compares a row with the one before it"),
            );
        }
        RuleItemKind::Pair {
            var,
            table,
            filter,
            on,
        } => {
            if scope.schema.table(&table.name).is_none() {
                scope.no_such_table(table);
                return (None, Aggregates::Allowed);
            }
            if var.name == scope.row.0 {
                scope.error(
                    Diagnostic::error(
                        "E0105",
                        var.span,
                        format!("`{}` already names the rule's row", var.name),
                    )
                    .with_help("call the other row something else, e.g. `other`"),
                );
                return (None, Aggregates::Allowed);
            }
            scope.partner = Some((var.name.clone(), table.name.clone()));
            let filter = filter.as_ref().map(|f| {
                let typed = scope.condition(f, "the `where` of `pair with`");
                if typed.uses_var(Var::Row) {
                    scope.error(
                        Diagnostic::error(
                            "E0306",
                            f.span,
                            format!(
                                "this `where` chooses `{}` rows, so it cannot use `{}`",
                                var.name, scope.row.0
                            ),
                        )
                        .with_help("compare the two rows in `flag when`"),
                    );
                }
                typed
            });
            let keys = pair_keys(on, scope);
            let known = match clauses.matched {
                Some(item) => match super::known::check_match(item, scope) {
                    Some(known) => Some(known),
                    None => return (None, Aggregates::Allowed),
                },
                None => None,
            };
            return (
                keys.map(|keys| Form::Pair {
                    var: var.name.clone(),
                    table: table.name.clone(),
                    filter,
                    keys,
                    known,
                }),
                Aggregates::Forbidden("a pair rule compares two rows"),
            );
        }
        RuleItemKind::Per { var, expr } => {
            let entity = scope.expr(expr);
            let Type::Row(entity_table) = entity.ty.clone() else {
                if entity.ty != Type::Unknown {
                    scope.error(
                        Diagnostic::error("E0201", expr.span, format!("`per` names a related row, but this is {}", entity.ty))
                            .with_help("follow a relation to the entity, e.g. `per provider = line.claim.provider`"),
                    );
                }
                return (None, Aggregates::Allowed);
            };
            scope.entity = Some((var.name.clone(), entity_table.clone()));
            scope.row_only_in_aggregates = true;
            Form::Population {
                var: var.name.clone(),
                entity,
                entity_table,
                eligible: None,
                peers_by: Vec::new(),
                min_peers: None,
            }
        }
        _ => unreachable!("only form clauses are stored as the form"),
    };
    (Some(form), Aggregates::Allowed)
}

/// The operands of `a and b and ...` (an `on` of equalities), in order.
pub(super) fn conjuncts<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Expr>) {
    match &e.kind {
        ExprKind::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        _ => out.push(e),
    }
}

/// `on a.x = b.y and a.z = b.w`: equalities between the two rows.
fn pair_keys(on: &ast::Expr, scope: &mut Scope) -> Option<Vec<(TExpr, TExpr)>> {
    let mut parts = Vec::new();
    conjuncts(on, &mut parts);
    let mut keys = Vec::new();
    for part in parts {
        let bad = |scope: &mut Scope| {
            let partner = scope
                .partner
                .as_ref()
                .map_or("other".to_string(), |p| p.0.clone());
            scope.error(
                Diagnostic::error("E0309", part.span, "`on` pairs rows by equal values")
                    .with_help(format!("write equalities joined by `and`, e.g. `on {partner}.patient_id = {}.patient_id`; put other comparisons in `flag when`", scope.row.0)),
            );
        };
        let ExprKind::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } = &part.kind
        else {
            bad(scope);
            return None;
        };
        let l = scope.expr(left);
        let r = scope.expr(right);
        if !l.ty.comparable_with(&r.ty) {
            scope.error(Diagnostic::error(
                "E0201",
                part.span,
                format!("cannot compare {} with {}", l.ty, r.ty),
            ));
            return None;
        }
        let side = |e: &TExpr| (e.uses_var(Var::Row), e.uses_var(Var::Partner));
        match (side(&l), side(&r)) {
            ((true, false), (false, true)) => keys.push((l, r)),
            ((false, true), (true, false)) => keys.push((r, l)),
            _ => {
                bad(scope);
                return None;
            }
        }
    }
    Some(keys)
}

/// The values a condition looks at, labelled as written, each once.
fn evidence(condition: &TExpr, scope: &Scope) -> Vec<(String, TExpr)> {
    let mut found: Vec<(String, TExpr)> = Vec::new();
    fn walk(e: &TExpr, scope: &Scope, found: &mut Vec<(String, TExpr)>) {
        let leaf = matches!(
            e.kind,
            TExprKind::Column { .. }
                | TExprKind::Let(_)
                | TExprKind::Aggregate(_)
                | TExprKind::Param(_)
                | TExprKind::MapParam { .. }
                | TExprKind::Quantile { .. }
                | TExprKind::Lag { .. }
                | TExprKind::Rank
        );
        if leaf {
            let label = scope.text(e.span);
            if !found.iter().any(|(l, _)| *l == label) {
                found.push((label, e.clone()));
            }
            return;
        }
        if matches!(e.kind, TExprKind::Quantifier { .. }) {
            // Inside `any`/`all` values change per element; show the list instead.
            if let TExprKind::Quantifier { list, .. } = &e.kind {
                walk(list, scope, found);
            }
            return;
        }
        for child in e.children() {
            walk(child, scope, found);
        }
    }
    walk(condition, scope, &mut found);
    found
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
