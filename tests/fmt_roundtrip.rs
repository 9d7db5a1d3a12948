//! Property tests of the formatter against the parser: any syntax tree the
//! grammar can express is written as text that reads back as the same tree,
//! formatting is idempotent, and no input text makes the parser panic.
//!
//! The generator leaves out the few trees the grammar cannot express; each
//! exclusion says why (see `column_name`, `in_set` and `template`).

use claimaudit::syntax::ast::*;
use claimaudit::syntax::format::{format_file, format_source};
use claimaudit::syntax::parse::parse_file;
use claimaudit::syntax::span::*;
use proptest::prelude::*;

fn sp() -> Span {
    Span::default()
}

fn ex(kind: ExprKind) -> Expr {
    Expr::new(kind, sp())
}

// ---------------------------------------------------------------- leaves

const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "is", "null", "between", "starts", "matches", "true", "false",
    "distinct",
];

/// Names, including Chinese ones and keywords that are not reserved (so
/// they may name things and must still read back as names).
fn ident() -> impl Strategy<Value = Ident> {
    let ascii =
        "[a-z_][a-z0-9_]{0,5}".prop_filter("reserved word", |s| !RESERVED.contains(&s.as_str()));
    let chosen = prop::sample::select(vec![
        "结算", "患者_1", "金额", "_x", "line", "days", "day", "over", "last", "on", "by", "order",
        "running", "minimum", "with", "where", "for", "text", "any", "all", "flag", "when", "key",
        "check", "nullable", "required", "relation", "flags", "list", "enum", "decimal", "and_x",
        "notx", "in1", "nulls", "Ändern",
    ])
    .prop_map(str::to_string);
    prop_oneof![ascii, chosen].prop_map(|name| Ident { name, span: sp() })
}

/// A column name. `key` and `check` would read as a key / check line, and
/// `nullable` as the previous column's `nullable` when that column has no
/// doc: the grammar cannot express such columns.
fn column_name() -> impl Strategy<Value = Ident> {
    ident().prop_filter("ambiguous column name", |i| {
        !["key", "check", "nullable"].contains(&i.name.as_str())
    })
}

fn rule_id() -> impl Strategy<Value = Ident> {
    "[A-Za-z0-9_][A-Za-z0-9_.-]{0,6}".prop_map(|name| Ident { name, span: sp() })
}

/// Text with everything that needs escaping, braces and Chinese.
fn text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "Z", " ", "\"", "\\", "{", "}", "\n", "\t", "#", "|", "结算", "金额 ", "\r", "\\n",
        "{x}", "\u{3000}", "0",
    ]);
    prop::collection::vec(pieces, 0..6).prop_map(|p| p.concat())
}

fn str_lit() -> impl Strategy<Value = StrLit> {
    text().prop_map(|value| StrLit { value, span: sp() })
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["0", "12.50", "007", "700000.00", "1"]).prop_map(String::from),
        "[0-9]{1,4}(\\.[0-9]{1,3})?",
    ]
}

/// A data-table cell: no `|`, no line break, nothing to trim.
fn cell() -> impl Strategy<Value = Cell> {
    let pieces = prop::sample::select(vec![
        "C1",
        "2024-03-01",
        " ",
        "\t",
        "\"",
        "#",
        "{",
        "结算",
        "-",
        "a b",
        "\u{3000}",
    ]);
    prop::collection::vec(pieces, 0..4)
        .prop_map(|p| p.concat().trim().to_string())
        .prop_map(|text| Cell { text, span: sp() })
}

fn data_table() -> impl Strategy<Value = DataTable> {
    let row = || prop::collection::vec(cell(), 1..4);
    (row(), prop::collection::vec(row(), 0..3)).prop_map(|(header, rows)| DataTable {
        header,
        rows,
        span: sp(),
    })
}

// ---------------------------------------------------------------- expressions

const BINARY: &[BinaryOp] = &[
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::StartsWith,
    BinaryOp::Matches,
];

