//! The canonical formatter behind `claimaudit fmt`: a syntax tree back to
//! rule text, laid out one way whatever way it was written.
//!
//! `parse_file(format_file(tree))` gives back `tree` (compared by content;
//! spans differ), except that clauses and table items come back in the
//! canonical order below, which the parser accepts in any order.
//!
//! Comments are not part of the syntax tree, so `format_file` drops them.
//! `format_source` formats source text and keeps them, re-reading the text
//! between the tree's spans: a comment stays with the item, table line,
//! rule clause, `given` or `expect` it stands above or ends the line of,
//! and one written inside a clause (say, between the lines of a long
//! `flag when`) moves to just above that clause.
//!
//! Layout: items apart by one blank line, two spaces of indentation per
//! `{}`, a final newline and no trailing spaces. Tables list their columns
//! (aligned) before `key`, `check`, `relation` and `flags`; rules list
//! metadata, then the body clauses in reading order, then the tests.
//! Expressions get only the parentheses their meaning needs, plus ones
//! around an `and` inside an `or` (and the reverse), which readers misread.
//!
//! A few trees no text can express, so no formatter can write them (the
//! parser never builds them; tests/fmt_roundtrip.rs leaves them out): a
//! column named `key` or `check` (read as a key / check line), a column
//! named `nullable` after a column without a doc (read as that column's
//! `nullable`), an `in` set expression starting with `(` (read as a
//! list), and a string literal inside a message placeholder.

use std::collections::HashMap;

use super::ast::*;
use super::diagnostic::Diagnostic;
use super::parse::parse_file;
use super::span::{FileId, Span};

/// Longest line before a long condition is broken at its `and`s / `or`s.
const WIDTH: usize = 100;

/// Formats a whole file canonically. Comments are not in the tree: see
/// `format_source` to keep them.
pub fn format_file(file: &File) -> String {
    let mut w = Writer::default();
    write_file(&mut w, file);
    w.out
}

/// Formats rule text as `format_file` does, keeping its comments.
pub fn format_source(file: FileId, text: &str) -> Result<String, Diagnostic> {
    let tree = parse_file(file, text)?;
    let mut w = Writer {
        out: String::new(),
        notes: Notes::gather(&tree, text),
    };
    write_file(&mut w, &tree);
    Ok(w.out)
}

/// The tree in the order `format_file` writes it: table items and rule
/// clauses stably sorted into their canonical places. Formatted text reads
/// back as this tree.
pub fn canonical_order(file: &File) -> File {
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

fn write_file(w: &mut Writer, file: &File) {
    let constant = |item: &Item| matches!(item, Item::Param(_) | Item::Set(_));
    for (i, item) in file.items.iter().enumerate() {
        // Parameters and sets read as one block; other items stand apart.
        if i > 0 && !(constant(item) && constant(&file.items[i - 1])) {
            w.blank();
        }
        let span = item_span(item);
        w.leading(0, span);
        write_item(w, item);
        w.trailing(span);
    }
    w.closing(0, FILE);
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Ruleset(r) => r.span,
        Item::Table(t) => t.span,
        Item::Param(p) => p.span,
        Item::Set(s) => s.span,
        Item::Rule(r) => r.span,
    }
}

/// Lines of output with their indentation, and the comments to put
/// between them.
#[derive(Default)]
struct Writer {
    out: String,
    notes: Notes,
}

impl Writer {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    fn lines(&mut self, depth: usize, lines: &[Line]) {
        for line in lines {
            match line {
                Line::Blank => self.blank(),
                Line::Comment(text) => self.line(depth, text),
            }
        }
    }

    /// Comments that stand above the node at `span`.
    fn leading(&mut self, depth: usize, span: Span) {
        if let Some(lines) = self.notes.leading.remove(&span.start) {
            self.lines(depth, &lines);
        }
    }

    /// The comment that ends the last line of the node at `span`.
    fn trailing(&mut self, span: Span) {
        if let Some(text) = self.notes.trailing.remove(&span.start) {
            self.out.pop();
            self.out.push_str("  ");
            self.out.push_str(&text);
            self.out.push('\n');
        }
    }

