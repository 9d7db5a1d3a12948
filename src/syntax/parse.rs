//! From rule text to the syntax tree. pest's pairs stay inside this file.

use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::ast::*;
use super::diagnostic::Diagnostic;
use super::span::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "grammar/claimaudit.pest"]
struct RulesParser;

/// Parses one rules file. A file with a syntax error gives one diagnostic:
/// the first place the text stops making sense.
pub fn parse_file(file: FileId, text: &str) -> Result<File, Diagnostic> {
    if let Some(problem) = too_deep(file, text) {
        return Err(problem);
    }
    let mut pairs =
        RulesParser::parse(Rule::file, text).map_err(|e| syntax_error(file, text, e))?;
    let builder = Builder { file, text };
    let root = pairs.next().expect("the file rule always matches once");
    builder.file(root)
}

/// How deeply an expression may nest: each bracket, each `not`, each
/// operator of a chain (`a and b and c`, `x + y - z`) and each reference
/// to a `let` inside another counts one level. Deeper rules are refused
/// with E0005, so every later stage (checker, planner, evaluator) walks
/// trees of bounded depth and cannot run out of stack.
pub const MAX_DEPTH: usize = 200;

/// The diagnostic for an expression deeper than [`MAX_DEPTH`].
pub fn too_deep_here(span: Span) -> Diagnostic {
    Diagnostic::error("E0005", span, "this expression nests too deeply")
        .with_label(format!("more than {MAX_DEPTH} levels deep here"))
        .with_help(format!(
            "an expression nests at most {MAX_DEPTH} levels, its `let`s read in place; write many codes as `in` with a `set`, and drop doubled `not`s"
        ))
}

/// The first place the text nests deeper than [`MAX_DEPTH`] in the ways
/// the grammar itself recurses (brackets, runs of `not`, `list<list<...`),
/// found by reading the text once before pest does: pest's recursion
/// stays bounded whatever the file holds.
fn too_deep(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut brackets = 0usize;
    // Levels opened by the current run of `not`s or `list <`s.
    let mut run = 0usize;
    let mut chars = text.char_indices().peekable();
    let word_at = |i: usize, word: &str| {
        text[i..].starts_with(word)
            && !text[i + word.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            && !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                run = 0;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '#' => while chars.next_if(|(_, c)| *c != '\n').is_some() {},
            '(' | '[' => {
                brackets += 1;
                run = 0;
            }
            ')' | ']' => {
                brackets = brackets.saturating_sub(1);
                run = 0;
            }
            '<' => {}
            _ if word_at(i, "not") || word_at(i, "list") => {
                run += 1;
                // Skip the rest of the word.
                let len = if text[i..].starts_with("not") { 3 } else { 4 };
                while chars.next_if(|(j, _)| *j < i + len).is_some() {}
            }
            c if c.is_whitespace() => {}
            _ => run = 0,
        }
        if brackets + run > MAX_DEPTH {
            return Some(too_deep_here(Span::new(file, i, i + c.len_utf8())));
        }
    }
    None
}

/// Parses a lone expression (used for `{...}` in message templates).
pub fn parse_expr(file: FileId, text: &str, offset: usize) -> Result<Expr, Diagnostic> {
    if let Some(problem) = too_deep(file, text) {
        return Err(shift(problem, offset));
    }
    let wrapped = RulesParser::parse(Rule::expr, text)
        .map_err(|e| shift(syntax_error(file, text, e), offset))?;
    let pair = wrapped.peek().expect("expr matched");
    if pair.as_span().end() != text.len() {
        let at = pair.as_span().end();
        return Err(Diagnostic::error(
            "E0001",
            Span::new(file, offset + at, offset + text.len()),
            "unexpected text after the expression",
        )
        .with_help("a placeholder holds one expression, like `{line.item_code}`"));
    }
    let builder = Builder { file, text };
    let expr = builder.expr(pair)?;
    Ok(shift_expr(expr, offset))
}

fn shift(mut d: Diagnostic, offset: usize) -> Diagnostic {
    d.span.start += offset;
    d.span.end += offset;
    d
}