fn leaf(strings: bool) -> BoxedStrategy<Expr> {
    let common = prop_oneof![
        number().prop_map(ExprKind::Number),
        any::<bool>().prop_map(ExprKind::Bool),
        prop_oneof![0..400u64, Just(1u64), Just(u64::MAX)].prop_map(ExprKind::Days),
        prop::collection::vec(ident(), 1..4).prop_map(ExprKind::Path),
    ];
    if strings {
        prop_oneof![common, text().prop_map(ExprKind::Str)]
            .prop_map(ex)
            .boxed()
    } else {
        common.prop_map(ex).boxed()
    }
}

/// Expressions of every kind, nested. Without `strings`, no string
/// literal anywhere: a message placeholder cannot hold one (see `template`).
fn expr(strings: bool) -> BoxedStrategy<Expr> {
    leaf(strings)
        .prop_recursive(4, 40, 4, |inner| {
            let boxed = || inner.clone().prop_map(Box::new);
            prop_oneof![
                (
                    ident(),
                    any::<bool>(),
                    prop::collection::vec(inner.clone(), 0..3),
                    prop::option::weighted(0.2, boxed()),
                )
                    .prop_map(|(name, distinct, args, per)| ExprKind::Call {
                        distinct: distinct && !args.is_empty(),
                        per: per.filter(|_| !args.is_empty()),
                        name,
                        args,
                    }),
                (any::<bool>(), ident(), boxed(), boxed()).prop_map(|(all, var, list, body)| {
                    ExprKind::Quantifier {
                        all,
                        var,
                        list,
                        body,
                    }
                }),
                (boxed(), boxed()).prop_map(|(base, index)| ExprKind::Index { base, index }),
                (
                    prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]),
                    boxed()
                )
                    .prop_map(|(op, expr)| ExprKind::Unary { op, expr }),
                (prop::sample::select(BINARY), boxed(), boxed())
                    .prop_map(|(op, left, right)| ExprKind::Binary { op, left, right }),
                (any::<bool>(), boxed(), boxed(), boxed()).prop_map(
                    |(negated, expr, low, high)| ExprKind::Between {
                        negated,
                        expr,
                        low,
                        high,
                    }
                ),
                (any::<bool>(), boxed(), in_set(inner.clone()))
                    .prop_map(|(negated, expr, set)| ExprKind::In { negated, expr, set }),
                (any::<bool>(), boxed())
                    .prop_map(|(negated, expr)| ExprKind::IsNull { negated, expr }),
            ]
            .prop_map(ex)
        })
        .boxed()
}

/// `x in (a, b)` or `x in some_set`. A set expression written with a
/// leading `(` (`x in (a + b) * c`) would read as a list: the grammar
/// tries `in (...)` as a list first, so such trees are left out.
fn in_set(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = InSet> {
    prop_oneof![
        prop::collection::vec(inner.clone(), 1..3).prop_map(InSet::List),
        inner
            .prop_filter("set written with a leading `(`", |e| !leads_with_paren(
                e, SUM
            ))
            .prop_map(|e| InSet::Expr(Box::new(e))),
    ]
}

const SUM: u8 = 5;
const PRODUCT: u8 = 6;
const POSTFIX: u8 = 8;

/// Whether `e`, written where the grammar wants level `min`, starts with
/// `(`: either it binds too loosely, or its leftmost operand does.
fn leads_with_paren(e: &Expr, min: u8) -> bool {
    match &e.kind {
        ExprKind::Binary { op, left, .. } => match op {
            BinaryOp::Add | BinaryOp::Sub => min > SUM || leads_with_paren(left, SUM),
            BinaryOp::Mul | BinaryOp::Div => min > PRODUCT || leads_with_paren(left, PRODUCT),
            _ => true,
        },
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        }
        | ExprKind::Between { .. }
        | ExprKind::In { .. }
        | ExprKind::IsNull { .. } => true,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => min > 7,
        ExprKind::Index { base, .. } => min > POSTFIX || leads_with_paren(base, POSTFIX),
        _ => false,
    }
}