    /// Comments after the last node of a block (or of the file).
    fn closing(&mut self, depth: usize, key: usize) {
        if let Some(lines) = self.notes.closing.remove(&key) {
            self.lines(depth, &lines);
        }
    }

    fn has_closing(&self, key: usize) -> bool {
        self.notes.closing.contains_key(&key)
    }
}

fn write_item(w: &mut Writer, item: &Item) {
    match item {
        Item::Ruleset(r) => w.line(
            0,
            &format!(
                "ruleset {} version {}",
                quote(&r.name.value),
                quote(&r.version.value)
            ),
        ),
        Item::Table(t) => write_table(w, t),
        Item::Param(p) => {
            let text = format!("param {} = {}", p.name.name, param_value(&p.value));
            w.line(0, &with_doc(text, &p.doc));
        }
        Item::Set(s) => {
            let text = format!("set {} = {}", s.name.name, value_list(&s.values));
            w.line(0, &with_doc(text, &s.doc));
        }
        Item::Rule(r) => write_rule(w, r),
    }
}

fn with_doc(text: String, doc: &Option<StrLit>) -> String {
    match doc {
        Some(doc) => format!("{text} {}", quote(&doc.value)),
        None => text,
    }
}

/// Opens a `{}` block; an empty block stays on one line.
fn open_block(w: &mut Writer, head: &str, empty: bool, span: Span) -> bool {
    let empty = empty && !w.has_closing(span.start);
    if empty {
        w.line(0, &format!("{head} {{}}"));
    } else {
        w.line(0, &format!("{head} {{"));
    }
    !empty
}