/// Moves every span of an expression parsed out of a larger text.
fn shift_expr(mut e: Expr, offset: usize) -> Expr {
    fn shift_span(s: &mut Span, offset: usize) {
        s.start += offset;
        s.end += offset;
    }
    fn walk(e: &mut Expr, offset: usize) {
        shift_span(&mut e.span, offset);
        match &mut e.kind {
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Days(_) => {}
            ExprKind::Path(parts) => parts
                .iter_mut()
                .for_each(|p| shift_span(&mut p.span, offset)),
            ExprKind::Call {
                name, args, per, ..
            } => {
                shift_span(&mut name.span, offset);
                args.iter_mut().for_each(|a| walk(a, offset));
                if let Some(per) = per {
                    walk(per, offset);
                }
            }
            ExprKind::Quantifier {
                var, list, body, ..
            } => {
                shift_span(&mut var.span, offset);
                walk(list, offset);
                walk(body, offset);
            }
            ExprKind::Index { base, index } => {
                walk(base, offset);
                walk(index, offset);
            }
            ExprKind::Unary { expr, .. } | ExprKind::IsNull { expr, .. } => walk(expr, offset),
            ExprKind::Binary { left, right, .. } => {
                walk(left, offset);
                walk(right, offset);
            }
            ExprKind::Between {
                expr, low, high, ..
            } => {
                walk(expr, offset);
                walk(low, offset);
                walk(high, offset);
            }
            ExprKind::In { expr, set, .. } => {
                walk(expr, offset);
                match set {
                    InSet::List(items) => items.iter_mut().for_each(|i| walk(i, offset)),
                    InSet::Expr(e) => walk(e, offset),
                }
            }
        }
    }
    walk(&mut e, offset);
    e
}

/// What a grammar rule is called in an error message.
fn describe(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the file",
        Rule::ident => "a name",
        Rule::rule_id => "a rule id like `DUP-01`",
        Rule::string | Rule::str_inner => "a string in double quotes",
        Rule::integer => "a whole number",
        Rule::number => "a number",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::predicate
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::postfix
        | Rule::paren
        | Rule::call
        | Rule::path
        | Rule::days_literal
        | Rule::boolean
        | Rule::quantifier
        | Rule::negation => "an expression",
        // One text for all: an operator and the comparisons it starts
        // were listed as two.
        Rule::compare_op
        | Rule::compare_tail
        | Rule::between_tail
        | Rule::in_tail
        | Rule::null_tail
        | Rule::starts_tail
        | Rule::matches_tail => {
            "a comparison (`=`, `<>`, `<`, `>`, `between`, `in`, `is null`, `starts with`, `matches`)"
        }
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_ruleset
        | Rule::kw_table
        | Rule::kw_param
        | Rule::kw_set
        | Rule::kw_rule
        | Rule::ruleset_decl
        | Rule::table_decl
        | Rule::param_decl
        | Rule::set_decl
        | Rule::rule_decl => "`ruleset`, `table`, `param`, `set` or `rule`",
        Rule::type_expr
        | Rule::simple_type
        | Rule::decimal_type
        | Rule::enum_type
        | Rule::list_type => {
            "a type (`text`, `int32`, `int64`, `bool`, `date`, `timestamp`, `decimal(p, s)`, `enum(...)`, `list<...>`)"
        }
        Rule::column_decl
        | Rule::key_decl
        | Rule::check_decl
        | Rule::relation_decl
        | Rule::flags_decl
        | Rule::in_force_decl => "a column, `key`, `check`, `relation`, `flags` or `in force`",
        Rule::category
        | Rule::severity
        | Rule::action
        | Rule::basis
        | Rule::national_code
        | Rule::batch_only
        | Rule::for_clause
        | Rule::where_clause
        | Rule::group_clause
        | Rule::window_clause
        | Rule::sequence_clause
        | Rule::pair_clause
        | Rule::match_clause
        | Rule::per_clause
        | Rule::let_clause
        | Rule::eligible_clause
        | Rule::peers_clause
        | Rule::flag_clause
        | Rule::message_clause
        | Rule::amount_clause
        | Rule::test_decl => "a rule clause (`for`, `where`, `flag when`, `message`, ...)",
        Rule::kw_when => "`when`",
        Rule::kw_by => "`by`",
        Rule::kw_in => "`in`",
        Rule::kw_version => "`version`",
        Rule::kw_days => "`days`",
        Rule::kw_on => "`on`",
        Rule::kw_with => "`with`",
        Rule::kw_null => "`null`",
        Rule::window_last | Rule::window_months | Rule::window_rows | Rule::window_running => {
            "`over ... last ...` or `order by ... running` or `order by ... last N rows`"
        }
        Rule::kw_order => "`order by`",
        Rule::kw_last => "`last`",
        Rule::given => "`given TABLE` and its rows",
        Rule::expect => "`expect flags` or `expect no flags`",
        Rule::table_row | Rule::data_table => "a table row like `| a | b |`",
        Rule::value_list => "a list like `(\"a\", \"b\")`",
        Rule::map_literal => "a map like `{ \"employee\": 1, \"resident\": 2 }`",
        Rule::index => "`[`",
        _ => return None,
    })
}