/// Message text and placeholders. A placeholder holds no string literal:
/// its `"` would end the message, and the `\"` escape reaches the
/// placeholder's parser unresolved. Text parts are never empty or adjacent,
/// as the parser never makes them so.
fn template() -> impl Strategy<Value = Template> {
    let part = prop_oneof![
        text()
            .prop_filter("empty text", |t| !t.is_empty())
            .prop_map(TemplatePart::Text),
        expr(false).prop_map(TemplatePart::Expr),
    ];
    prop::collection::vec(part, 0..4).prop_map(|parts| Template {
        parts: merge_texts(parts),
        span: sp(),
    })
}

fn merge_texts(parts: Vec<TemplatePart>) -> Vec<TemplatePart> {
    let mut merged: Vec<TemplatePart> = Vec::new();
    for part in parts {
        match (merged.last_mut(), part) {
            (Some(TemplatePart::Text(last)), TemplatePart::Text(next)) => last.push_str(&next),
            (_, part) => merged.push(part),
        }
    }
    merged
}

// ---------------------------------------------------------------- items

fn param_value() -> impl Strategy<Value = ParamValue> {
    prop_oneof![
        expr(true).prop_map(ParamValue::Expr),
        prop::collection::vec((str_lit(), expr(true)), 1..3)
            .prop_map(|entries| ParamValue::Map(entries, sp())),
    ]
}

fn type_expr() -> impl Strategy<Value = TypeExpr> {
    let simple = prop::sample::select(vec![
        SimpleType::Text,
        SimpleType::Int32,
        SimpleType::Int64,
        SimpleType::Bool,
        SimpleType::Date,
        SimpleType::Timestamp,
    ]);
    let leaf = prop_oneof![
        simple.prop_map(TypeExprKind::Simple),
        (0..40u32, prop_oneof![0..10u32, Just(u32::MAX)])
            .prop_map(|(precision, scale)| TypeExprKind::Decimal { precision, scale }),
        prop::collection::vec(str_lit(), 1..3).prop_map(TypeExprKind::Enum),
    ]
    .prop_map(|kind| TypeExpr { kind, span: sp() });
    leaf.prop_recursive(2, 4, 1, |inner| {
        inner.prop_map(|t| TypeExpr {
            kind: TypeExprKind::List(Box::new(t)),
            span: sp(),
        })
    })
}

fn idents(max: usize) -> impl Strategy<Value = Vec<Ident>> {
    prop::collection::vec(ident(), 1..=max)
}

fn table_item() -> impl Strategy<Value = TableItem> {
    prop_oneof![
        3 => (column_name(), type_expr(), any::<bool>(), prop::option::of(str_lit())).prop_map(
            |(name, ty, nullable, doc)| TableItem::Column(ColumnDecl {
                name,
                ty,
                nullable,
                doc,
                span: sp(),
            })
        ),
        1 => idents(3).prop_map(|columns| TableItem::Key(KeyDecl { columns, span: sp() })),
        1 => expr(true).prop_map(|expr| TableItem::Check(CheckDecl { expr, span: sp() })),
        1 => (ident(), idents(2), ident(), idents(2), any::<bool>()).prop_map(
            |(name, columns, target, target_columns, required)| {
                TableItem::Relation(RelationDecl {
                    name,
                    columns,
                    target,
                    target_columns,
                    required,
                    span: sp(),
                })
            }
        ),
        1 => (ident(), prop::collection::vec((ident(), idents(3)), 1..3)).prop_map(
            |(grain, bindings)| TableItem::Flags(FlagsDecl {
                grain,
                bindings,
                span: sp(),
            })
        ),
        1 => (ident(), ident()).prop_map(|(from, to)| TableItem::InForce(InForceDecl {
            from,
            to,
            span: sp(),
        })),
    ]
}

fn test_decl() -> impl Strategy<Value = TestDecl> {
    let given = (ident(), data_table()).prop_map(|(table, data)| Given {
        table,
        data,
        span: sp(),
    });
    let expect = prop_oneof![
        Just(Expect::NoFlags(sp())),
        data_table().prop_map(Expect::Flags),
    ];
    (
        str_lit(),
        prop::collection::vec((ident(), param_value()), 0..3),
        prop::collection::vec(given, 0..3),
        expect,
    )
        .prop_map(|(name, with, given, expect)| TestDecl {
            name,
            with,
            given,
            expect,
            span: sp(),
        })
}