fn param_value(value: &ParamValue) -> String {
    match value {
        ParamValue::Expr(e) => expr(e),
        ParamValue::Map(entries, _) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", quote(&k.value), expr(v)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

fn value_list(values: &[Expr]) -> String {
    format!("({})", expr_list(values))
}

fn expr_list(values: &[Expr]) -> String {
    values.iter().map(expr).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------- tables

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

fn write_table(w: &mut Writer, t: &TableDecl) {
    let head = with_doc(format!("table {}", t.name.name), &t.doc);
    if !open_block(w, &head, t.items.is_empty(), t.span) {
        return;
    }
    let mut items: Vec<&TableItem> = t.items.iter().collect();
    items.sort_by_key(|i| table_rank(i));
    let columns: Vec<&ColumnDecl> = items
        .iter()
        .filter_map(|i| match i {
            TableItem::Column(c) => Some(c),
            _ => None,
        })
        .collect();
    write_columns(w, &columns);
    let rest = &items[columns.len()..];
    if !columns.is_empty() && !rest.is_empty() {
        w.blank();
    }
    for item in rest {
        let span = table_item_span(item);
        w.leading(1, span);
        w.line(1, &table_line(item));
        w.trailing(span);
    }
    w.closing(1, t.span.start);
    w.line(0, "}");
}

/// Columns as a table: names, then types (with `nullable`), then docs, each
/// starting at the same place on every line.
fn write_columns(w: &mut Writer, columns: &[&ColumnDecl]) {
    let types: Vec<String> = columns
        .iter()
        .map(|c| {
            let ty = type_expr(&c.ty);
            if c.nullable { ty + " nullable" } else { ty }
        })
        .collect();
    let name_width = columns.iter().map(|c| width(&c.name.name)).max();
    let type_width = types.iter().map(|t| width(t)).max();
    let type_column = name_width.unwrap_or(0) + 2;
    let doc_column = type_column + type_width.unwrap_or(0) + 2;
    for (c, ty) in columns.iter().zip(&types) {
        let mut line = pad(&c.name.name, type_column) + ty;
        if let Some(doc) = &c.doc {
            line = pad(&line, doc_column) + &quote(&doc.value);
        }
        w.leading(1, c.span);
        w.line(1, &line);
        w.trailing(c.span);
    }
}

fn table_item_span(item: &TableItem) -> Span {
    match item {
        TableItem::Column(c) => c.span,
        TableItem::Key(k) => k.span,
        TableItem::Check(c) => c.span,
        TableItem::Relation(r) => r.span,
        TableItem::Flags(f) => f.span,
        TableItem::InForce(i) => i.span,
    }
}

fn table_line(item: &TableItem) -> String {
    match item {
        TableItem::Column(_) => unreachable!("columns are written by write_columns"),
        TableItem::Key(k) => format!("key {}", ident_list(&k.columns)),
        TableItem::Check(c) => format!("check {}", expr(&c.expr)),
        TableItem::Relation(r) => {
            let targets: Vec<&str> = r.target_columns.iter().map(|i| i.name.as_str()).collect();
            let required = if r.required { " required" } else { "" };
            format!(
                "relation {}: {} -> {}({}){required}",
                r.name.name,
                ident_list(&r.columns),
                r.target.name,
                targets.join(", ")
            )
        }
        TableItem::Flags(f) => {
            let bindings: Vec<String> = f
                .bindings
                .iter()
                .map(|(field, path)| format!("{} = {}", field.name, dotted(path)))
                .collect();
            format!("flags {} ({})", f.grain.name, bindings.join(", "))
        }
        TableItem::InForce(i) => format!("in force from {} to {}", i.from.name, i.to.name),
    }
}

/// `a` alone, `(a, b)` for several.
fn ident_list(idents: &[Ident]) -> String {
    let names: Vec<&str> = idents.iter().map(|i| i.name.as_str()).collect();
    match names.as_slice() {
        [one] => one.to_string(),
        _ => format!("({})", names.join(", ")),
    }
}

fn dotted(path: &[Ident]) -> String {
    let names: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
    names.join(".")
}

fn type_expr(t: &TypeExpr) -> String {
    match &t.kind {
        TypeExprKind::Simple(s) => s.keyword().to_string(),
        TypeExprKind::Decimal { precision, scale } => format!("decimal({precision}, {scale})"),
        TypeExprKind::Enum(values) => {
            let values: Vec<String> = values.iter().map(|v| quote(&v.value)).collect();
            format!("enum({})", values.join(", "))
        }
        TypeExprKind::List(inner) => format!("list<{}>", type_expr(inner)),
    }
}

// ---------------------------------------------------------------- rules

/// Where a clause goes in a rule: metadata (below 6), then the body in the
/// order it runs, then tests. Clauses of one rank keep their order.
fn clause_rank(kind: &RuleItemKind) -> u8 {
    match kind {
        RuleItemKind::Category(_) => 0,
        RuleItemKind::Severity(_) => 1,
        RuleItemKind::Action(_) => 2,
        RuleItemKind::Basis(_) => 3,
        RuleItemKind::NationalCode(_) => 4,
        RuleItemKind::BatchOnly => 5,
        RuleItemKind::For { .. } => 6,
        RuleItemKind::Where(_) => 7,
        RuleItemKind::Group { .. }
        | RuleItemKind::Window { .. }
        | RuleItemKind::Sequence { .. }
        | RuleItemKind::Pair { .. }
        | RuleItemKind::Match { .. }
        | RuleItemKind::Per { .. } => 8,
        RuleItemKind::Let { .. } => 9,
        RuleItemKind::Eligible(_) => 10,
        RuleItemKind::Peers { .. } => 11,
        RuleItemKind::Flag { .. } => 12,
        RuleItemKind::Message(_) => 13,
        RuleItemKind::Amount(_) => 14,
        RuleItemKind::Test(_) => TEST_RANK,
    }
}

const FIRST_BODY_RANK: u8 = 6;
const TEST_RANK: u8 = 15;

fn write_rule(w: &mut Writer, r: &RuleDecl) {
    let head = format!("rule {} {}", r.id.name, quote(&r.name.value));
    if !open_block(w, &head, r.items.is_empty(), r.span) {
        return;
    }
    let mut items: Vec<&RuleItem> = r.items.iter().collect();
    items.sort_by_key(|i| clause_rank(&i.kind));
    let mut previous: Option<u8> = None;
    for item in items {
        let rank = clause_rank(&item.kind);
        if previous.is_some_and(|p| separates(p, rank)) {
            w.blank();
        }
        previous = Some(rank);
        w.leading(1, item.span);
        write_clause(w, item);
        w.trailing(item.span);
    }
    w.closing(1, r.span.start);
    w.line(0, "}");
}

/// A blank line between metadata and body, and before each test.
fn separates(previous: u8, rank: u8) -> bool {
    let group = |r: u8| match r {
        r if r < FIRST_BODY_RANK => 0,
        TEST_RANK => 2,
        _ => 1,
    };
    rank == TEST_RANK || group(previous) != group(rank)
}

fn write_clause(w: &mut Writer, item: &RuleItem) {
    let line = match &item.kind {
        RuleItemKind::Category(i) => format!("category {}", i.name),
        RuleItemKind::Severity(i) => format!("severity {}", i.name),
        RuleItemKind::Action(i) => format!("action {}", i.name),
        RuleItemKind::Basis(s) => format!("basis {}", quote(&s.value)),
        RuleItemKind::NationalCode(s) => format!("national_code {}", quote(&s.value)),
        RuleItemKind::BatchOnly => "batch_only".to_string(),
        RuleItemKind::For { var, table } => format!("for {} in {}", var.name, table.name),
        RuleItemKind::Where(e) => return write_condition(w, 1, "where", e),
        RuleItemKind::Group { keys } => format!("group by {}", expr_list(keys)),
        RuleItemKind::Window { keys, range } => window(keys, range),
        RuleItemKind::Sequence { keys, order } => {
            format!(
                "sequence by {} order by {}",
                expr_list(keys),
                expr_list(order)
            )
        }
        RuleItemKind::Pair {
            var,
            table,
            filter,
            on,
        } => pair(var, table, filter.as_ref(), on),
        RuleItemKind::Match {
            var,
            table,
            on,
            either_order,
            as_of,
        } => {
            let either = if *either_order {
                " in either order"
            } else {
                ""
            };
            let as_of = as_of
                .as_ref()
                .map_or(String::new(), |d| format!(" as of {}", expr(d)));
            format!(
                "match {} in {} on {}{either}{as_of}",
                var.name,
                table.name,
                expr(on)
            )
        }
        RuleItemKind::Per { var, expr: e } => format!("per {} = {}", var.name, expr(e)),
        RuleItemKind::Let { name, expr: e } => format!("let {} = {}", name.name, expr(e)),
        RuleItemKind::Eligible(e) => return write_condition(w, 1, "eligible when", e),
        RuleItemKind::Peers { by, minimum } => match minimum {
            Some(m) => format!("peers by {} minimum {}", expr_list(by), expr(m)),
            None => format!("peers by {}", expr_list(by)),
        },
        RuleItemKind::Flag {
            grain,
            once,
            condition,
        } => {
            let grain = grain
                .as_ref()
                .map_or(String::new(), |g| format!(" {}", g.name));
            let once = if *once { " once" } else { "" };
            return write_condition(w, 1, &format!("flag{grain}{once} when"), condition);
        }
        RuleItemKind::Message(t) => format!("message {}", template(t)),
        RuleItemKind::Amount(e) => format!("amount {}", expr(e)),
        RuleItemKind::Test(t) => return write_test(w, t, item.span),
    };
    w.line(1, &line);
}

fn window(keys: &[Expr], range: &WindowRange) -> String {
    let keys = expr_list(keys);
    match range {
        WindowRange::Last { over, length } => {
            format!("window by {keys} over {} last {}", expr(over), expr(length))
        }
        WindowRange::Running { order } => {
            format!("window by {keys} order by {} running", expr_list(order))
        }
        WindowRange::LastMonths { over, length } => {
            format!(
                "window by {keys} over {} last {} months",
                expr(over),
                expr(length)
            )
        }
        WindowRange::LastRows { order, length } => {
            format!(
                "window by {keys} order by {} last {} rows",
                expr_list(order),
                expr(length)
            )
        }
    }
}

fn pair(var: &Ident, table: &Ident, filter: Option<&Expr>, on: &Expr) -> String {
    let filter = filter.map_or(String::new(), |f| format!(" where {}", expr(f)));
    format!(
        "pair with {} in {}{filter} on {}",
        var.name,
        table.name,
        expr(on)
    )
}

/// A condition on one line if it fits, else one line per top-level
/// `and` / `or` operand, the continuations indented further.
fn write_condition(w: &mut Writer, depth: usize, keyword: &str, e: &Expr) {
    let single = format!("{keyword} {}", expr(e));
    let logic = match &e.kind {
        ExprKind::Binary { op, .. } if is_logic(*op) => Some(*op),
        _ => None,
    };
    let Some(op) = logic.filter(|_| depth * 2 + width(&single) > WIDTH) else {
        w.line(depth, &single);
        return;
    };
    let operands = chain(op, e);
    w.line(depth, &format!("{keyword} {}", operands[0]));
    for operand in &operands[1..] {
        w.line(depth + 2, &format!("{} {operand}", op.symbol()));
    }
}

/// The printed operands of a left-leaning chain `a op b op c`.
fn chain(op: BinaryOp, e: &Expr) -> Vec<String> {
    let mut rights = Vec::new();
    let mut current = e;
    while let ExprKind::Binary { op: o, left, right } = &current.kind
        && *o == op
    {
        rights.push(right_operand(op, right));
        current = left;
    }
    rights.push(left_operand(op, current));
    rights.reverse();
    rights
}

fn write_test(w: &mut Writer, t: &TestDecl, span: Span) {
    let depth = 1;
    w.line(depth, &format!("test {} {{", quote(&t.name.value)));
    if let Some(with) = with_span(t) {
        let sets: Vec<String> = t
            .with
            .iter()
            .map(|(name, value)| format!("{} = {}", name.name, param_value(value)))
            .collect();
        w.leading(depth + 1, with);
        w.line(depth + 1, &format!("with {}", sets.join(", ")));
        w.trailing(with);
    }
    for given in &t.given {
        w.leading(depth + 1, given.span);
        w.line(depth + 1, &format!("given {}", given.table.name));
        write_data(w, depth + 2, &given.data);
        w.trailing(given.span);
    }
    let expect = expect_span(&t.expect);
    w.leading(depth + 1, expect);
    match &t.expect {
        Expect::NoFlags(_) => w.line(depth + 1, "expect no flags"),
        Expect::Flags(data) => {
            w.line(depth + 1, "expect flags");
            write_data(w, depth + 2, data);
        }
    }
    w.trailing(expect);
    w.closing(depth + 1, span.start);
    w.line(depth, "}");
}

/// From the first name set to the last value (the tree keeps no span for
/// the `with` line itself).
fn with_span(t: &TestDecl) -> Option<Span> {
    let (first, _) = t.with.first()?;
    let (_, last) = t.with.last()?;
    Some(first.span.to(last.span()))
}

fn expect_span(expect: &Expect) -> Span {
    match expect {
        Expect::NoFlags(span) => *span,
        Expect::Flags(data) => data.span,
    }
}

/// `| a | b |` rows, every column as wide as its widest cell.
fn write_data(w: &mut Writer, depth: usize, data: &DataTable) {
    let rows: Vec<&Vec<Cell>> = std::iter::once(&data.header).chain(&data.rows).collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            let cell_width = width(&cell.text);
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(cell_width),
                None => widths.push(cell_width),
            }
        }
    }
    for row in rows {
        let mut line = String::from("|");
        for (cell, cell_width) in row.iter().zip(&widths) {
            line.push(' ');
            line.push_str(&pad(&cell.text, *cell_width));
            line.push_str(" |");
        }
        w.line(depth, &line);
    }
}