fn syntax_error(file: FileId, text: &str, error: pest::error::Error<Rule>) -> Diagnostic {
    let (start, end) = match error.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    // Underline the word that could not be read, so the reader sees it.
    let word_end = text[start..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || "(){}[],:|\"".contains(*c))
        .map_or(text.len(), |(i, _)| start + i)
        .max(end);
    let end = if word_end == start {
        (start + text[start..].chars().next().map_or(0, char::len_utf8)).min(text.len())
    } else {
        word_end
    };
    let found = &text[start..end];
    let found_text = if found.is_empty() {
        "the end of the file".to_string()
    } else {
        format!("`{found}`")
    };
    let mut expected: Vec<&str> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(describe).collect()
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort_unstable();
    expected.dedup();
    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!("expected {}, found {found_text}", join_or(&expected))
    };
    let mut diagnostic = Diagnostic::error("E0001", Span::new(file, start, end), message);
    if let Some(help) = syntax_help(found) {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Help for mistakes people coming from other languages make.
fn syntax_help(found: &str) -> Option<&'static str> {
    Some(match found {
        "&&" => "write `and`",
        "||" => "write `or`",
        "!" => "write `not`",
        "'" => "strings use double quotes: \"...\"",
        _ if found.starts_with('\'') => "strings use double quotes: \"...\"",
        // A Chinese input method's quotes look alike but are other characters.
        _ if found.starts_with(['“', '”', '‘', '’', '「', '」']) => {
            "strings use the straight double quote \" (switch the input method to English punctuation), not “ ” or ‘ ’"
        }
        "==" => "write `=` to compare",
        "!=" => "write `<>` for \"not equal\"",
        _ => return None,
    })
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
}

type Built<T> = Result<T, Diagnostic>;

fn is_keyword(rule: Rule) -> bool {
    format!("{rule:?}").starts_with("kw_")
}