fn exprs() -> impl Strategy<Value = Vec<Expr>> {
    prop::collection::vec(expr(true), 1..3)
}

fn rule_item() -> impl Strategy<Value = RuleItem> {
    let e = || expr(true);
    let metadata = prop_oneof![
        ident().prop_map(RuleItemKind::Category),
        ident().prop_map(RuleItemKind::Severity),
        ident().prop_map(RuleItemKind::Action),
        str_lit().prop_map(RuleItemKind::Basis),
        str_lit().prop_map(RuleItemKind::NationalCode),
        Just(RuleItemKind::BatchOnly),
    ];
    let window_range = prop_oneof![
        (e(), e()).prop_map(|(over, length)| WindowRange::Last { over, length }),
        exprs().prop_map(|order| WindowRange::Running { order }),
        (e(), e()).prop_map(|(over, length)| WindowRange::LastMonths { over, length }),
        (exprs(), e()).prop_map(|(order, length)| WindowRange::LastRows { order, length }),
    ];
    let body = prop_oneof![
        (ident(), ident()).prop_map(|(var, table)| RuleItemKind::For { var, table }),
        e().prop_map(RuleItemKind::Where),
        exprs().prop_map(|keys| RuleItemKind::Group { keys }),
        (exprs(), window_range).prop_map(|(keys, range)| RuleItemKind::Window { keys, range }),
        (exprs(), exprs()).prop_map(|(keys, order)| RuleItemKind::Sequence { keys, order }),
        (ident(), ident(), prop::option::of(e()), e()).prop_map(|(var, table, filter, on)| {
            RuleItemKind::Pair {
                var,
                table,
                filter,
                on,
            }
        }),
        (ident(), ident(), e(), any::<bool>(), prop::option::of(e())).prop_map(
            |(var, table, on, either_order, as_of)| RuleItemKind::Match {
                var,
                table,
                on,
                either_order,
                as_of,
            }
        ),
        (ident(), e()).prop_map(|(var, expr)| RuleItemKind::Per { var, expr }),
        (ident(), e()).prop_map(|(name, expr)| RuleItemKind::Let { name, expr }),
        e().prop_map(RuleItemKind::Eligible),
        (prop::collection::vec(e(), 1..3), prop::option::of(e()))
            .prop_map(|(by, minimum)| RuleItemKind::Peers { by, minimum }),
        (
            prop::option::of(
                ident().prop_filter("`once` and `when` follow the grain", |g| {
                    g.name != "once" && g.name != "when"
                })
            ),
            any::<bool>(),
            e()
        )
            .prop_map(|(grain, once, condition)| RuleItemKind::Flag {
                grain,
                once,
                condition
            }),
        template().prop_map(RuleItemKind::Message),
        e().prop_map(RuleItemKind::Amount),
    ];
    prop_oneof![
        1 => metadata,
        3 => body,
        1 => test_decl().prop_map(RuleItemKind::Test),
    ]
    .prop_map(|kind| RuleItem { kind, span: sp() })
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        (str_lit(), str_lit()).prop_map(|(name, version)| Item::Ruleset(RulesetDecl {
            name,
            version,
            span: sp(),
        })),
        (
            ident(),
            prop::option::of(str_lit()),
            prop::collection::vec(table_item(), 0..6)
        )
            .prop_map(|(name, doc, items)| Item::Table(TableDecl {
                name,
                doc,
                items,
                span: sp(),
            })),
        (ident(), param_value(), prop::option::of(str_lit())).prop_map(|(name, value, doc)| {
            Item::Param(ParamDecl {
                name,
                value,
                doc,
                span: sp(),
            })
        }),
        (ident(), exprs(), prop::option::of(str_lit())).prop_map(|(name, values, doc)| {
            Item::Set(SetDecl {
                name,
                values,
                doc,
                span: sp(),
            })
        }),
        (
            rule_id(),
            str_lit(),
            prop::collection::vec(rule_item(), 0..8)
        )
            .prop_map(|(id, name, items)| Item::Rule(RuleDecl {
                id,
                name,
                items,
                span: sp(),
            })),
    ]
}