// ---------------------------------------------------------------- strings

/// A string literal, escaped so it reads back as `value`.
fn quote(value: &str) -> String {
    format!("\"{}\"", escape(value, false))
}

fn escape(value: &str, braces: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' if braces => out.push_str("\\{"),
            '}' if braces => out.push_str("\\}"),
            c => out.push(c),
        }
    }
    out
}

/// A message: text with its braces escaped, placeholders as `{expr}`.
fn template(t: &Template) -> String {
    let mut out = String::from("\"");
    for part in &t.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(&escape(text, true)),
            TemplatePart::Expr(e) => {
                out.push('{');
                out.push_str(&expr(e));
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

/// Columns a text takes in a terminal: CJK characters take two, so that
/// Chinese names still line up.
fn width(text: &str) -> usize {
    text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

fn pad(text: &str, to: usize) -> String {
    let mut out = text.to_string();
    for _ in width(text)..to {
        out.push(' ');
    }
    out
}

// ---------------------------------------------------------------- expressions

// How tightly an expression binds, loosest first, as in the grammar.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const PREDICATE: u8 = 4;
const SUM: u8 = 5;
const PRODUCT: u8 = 6;
const UNARY: u8 = 7;
const POSTFIX: u8 = 8;
const ATOM: u8 = 9;

fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => binary_level(*op),
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => NOT,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => UNARY,
        ExprKind::Between { .. } | ExprKind::In { .. } | ExprKind::IsNull { .. } => PREDICATE,
        ExprKind::Index { .. } => POSTFIX,
        ExprKind::Number(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Days(_)
        | ExprKind::Path(_)
        | ExprKind::Call { .. }
        | ExprKind::Quantifier { .. } => ATOM,
    }
}

fn binary_level(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => OR,
        BinaryOp::And => AND,
        BinaryOp::Add | BinaryOp::Sub => SUM,
        BinaryOp::Mul | BinaryOp::Div => PRODUCT,
        _ => PREDICATE,
    }
}

fn is_logic(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::And | BinaryOp::Or)
}