/// The inner pairs that carry meaning (keywords dropped).
fn inner(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

impl<'t> Builder<'t> {
    /// The pair's span without the white space pest lets a rule end with.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let trimmed = self.text[s.start()..s.end()].trim_end().len();
        Span::new(self.file, s.start(), s.start() + trimmed)
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Built<StrLit> {
        let span = self.span(&pair);
        let raw = pair.as_str();
        let value = unescape(&raw[1..raw.len() - 1]);
        Ok(StrLit { value, span })
    }

    fn file(&self, root: Pair<'_, Rule>) -> Built<File> {
        let mut items = Vec::new();
        for pair in root.into_inner() {
            let item = match pair.as_rule() {
                Rule::ruleset_decl => Item::Ruleset(self.ruleset(pair)?),
                Rule::table_decl => Item::Table(self.table(pair)?),
                Rule::param_decl => Item::Param(self.param(pair)?),
                Rule::set_decl => Item::Set(self.set(pair)?),
                Rule::rule_decl => Item::Rule(self.rule(pair)?),
                Rule::EOI => continue,
                other => unreachable!("unexpected {other:?} in a file"),
            };
            items.push(item);
        }
        Ok(File { items })
    }

    fn ruleset(&self, pair: Pair<'_, Rule>) -> Built<RulesetDecl> {
        let span = self.span(&pair);
        let mut parts = inner(pair);
        let name = self.string(parts.next().unwrap())?;
        let version = self.string(parts.next().unwrap())?;
        Ok(RulesetDecl {
            name,
            version,
            span,
        })
    }

    fn ident_list(&self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        inner(pair).map(|p| self.ident(p)).collect()
    }

    fn table(&self, pair: Pair<'_, Rule>) -> Built<TableDecl> {
        let span = self.span(&pair);
        let mut parts = inner(pair).peekable();
        let name = self.ident(parts.next().unwrap());
        let doc = match parts.peek() {
            Some(p) if p.as_rule() == Rule::string => Some(self.string(parts.next().unwrap())?),
            _ => None,
        };
        let mut items = Vec::new();
        for part in parts {
            let span = self.span(&part);
            items.push(match part.as_rule() {
                Rule::column_decl => TableItem::Column(self.column(part)?),
                Rule::key_decl => TableItem::Key(KeyDecl {
                    columns: self.ident_list(inner(part).next().unwrap()),
                    span,
                }),
                Rule::check_decl => TableItem::Check(CheckDecl {
                    expr: self.expr(inner(part).next().unwrap())?,
                    span,
                }),
                Rule::relation_decl => {
                    let mut p = inner(part);
                    let name = self.ident(p.next().unwrap());
                    let columns = self.ident_list(p.next().unwrap());
                    let target = self.ident(p.next().unwrap());
                    let mut target_columns = Vec::new();
                    let mut required = false;
                    for rest in p {
                        match rest.as_rule() {
                            Rule::ident => target_columns.push(self.ident(rest)),
                            Rule::required => required = true,
                            other => unreachable!("{other:?} in a relation"),
                        }
                    }
                    TableItem::Relation(RelationDecl {
                        name,
                        columns,
                        target,
                        target_columns,
                        required,
                        span,
                    })
                }
                Rule::flags_decl => {
                    let mut p = inner(part);
                    let grain = self.ident(p.next().unwrap());
                    let bindings = p
                        .map(|binding| {
                            let mut b = inner(binding);
                            let field = self.ident(b.next().unwrap());
                            let path = inner(b.next().unwrap()).map(|i| self.ident(i)).collect();
                            (field, path)
                        })
                        .collect();
                    TableItem::Flags(FlagsDecl {
                        grain,
                        bindings,
                        span,
                    })
                }
                Rule::in_force_decl => {
                    let mut p = inner(part);
                    TableItem::InForce(InForceDecl {
                        from: self.ident(p.next().unwrap()),
                        to: self.ident(p.next().unwrap()),
                        span,
                    })
                }
                other => unreachable!("{other:?} in a table"),
            });
        }
        Ok(TableDecl {
            name,
            doc,
            items,
            span,
        })
    }

    fn column(&self, pair: Pair<'_, Rule>) -> Built<ColumnDecl> {
        let span = self.span(&pair);
        let mut parts = inner(pair);
        let name = self.ident(parts.next().unwrap());
        let ty = self.type_expr(parts.next().unwrap())?;
        let mut nullable = false;
        let mut doc = None;
        for rest in parts {
            match rest.as_rule() {
                Rule::nullable => nullable = true,
                Rule::string => doc = Some(self.string(rest)?),
                other => unreachable!("{other:?} in a column"),
            }
        }
        Ok(ColumnDecl {
            name,
            ty,
            nullable,
            doc,
            span,
        })
    }

    fn type_expr(&self, pair: Pair<'_, Rule>) -> Built<TypeExpr> {
        let span = self.span(&pair);
        let part = inner(pair).next().unwrap();
        let kind = match part.as_rule() {
            Rule::simple_type => TypeExprKind::Simple(
                SimpleType::from_keyword(part.as_str()).expect("grammar lists the simple types"),
            ),
            Rule::decimal_type => {
                let mut numbers = inner(part);
                let precision = self.small_number(numbers.next().unwrap())?;
                let scale = self.small_number(numbers.next().unwrap())?;
                TypeExprKind::Decimal { precision, scale }
            }
            Rule::enum_type => TypeExprKind::Enum(
                inner(part)
                    .map(|p| self.string(p))
                    .collect::<Built<Vec<_>>>()?,
            ),
            Rule::list_type => {
                TypeExprKind::List(Box::new(self.type_expr(inner(part).next().unwrap())?))
            }
            other => unreachable!("{other:?} as a type"),
        };
        Ok(TypeExpr { kind, span })
    }

    fn small_number(&self, pair: Pair<'_, Rule>) -> Built<u32> {
        pair.as_str()
            .parse()
            .map_err(|_| Diagnostic::error("E0002", self.span(&pair), "this number is too large"))
    }

    fn param_value(&self, pair: Pair<'_, Rule>) -> Built<ParamValue> {
        Ok(match pair.as_rule() {
            Rule::map_literal => {
                let span = self.span(&pair);
                let entries = inner(pair)
                    .map(|entry| {
                        let mut e = inner(entry);
                        let key = self.string(e.next().unwrap())?;
                        let value = self.expr(e.next().unwrap())?;
                        Ok((key, value))
                    })
                    .collect::<Built<Vec<_>>>()?;
                ParamValue::Map(entries, span)
            }
            _ => ParamValue::Expr(self.expr(pair)?),
        })
    }

    fn param(&self, pair: Pair<'_, Rule>) -> Built<ParamDecl> {
        let span = self.span(&pair);
        let mut parts = inner(pair);
        let name = self.ident(parts.next().unwrap());
        let value = self.param_value(parts.next().unwrap())?;
        let doc = parts.next().map(|p| self.string(p)).transpose()?;
        Ok(ParamDecl {
            name,
            value,
            doc,
            span,
        })
    }

    fn set(&self, pair: Pair<'_, Rule>) -> Built<SetDecl> {
        let span = self.span(&pair);
        let mut parts = inner(pair);
        let name = self.ident(parts.next().unwrap());
        let values = self.value_list(parts.next().unwrap())?;
        let doc = parts.next().map(|p| self.string(p)).transpose()?;
        Ok(SetDecl {
            name,
            values,
            doc,
            span,
        })
    }

    fn value_list(&self, pair: Pair<'_, Rule>) -> Built<Vec<Expr>> {
        inner(pair).map(|p| self.expr(p)).collect()
    }

    fn expr_list(&self, pair: Pair<'_, Rule>) -> Built<Vec<Expr>> {
        inner(pair).map(|p| self.expr(p)).collect()
    }

    fn rule(&self, pair: Pair<'_, Rule>) -> Built<RuleDecl> {
        let span = self.span(&pair);
        let mut parts = inner(pair);
        let id = self.ident(parts.next().unwrap());
        let name = self.string(parts.next().unwrap())?;
        let items = parts
            .map(|p| self.rule_item(p))
            .collect::<Built<Vec<_>>>()?;
        Ok(RuleDecl {
            id,
            name,
            items,
            span,
        })
    }

    fn rule_item(&self, pair: Pair<'_, Rule>) -> Built<RuleItem> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut parts = inner(pair);
        let kind = match rule {
            Rule::category => RuleItemKind::Category(self.ident(parts.next().unwrap())),
            Rule::severity => RuleItemKind::Severity(self.ident(parts.next().unwrap())),
            Rule::action => RuleItemKind::Action(self.ident(parts.next().unwrap())),
            Rule::basis => RuleItemKind::Basis(self.string(parts.next().unwrap())?),
            Rule::national_code => RuleItemKind::NationalCode(self.string(parts.next().unwrap())?),
            Rule::batch_only => RuleItemKind::BatchOnly,
            Rule::for_clause => RuleItemKind::For {
                var: self.ident(parts.next().unwrap()),
                table: self.ident(parts.next().unwrap()),
            },
            Rule::where_clause => RuleItemKind::Where(self.expr(parts.next().unwrap())?),
            Rule::group_clause => RuleItemKind::Group {
                keys: self.expr_list(parts.next().unwrap())?,
            },
            Rule::window_clause => {
                let keys = self.expr_list(parts.next().unwrap())?;
                let range_pair = parts.next().unwrap();
                let range = match range_pair.as_rule() {
                    Rule::window_last => {
                        let mut r = inner(range_pair);
                        WindowRange::Last {
                            over: self.expr(r.next().unwrap())?,
                            length: self.expr(r.next().unwrap())?,
                        }
                    }
                    Rule::window_months => {
                        let mut r = inner(range_pair);
                        WindowRange::LastMonths {
                            over: self.expr(r.next().unwrap())?,
                            length: self.expr(r.next().unwrap())?,
                        }
                    }
                    Rule::window_rows => {
                        let mut r = inner(range_pair);
                        WindowRange::LastRows {
                            order: self.expr_list(r.next().unwrap())?,
                            length: self.expr(r.next().unwrap())?,
                        }
                    }
                    _ => WindowRange::Running {
                        order: self.expr_list(inner(range_pair).next().unwrap())?,
                    },
                };
                RuleItemKind::Window { keys, range }
            }
            Rule::sequence_clause => RuleItemKind::Sequence {
                keys: self.expr_list(parts.next().unwrap())?,
                order: self.expr_list(parts.next().unwrap())?,
            },
            Rule::pair_clause => {
                let var = self.ident(parts.next().unwrap());
                let table = self.ident(parts.next().unwrap());
                let rest: Vec<_> = parts.collect();
                let (filter, on) = match rest.len() {
                    2 => (
                        Some(self.expr(rest[0].clone())?),
                        self.expr(rest[1].clone())?,
                    ),
                    _ => (None, self.expr(rest[0].clone())?),
                };
                RuleItemKind::Pair {
                    var,
                    table,
                    filter,
                    on,
                }
            }
            Rule::match_clause => {
                let var = self.ident(parts.next().unwrap());
                let table = self.ident(parts.next().unwrap());
                let on = self.expr(parts.next().unwrap())?;
                let mut either_order = false;
                let mut as_of = None;
                for rest in parts {
                    match rest.as_rule() {
                        Rule::either_order => either_order = true,
                        Rule::as_of => as_of = Some(self.expr(inner(rest).next().unwrap())?),
                        other => unreachable!("{other:?} in `match`"),
                    }
                }
                RuleItemKind::Match {
                    var,
                    table,
                    on,
                    either_order,
                    as_of,
                }
            }
            Rule::per_clause => RuleItemKind::Per {
                var: self.ident(parts.next().unwrap()),
                expr: self.expr(parts.next().unwrap())?,
            },
            Rule::let_clause => RuleItemKind::Let {
                name: self.ident(parts.next().unwrap()),
                expr: self.expr(parts.next().unwrap())?,
            },
            Rule::eligible_clause => RuleItemKind::Eligible(self.expr(parts.next().unwrap())?),
            Rule::peers_clause => RuleItemKind::Peers {
                by: self.expr_list(parts.next().unwrap())?,
                minimum: parts.next().map(|p| self.expr(p)).transpose()?,
            },
            Rule::flag_clause => {
                let mut next = parts.next().unwrap();
                let grain = if next.as_rule() == Rule::flag_grain {
                    let ident = self.ident(next.into_inner().next().unwrap());
                    next = parts.next().unwrap();
                    Some(ident)
                } else {
                    None
                };
                let once = next.as_rule() == Rule::flag_once;
                if once {
                    next = parts.next().unwrap();
                }
                RuleItemKind::Flag {
                    grain,
                    once,
                    condition: self.expr(next)?,
                }
            }
            Rule::message_clause => RuleItemKind::Message(self.template(parts.next().unwrap())?),
            Rule::amount_clause => RuleItemKind::Amount(self.expr(parts.next().unwrap())?),
            Rule::test_decl => {
                let mut p = parts.peekable();
                let name = self.string(p.next().unwrap())?;
                let mut with = Vec::new();
                let mut given = Vec::new();
                let mut expect = None;
                for part in p {
                    match part.as_rule() {
                        Rule::test_with => {
                            for set in inner(part) {
                                let mut s = inner(set);
                                let name = self.ident(s.next().unwrap());
                                let value = self.param_value(s.next().unwrap())?;
                                with.push((name, value));
                            }
                        }
                        Rule::given => {
                            let span = self.span(&part);
                            let mut g = inner(part);
                            let table = self.ident(g.next().unwrap());
                            let data = self.data_table(g.next().unwrap())?;
                            given.push(Given { table, data, span });
                        }
                        Rule::expect => {
                            let e = inner(part).next().unwrap();
                            expect = Some(match e.as_rule() {
                                Rule::no_flags => Expect::NoFlags(self.span(&e)),
                                _ => Expect::Flags(self.data_table(e)?),
                            });
                        }
                        other => unreachable!("{other:?} in a test"),
                    }
                }
                RuleItemKind::Test(TestDecl {
                    name,
                    with,
                    given,
                    expect: expect.expect("grammar requires expect"),
                    span,
                })
            }
            other => unreachable!("{other:?} in a rule"),
        };
        Ok(RuleItem { kind, span })
    }

    fn data_table(&self, pair: Pair<'_, Rule>) -> Built<DataTable> {
        let span = self.span(&pair);
        let mut rows: Vec<Vec<Cell>> = inner(pair)
            .map(|row| {
                inner(row)
                    .map(|cell| {
                        let raw = cell.as_str();
                        let leading = raw.len() - raw.trim_start().len();
                        let text = raw.trim();
                        let start = cell.as_span().start() + leading;
                        Cell {
                            text: text.to_string(),
                            span: Span::new(self.file, start, start + text.len()),
                        }
                    })
                    .collect()
            })
            .collect();
        let header = rows.remove(0);
        Ok(DataTable { header, rows, span })
    }

    /// Splits a message into text and `{expression}` placeholders.
    fn template(&self, pair: Pair<'_, Rule>) -> Built<Template> {
        let span = self.span(&pair);
        let raw = &self.text[span.start + 1..span.end - 1];
        let base = span.start + 1;
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        text.push(unescape_char(next));
                    }
                }
                '{' => {
                    let close = raw[i + 1..].find('}').ok_or_else(|| {
                        Diagnostic::error(
                            "E0003",
                            Span::new(self.file, base + i, base + raw.len()),
                            "this placeholder is not closed",
                        )
                        .with_help("close it with `}`, or write `\\{` for a literal brace")
                    })?;
                    let inside = &raw[i + 1..i + 1 + close];
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    let expr = parse_expr(self.file, inside, base + i + 1)?;
                    parts.push(TemplatePart::Expr(expr));
                    while chars.peek().is_some_and(|(j, _)| *j <= i + 1 + close) {
                        chars.next();
                    }
                }
                '}' => {
                    return Err(Diagnostic::error(
                        "E0003",
                        Span::new(self.file, base + i, base + i + 1),
                        "this `}` closes no placeholder",
                    )
                    .with_help("write `\\}` for a literal brace"));
                }
                _ => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Ok(Template { parts, span })
    }

    // ------------------------------------------------------------ expressions

    fn expr(&self, pair: Pair<'_, Rule>) -> Built<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::not_expr => self.expr(inner(pair).next().unwrap()),
            Rule::or_expr | Rule::and_expr => {
                let op = if pair.as_rule() == Rule::or_expr {
                    BinaryOp::Or
                } else {
                    BinaryOp::And
                };
                let mut parts = inner(pair);
                let mut left = self.expr(parts.next().unwrap())?;
                for right in parts {
                    let right = self.expr(right)?;
                    let span = left.span.to(right.span);
                    left = self.node(
                        ExprKind::Binary {
                            op,
                            left: Box::new(left),
                            right: Box::new(right),
                        },
                        span,
                    )?;
                }
                Ok(left)
            }
            Rule::negation => self.node(
                ExprKind::Unary {
                    op: UnaryOp::Not,
                    expr: Box::new(self.expr(inner(pair).next().unwrap())?),
                },
                span,
            ),
            Rule::predicate => self.predicate(pair),
            Rule::sum | Rule::product => self.arithmetic(pair),
            Rule::unary => {
                let parts: Vec<_> = inner(pair).collect();
                let (minuses, rest) = parts.split_at(parts.len() - 1);
                let mut expr = self.expr(rest[0].clone())?;
                for _ in minuses {
                    expr = self.node(
                        ExprKind::Unary {
                            op: UnaryOp::Neg,
                            expr: Box::new(expr),
                        },
                        span,
                    )?;
                }
                Ok(expr)
            }
            Rule::postfix => {
                let mut parts = inner(pair);
                let mut expr = self.expr(parts.next().unwrap())?;
                for index in parts {
                    let index_expr = self.expr(inner(index.clone()).next().unwrap())?;
                    let span = expr.span.to(self.span(&index));
                    expr = self.node(
                        ExprKind::Index {
                            base: Box::new(expr),
                            index: Box::new(index_expr),
                        },
                        span,
                    )?;
                }
                Ok(expr)
            }
            // The parentheses belong to the expression: a condition read
            // back from its span (`explain`, docs/rules.md) keeps them.
            Rule::paren => {
                let mut expr = self.expr(inner(pair).next().unwrap())?;
                expr.span = span;
                Ok(expr)
            }
            Rule::number => Ok(Expr::new(ExprKind::Number(pair.as_str().to_string()), span)),
            Rule::string => Ok(Expr::new(ExprKind::Str(self.string(pair)?.value), span)),
            Rule::boolean => Ok(Expr::new(ExprKind::Bool(pair.as_str() == "true"), span)),
            Rule::days_literal => {
                let number = inner(pair).next().unwrap();
                let days = number.as_str().parse().map_err(|_| {
                    Diagnostic::error("E0002", span, "this number of days is too large")
                })?;
                Ok(Expr::new(ExprKind::Days(days), span))
            }
            Rule::path => Ok(Expr::new(
                ExprKind::Path(inner(pair).map(|p| self.ident(p)).collect()),
                span,
            )),
            Rule::call => {
                let mut parts = inner(pair).peekable();
                let name = self.ident(parts.next().unwrap());
                let distinct = parts.peek().is_some_and(|p| p.as_rule() == Rule::distinct);
                if distinct {
                    parts.next();
                }
                let mut args = Vec::new();
                let mut per = None;
                for p in parts {
                    if p.as_rule() == Rule::call_per {
                        per = Some(Box::new(self.expr(inner(p).last().unwrap())?));
                    } else {
                        args.push(self.expr(p)?);
                    }
                }
                self.node(
                    ExprKind::Call {
                        name,
                        distinct,
                        args,
                        per,
                    },
                    span,
                )
            }
            Rule::quantifier => {
                let all = pair.as_str().starts_with("all");
                let mut parts = inner(pair);
                let var = self.ident(parts.next().unwrap());
                let list = self.expr(parts.next().unwrap())?;
                let body = self.expr(parts.next().unwrap())?;
                self.node(
                    ExprKind::Quantifier {
                        all,
                        var,
                        list: Box::new(list),
                        body: Box::new(body),
                    },
                    span,
                )
            }
            other => unreachable!("{other:?} as an expression"),
        }
    }

    /// An expression made of sub-expressions, refused when it nests deeper
    /// than [`MAX_DEPTH`] (long chains of `and`, `+`, `-` ... nest one level
    /// a term), before the tree grows further.
    fn node(&self, kind: ExprKind, span: Span) -> Built<Expr> {
        let expr = Expr::new(kind, span);
        if expr.depth as usize > MAX_DEPTH {
            return Err(too_deep_here(span));
        }
        Ok(expr)
    }

    fn arithmetic(&self, pair: Pair<'_, Rule>) -> Built<Expr> {
        let mut parts = inner(pair);
        let mut left = self.expr(parts.next().unwrap())?;
        while let Some(op) = parts.next() {
            let op = match op.as_str() {
                "+" => BinaryOp::Add,
                "-" => BinaryOp::Sub,
                "*" => BinaryOp::Mul,
                _ => BinaryOp::Div,
            };
            let right = self.expr(parts.next().unwrap())?;
            let span = left.span.to(right.span);
            left = self.node(
                ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            )?;
        }
        Ok(left)
    }

    fn predicate(&self, pair: Pair<'_, Rule>) -> Built<Expr> {
        let span = self.span(&pair);
        let mut parts = inner(pair);
        let subject = self.expr(parts.next().unwrap())?;
        let Some(tail) = parts.next() else {
            return Ok(subject);
        };
        let tail_rule = tail.as_rule();
        let mut t: Vec<Pair<'_, Rule>> = inner(tail).collect();
        let negated = t.first().is_some_and(|p| p.as_rule() == Rule::negated);
        if negated {
            t.remove(0);
        }
        let kind = match tail_rule {
            Rule::compare_tail => {
                let op_pair = t.remove(0);
                let op = match op_pair.as_str() {
                    "=" => BinaryOp::Eq,
                    "<>" => BinaryOp::Ne,
                    "<" => BinaryOp::Lt,
                    "<=" => BinaryOp::Le,
                    ">" => BinaryOp::Gt,
                    ">=" => BinaryOp::Ge,
                    written => {
                        let (fix, meaning) = if written == "!=" {
                            ("<>", "not equal")
                        } else {
                            ("=", "equal")
                        };
                        return Err(Diagnostic::error(
                            "E0004",
                            self.span(&op_pair),
                            format!("`{written}` is not an operator here"),
                        )
                        .with_help(format!("write `{fix}` for \"{meaning}\"")));
                    }
                };
                ExprKind::Binary {
                    op,
                    left: Box::new(subject),
                    right: Box::new(self.expr(t.remove(0))?),
                }
            }
            Rule::starts_tail | Rule::matches_tail => ExprKind::Binary {
                op: if tail_rule == Rule::starts_tail {
                    BinaryOp::StartsWith
                } else {
                    BinaryOp::Matches
                },
                left: Box::new(subject),
                right: Box::new(self.expr(t.remove(0))?),
            },
            Rule::between_tail => ExprKind::Between {
                negated,
                expr: Box::new(subject),
                low: Box::new(self.expr(t.remove(0))?),
                high: Box::new(self.expr(t.remove(0))?),
            },
            Rule::in_tail => {
                let set_pair = t.remove(0);
                let set = if set_pair.as_rule() == Rule::value_list {
                    InSet::List(self.value_list(set_pair)?)
                } else {
                    InSet::Expr(Box::new(self.expr(set_pair)?))
                };
                ExprKind::In {
                    negated,
                    expr: Box::new(subject),
                    set,
                }
            }
            Rule::null_tail => ExprKind::IsNull {
                negated,
                expr: Box::new(subject),
            },
            other => unreachable!("{other:?} after an expression"),
        };
        self.node(kind, span)
    }
}

fn unescape_char(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        other => other,
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(unescape_char(next));
            }
        } else {
            out.push(c);
        }
    }
    out
}