fn file() -> impl Strategy<Value = File> {
    prop::collection::vec(item(), 0..4).prop_map(|items| File { items })
}

// ---------------------------------------------------------------- canonical order

/// The tree as the formatter orders it: table items and rule clauses
/// stably sorted into their canonical places (the parser takes any order).
fn canonical(file: &File) -> File {
    let mut file = file.clone();
    for item in &mut file.items {
        match item {
            Item::Table(t) => t.items.sort_by_key(table_rank),
            Item::Rule(r) => r.items.sort_by_key(|i| clause_rank(&i.kind)),
            _ => {}
        }
    }
    file
}

fn table_rank(item: &TableItem) -> u8 {
    match item {
        TableItem::Column(_) => 0,
        TableItem::Key(_) => 1,
        TableItem::Check(_) => 2,
        TableItem::Relation(_) => 3,
        TableItem::Flags(_) => 4,
        TableItem::InForce(_) => 5,
    }
}

fn clause_rank(kind: &RuleItemKind) -> u8 {
    use RuleItemKind::*;
    match kind {
        Category(_) => 0,
        Severity(_) => 1,
        Action(_) => 2,
        Basis(_) => 3,
        NationalCode(_) => 4,
        BatchOnly => 5,
        For { .. } => 6,
        Where(_) => 7,
        Group { .. }
        | Window { .. }
        | Sequence { .. }
        | Pair { .. }
        | Match { .. }
        | Per { .. } => 8,
        Let { .. } => 9,
        Eligible(_) => 10,
        Peers { .. } => 11,
        Flag { .. } => 12,
        Message(_) => 13,
        Amount(_) => 14,
        Test(_) => 15,
    }
}

fn parse(text: &str) -> Result<File, String> {
    parse_file(FileId(0), text).map_err(|d| {
        let at = text.get(d.span.start..).unwrap_or("").chars().take(40);
        format!("{d} at {}: {:?}", d.span.start, at.collect::<String>())
    })
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn formatted_text_reads_back_as_the_same_tree(tree in file()) {
        let text = format_file(&tree);
        let read = parse(&text);
        prop_assert_eq!(read, Ok(canonical(&tree)), "formatted as:\n{}", text);
    }

    #[test]
    fn formatting_is_idempotent(tree in file()) {
        let text = format_file(&tree);
        let again = format_file(&parse(&text).map_err(TestCaseError::fail)?);
        prop_assert_eq!(&again, &text);
    }

    #[test]
    fn formatted_text_is_tidy(tree in file()) {
        let text = format_file(&tree);
        prop_assert!(text.is_empty() || text.ends_with('\n'));
        prop_assert!(!text.contains("\n\n\n"), "two blank lines in:\n{}", text);
        for line in text.split('\n') {
            prop_assert!(!line.ends_with(' ') && !line.ends_with('\t'), "trailing space: {:?}", line);
        }
    }
}

// ---------------------------------------------------------------- comments

fn comment() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "note", " ", "\"", "#", "结算", "{", "}", "\\", "(", "rule", "key k",
    ]);
    prop::collection::vec(pieces, 0..5).prop_map(|p| format!("#{}", p.concat().trim_end()))
}

/// A comment on a line of its own, or at the end of a line.
#[derive(Debug, Clone)]
enum Note {
    Line(usize, String),
    End(usize, String),
}

fn notes() -> impl Strategy<Value = Vec<Note>> {
    let note = prop_oneof![
        (any::<usize>(), comment()).prop_map(|(at, c)| Note::Line(at, c)),
        (any::<usize>(), comment()).prop_map(|(at, c)| Note::End(at, c)),
    ];
    prop::collection::vec(note, 1..6)
}