/// An expression on one line, as `format_file` writes it.
pub fn format_expr(e: &Expr) -> String {
    expr(e)
}

fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(text) => text.clone(),
        ExprKind::Str(s) => quote(s),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Days(1) => "1 day".to_string(),
        ExprKind::Days(n) => format!("{n} days"),
        ExprKind::Path(parts) => dotted(parts),
        ExprKind::Call {
            name,
            distinct,
            args,
            per,
        } => {
            let distinct = if *distinct { "distinct " } else { "" };
            let per = per
                .as_ref()
                .map_or(String::new(), |p| format!(" per {}", expr(p)));
            format!("{}({distinct}{}{per})", name.name, expr_list(args))
        }
        ExprKind::Quantifier {
            all,
            var,
            list,
            body,
        } => {
            let word = if *all { "all" } else { "any" };
            format!("{word}({} in {}: {})", var.name, expr(list), expr(body))
        }
        ExprKind::Index { base, index } => format!("{}[{}]", operand(base, POSTFIX), expr(index)),
        ExprKind::Unary { op, expr: inner } => unary(*op, inner),
        ExprKind::Binary { op, left, right } => format!(
            "{} {} {}",
            left_operand(*op, left),
            op.symbol(),
            right_operand(*op, right)
        ),
        ExprKind::Between {
            negated,
            expr: subject,
            low,
            high,
        } => format!(
            "{} {}between {} and {}",
            operand(subject, SUM),
            not_word(*negated),
            operand(low, SUM),
            operand(high, SUM)
        ),
        ExprKind::In {
            negated,
            expr: subject,
            set,
        } => {
            let set = match set {
                InSet::List(values) => value_list(values),
                InSet::Expr(set) => operand(set, SUM),
            };
            format!("{} {}in {set}", operand(subject, SUM), not_word(*negated))
        }
        ExprKind::IsNull {
            negated,
            expr: subject,
        } => format!("{} is {}null", operand(subject, SUM), not_word(*negated)),
    }
}

fn not_word(negated: bool) -> &'static str {
    if negated { "not " } else { "" }
}

/// `e`, in parentheses if it binds more loosely than `min`.
fn operand(e: &Expr, min: u8) -> String {
    if level(e) < min {
        format!("({})", expr(e))
    } else {
        expr(e)
    }
}

fn unary(op: UnaryOp, inner: &Expr) -> String {
    match op {
        UnaryOp::Not => format!("not {}", operand(inner, NOT)),
        UnaryOp::Neg => {
            let inner = operand(inner, UNARY);
            // `- -x` rather than `--x`, which reads like a typo.
            if inner.starts_with('-') {
                format!("- {inner}")
            } else {
                format!("-{inner}")
            }
        }
    }
}

/// Comparisons take sums on both sides; the others associate to the left,
/// so only a right operand of their own level needs parentheses.
fn left_operand(op: BinaryOp, e: &Expr) -> String {
    let own = binary_level(op);
    let min = if own == PREDICATE { SUM } else { own };
    logic_operand(op, e, min)
}

fn right_operand(op: BinaryOp, e: &Expr) -> String {
    let own = binary_level(op);
    let min = if own == PREDICATE { SUM } else { own + 1 };
    logic_operand(op, e, min)
}

/// An `and` inside an `or`, or an `or` inside an `and`, always gets
/// parentheses: supervisors should not need to know which binds tighter.
fn logic_operand(op: BinaryOp, e: &Expr, min: u8) -> String {
    match &e.kind {
        ExprKind::Binary { op: inner, .. } if is_logic(op) && is_logic(*inner) && *inner != op => {
            format!("({})", expr(e))
        }
        _ => operand(e, min),
    }
}