/// Formatted text with comments put in: any line break of it is a place
/// the grammar allows a comment.
fn annotate(text: &str, notes: &[Note]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for note in notes {
        match note {
            Note::Line(at, c) => lines.insert(at % (lines.len() + 1), c.clone()),
            Note::End(_, c) if lines.is_empty() => lines.push(c.clone()),
            Note::End(at, c) => {
                let n = at % lines.len();
                lines[n] = format!("{}  {c}", lines[n]);
            }
        }
    }
    lines.join("\n") + "\n"
}

fn note_text(note: &Note) -> &str {
    match note {
        Note::Line(_, c) | Note::End(_, c) => c,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn comments_are_kept_and_change_nothing_else(tree in file(), notes in notes()) {
        let text = annotate(&format_file(&tree), &notes);
        let out = format_source(FileId(0), &text).map_err(|d| TestCaseError::fail(d.to_string()))?;
        prop_assert_eq!(parse(&out), Ok(canonical(&tree)), "formatted as:\n{}", out);
        for note in &notes {
            prop_assert!(out.contains(note_text(note)), "lost {:?} in:\n{}", note, out);
        }
        let again = format_source(FileId(0), &out).map_err(|d| TestCaseError::fail(d.to_string()))?;
        prop_assert_eq!(&again, &out, "from:\n{}", text);
        for line in out.split('\n') {
            prop_assert!(!line.ends_with(' '), "trailing space: {:?}", line);
        }
    }
}

// ---------------------------------------------------------------- the parser never panics

const SAMPLE: &str = include_str!("data/sample.rules");
const SCHEMA: &str = include_str!("../rulesets/chs/schema.rules");

/// Fragments of the language, so random texts get past the first token.
fn fragment() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "rule ",
        "X-1 ",
        "\"n\" ",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        ":",
        "flag when ",
        "a",
        ".b",
        " and ",
        " or ",
        "not ",
        " = ",
        " == ",
        " != ",
        " in ",
        " between ",
        "1",
        "12.5",
        " days",
        "-",
        "+",
        "*",
        "/",
        "message ",
        "\"{a}\"",
        "\"{\"",
        "\"}\"",
        "\"\\{\"",
        "\"{a",
        "\\",
        "test ",
        "given t ",
        "| a |",
        "|",
        "\n",
        "expect ",
        "no flags",
        "flags ",
        "with ",
        "table ",
        "key ",
        "check ",
        "relation r: a -> t(b)",
        "param p = ",
        "set s = ",
        "# c\n",
        "decimal(1, 2)",
        "decimal(99999999999, 2)",
        "99999999999999999999 days",
        "list<",
        "enum(",
        "any(p in ",
        "window by a ",
        "over ",
        "last ",
        "order by ",
        "running",
        "\u{3000}",
        "结算",
        "\"",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Insert(usize, char),
    Duplicate(usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let chars = prop::sample::select(vec![
        '"', '\\', '{', '}', '|', '\n', '#', '(', ')', '[', '-', '.', ':', ',', '=', '<', 'a', '0',
        '结', ' ',
    ]);
    let edit = prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), chars).prop_map(|(at, c)| Edit::Insert(at, c)),
        (any::<usize>(), 1..40usize).prop_map(|(at, len)| Edit::Duplicate(at, len)),
    ];
    prop::collection::vec(edit, 1..6)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len().max(1);
        match *edit {
            Edit::Delete(at) if !chars.is_empty() => {
                chars.remove(at % len);
            }
            Edit::Delete(_) => {}
            Edit::Insert(at, c) => chars.insert(at % (chars.len() + 1), c),
            Edit::Duplicate(at, n) => {
                let start = at % len;
                let end = (start + n).min(chars.len());
                let copy: Vec<char> = chars[start..end].to_vec();
                chars.splice(end..end, copy);
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsing_random_text_never_panics(text in any::<String>()) {
        let _ = parse_file(FileId(0), &text);
    }

    #[test]
    fn parsing_language_fragments_never_panics(text in fragment()) {
        let _ = parse_file(FileId(0), &text);
    }

    #[test]
    fn parsing_edited_sample_never_panics(edits in edits(), schema in any::<bool>()) {
        let text = apply(if schema { SCHEMA } else { SAMPLE }, &edits);
        let _ = parse_file(FileId(0), &text);
    }
}