// ---------------------------------------------------------------- comments

/// The key of the file itself, for comments after its last item.
const FILE: usize = usize::MAX;

enum Line {
    Blank,
    Comment(String),
}

/// Where each comment of a source goes, by the start of the node it goes
/// with (no two nodes that take comments start at the same place).
#[derive(Default)]
struct Notes {
    leading: HashMap<usize, Vec<Line>>,
    trailing: HashMap<usize, String>,
    closing: HashMap<usize, Vec<Line>>,
}

/// A node comments attach to: an item, a table line, a rule clause, a
/// test's `with`, `given` or `expect`. `end` is where its text ends, before
/// any whitespace and comments the parser counted in its span. A block
/// (file, table, rule, test) holds nodes; comments inside other nodes move
/// above them.
struct Node {
    key: usize,
    start: usize,
    end: usize,
    children: Option<Vec<Node>>,
}

impl Notes {
    fn gather(file: &File, text: &str) -> Notes {
        let source = Source::new(text);
        let root = Node {
            key: FILE,
            start: 0,
            end: text.len(),
            children: Some(file.items.iter().map(|i| item_node(&source, i)).collect()),
        };
        let mut placing = Placing::default();
        for &(start, end) in &source.comments {
            let comment = Comment {
                start,
                text: text[start..end].trim_end().to_string(),
                blank_before: source.blank_before(start),
            };
            placing.place(&source, &root, comment);
        }
        let mut notes = Notes::default();
        placing.finish(&source, &root, &mut notes);
        notes
    }
}

fn item_node(source: &Source, item: &Item) -> Node {
    let children = match item {
        Item::Table(t) => Some(
            t.items
                .iter()
                .map(|i| source.node(table_item_span(i), None))
                .collect(),
        ),
        Item::Rule(r) => Some(r.items.iter().map(|i| clause_node(source, i)).collect()),
        _ => None,
    };
    source.node(item_span(item), children)
}

fn clause_node(source: &Source, item: &RuleItem) -> Node {
    let RuleItemKind::Test(t) = &item.kind else {
        return source.node(item.span, None);
    };
    let spans = with_span(t)
        .into_iter()
        .chain(t.given.iter().map(|g| g.span))
        .chain(std::iter::once(expect_span(&t.expect)));
    let children = spans.map(|span| source.node(span, None)).collect();
    source.node(item.span, Some(children))
}

struct Comment {
    start: usize,
    text: String,
    blank_before: bool,
}

/// Comments as found, before they become lines of output.
#[derive(Default)]
struct Placing {
    /// Comments above a node, with the blank lines between them.
    before: HashMap<usize, Vec<Line>>,
    /// Comments from inside a clause, to go just above it.
    inside: HashMap<usize, Vec<Line>>,
    trailing: HashMap<usize, String>,
    closing: HashMap<usize, Vec<Line>>,
}

impl Placing {
    fn place(&mut self, source: &Source, parent: &Node, comment: Comment) {
        let kids = parent.children.as_deref().unwrap_or_default();
        if let Some(kid) = kids
            .iter()
            .find(|k| k.start <= comment.start && comment.start < k.end)
        {
            match &kid.children {
                Some(_) => self.place(source, kid, comment),
                None => {
                    let inside = self.inside.entry(kid.key).or_default();
                    inside.push(Line::Comment(comment.text));
                }
            }
            return;
        }
        let previous = kids.iter().rev().find(|k| k.end <= comment.start);
        if let Some(previous) = previous
            && !source.text[previous.end..comment.start].contains('\n')
        {
            self.trailing.insert(previous.key, comment.text);
            return;
        }
        let lines = match kids.iter().find(|k| k.start > comment.start) {
            Some(next) => self.before.entry(next.key).or_default(),
            None => self.closing.entry(parent.key).or_default(),
        };
        if comment.blank_before {
            lines.push(Line::Blank);
        }
        lines.push(Line::Comment(comment.text));
    }

    /// Turns what was found into lines: a blank line is kept between
    /// comments, and between comments and their node, but not first in a
    /// block, where the layout decides.
    fn finish(&mut self, source: &Source, node: &Node, notes: &mut Notes) {
        let mut leading = self.before.remove(&node.key).unwrap_or_default();
        if !leading.is_empty() && source.blank_before(node.start) {
            leading.push(Line::Blank);
        }
        leading.extend(self.inside.remove(&node.key).unwrap_or_default());
        if matches!(leading.first(), Some(Line::Blank)) {
            leading.remove(0);
        }
        if !leading.is_empty() {
            notes.leading.insert(node.key, leading);
        }
        if let Some(text) = self.trailing.remove(&node.key) {
            notes.trailing.insert(node.key, text);
        }
        if let Some(mut closing) = self.closing.remove(&node.key) {
            let empty = node.children.as_ref().is_none_or(Vec::is_empty);
            if empty && matches!(closing.first(), Some(Line::Blank)) {
                closing.remove(0);
            }
            notes.closing.insert(node.key, closing);
        }
        for kid in node.children.iter().flatten() {
            self.finish(source, kid, notes);
        }
    }
}

/// The text of a file that parsed, with where its comments are.
struct Source<'t> {
    text: &'t str,
    /// `(start, end)` of each comment, `#` to the end of its line.
    comments: Vec<(usize, usize)>,
}

impl<'t> Source<'t> {
    /// Finds the comments, skipping strings and data-table rows, the only
    /// places a `#` can be something else. The text is known to parse.
    fn new(text: &'t str) -> Source<'t> {
        let bytes = text.as_bytes();
        let mut comments = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            i = match bytes[i] {
                b'"' => string_end(bytes, i),
                b'|' => row_end(text, i),
                b'#' => {
                    let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                    comments.push((i, end));
                    end
                }
                _ => i + 1,
            };
        }
        Source { text, comments }
    }

    fn node(&self, span: Span, children: Option<Vec<Node>>) -> Node {
        Node {
            key: span.start,
            start: span.start,
            end: self.code_end(span.start, span.end),
            children,
        }
    }

    /// Where the text of `start..end` really ends: pest counts whitespace
    /// and comments after a node's last optional part into its span.
    fn code_end(&self, start: usize, end: usize) -> usize {
        let mut end = end;
        loop {
            let trimmed = self.text[start..end].trim_end_matches(is_space);
            end = start + trimmed.len();
            // The last comment starting before `end`, if `end` is inside it.
            let n = self.comments.partition_point(|(s, _)| *s < end);
            match n.checked_sub(1).map(|n| self.comments[n]) {
                Some((s, e)) if end <= e => end = s,
                _ => return end,
            }
        }
    }

    /// Whether an empty line comes just before `at`.
    fn blank_before(&self, at: usize) -> bool {
        let before = &self.text[..at];
        let space = &before[before.trim_end_matches(is_space).len()..];
        space.matches('\n').count() >= 2
    }
}

/// Whitespace as the grammar has it.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{3000}')
}

/// Just past the string that opens at `i`.
fn string_end(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

/// Just past the data-table row that opens at `i`: its cells run to the
/// last `|` on the line.
fn row_end(text: &str, i: usize) -> usize {
    let line_end = text[i..].find(['\n', '\r']).map_or(text.len(), |n| i + n);
    text[i..line_end].rfind('|').map_or(i + 1, |n| i + n + 1)
}
