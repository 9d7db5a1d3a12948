//! The syntax tree of a rules file, with a span on every node.
//!
//! It says what was written, not whether it makes sense: names are not
//! resolved and nothing is typed here (that is the checker's job).

use super::span::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal, its escapes resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Ruleset(RulesetDecl),
    Table(TableDecl),
    Param(ParamDecl),
    Set(SetDecl),
    Rule(RuleDecl),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesetDecl {
    pub name: StrLit,
    pub version: StrLit,
    pub span: Span,
}

// ---------------------------------------------------------------- schema

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDecl {
    pub name: Ident,
    pub doc: Option<StrLit>,
    pub items: Vec<TableItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableItem {
    Column(ColumnDecl),
    Key(KeyDecl),
    Check(CheckDecl),
    Relation(RelationDecl),
    Flags(FlagsDecl),
    InForce(InForceDecl),
}

/// `in force from valid_from to valid_to`: each row holds on the days
/// from one column's date to the other's (null: open on that side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForceDecl {
    pub from: Ident,
    pub to: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub nullable: bool,
    pub doc: Option<StrLit>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimpleType {
    Text,
    Int32,
    Int64,
    Float64,
    Bool,
    Date,
    Timestamp,
}

impl SimpleType {
    pub fn keyword(self) -> &'static str {
        match self {
            SimpleType::Text => "text",
            SimpleType::Int32 => "int32",
            SimpleType::Int64 => "int64",
            SimpleType::Float64 => "float64",
            SimpleType::Bool => "bool",
            SimpleType::Date => "date",
            SimpleType::Timestamp => "timestamp",
        }
    }

    pub fn from_keyword(word: &str) -> Option<SimpleType> {
        [
            SimpleType::Text,
            SimpleType::Int32,
            SimpleType::Int64,
            SimpleType::Float64,
            SimpleType::Bool,
            SimpleType::Date,
            SimpleType::Timestamp,
        ]
        .into_iter()
        .find(|t| t.keyword() == word)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExprKind {
    Simple(SimpleType),
    Decimal { precision: u32, scale: u32 },
    Enum(Vec<StrLit>),
    List(Box<TypeExpr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDecl {
    pub columns: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDecl {
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationDecl {
    pub name: Ident,
    pub columns: Vec<Ident>,
    pub target: Ident,
    pub target_columns: Vec<Ident>,
    pub required: bool,
    pub span: Span,
}

/// How a flag on a row of this table names the row, e.g.
/// `flags line (claim_id = claim_id, line_no = line_no, patient_id = claim.patient_id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagsDecl {
    pub grain: Ident,
    pub bindings: Vec<(Ident, Vec<Ident>)>,
    pub span: Span,
}

// ---------------------------------------------------------------- parameters and sets

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Expr(Expr),
    Map(Vec<(StrLit, Expr)>, Span),
}

impl ParamValue {
    pub fn span(&self) -> Span {
        match self {
            ParamValue::Expr(e) => e.span,
            ParamValue::Map(_, span) => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDecl {
    pub name: Ident,
    pub value: ParamValue,
    pub doc: Option<StrLit>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDecl {
    pub name: Ident,
    pub values: Vec<Expr>,
    pub doc: Option<StrLit>,
    pub span: Span,
}

// ---------------------------------------------------------------- rules

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDecl {
    pub id: Ident,
    pub name: StrLit,
    pub items: Vec<RuleItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowRange {
    /// `over DATE last DAYS`: rows whose DATE lies in the DAYS days ending on this row's.
    Last { over: Expr, length: Expr },
    /// `order by ... running`: rows up to and including this one in that order.
    Running { order: Vec<Expr> },
    /// `over DATE last N months`: rows whose DATE lies from the first day of
    /// the calendar month N − 1 months before this row's to this row's DATE.
    LastMonths { over: Expr, length: Expr },
    /// `order by ... last N rows`: this row and the N − 1 before it in that order.
    LastRows { order: Vec<Expr>, length: Expr },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleItemKind {
    Category(Ident),
    Severity(Ident),
    Action(Ident),
    Basis(StrLit),
    NationalCode(StrLit),
    BatchOnly,
    For {
        var: Ident,
        table: Ident,
    },
    Where(Expr),
    Group {
        keys: Vec<Expr>,
    },
    Window {
        keys: Vec<Expr>,
        range: WindowRange,
    },
    Sequence {
        keys: Vec<Expr>,
        order: Vec<Expr>,
    },
    Pair {
        var: Ident,
        table: Ident,
        filter: Option<Expr>,
        on: Expr,
    },
    /// `match x in table on ... [in either order] [as of date]`: a row of
    /// a (knowledge) table found by equal values.
    Match {
        var: Ident,
        table: Ident,
        on: Expr,
        either_order: bool,
        as_of: Option<Expr>,
    },
    Per {
        var: Ident,
        expr: Expr,
    },
    Let {
        name: Ident,
        expr: Expr,
    },
    Eligible(Expr),
    /// `peers by a, b minimum n`: entities with equal values are peers.
    Peers {
        by: Vec<Expr>,
        minimum: Option<Expr>,
    },
    /// `flag [grain] [once] when <condition>`; `grain`: which of the
    /// table's `flags` declarations names the flags; `once`: a group is
    /// flagged once.
    Flag {
        grain: Option<Ident>,
        once: bool,
        condition: Expr,
    },
    Message(Template),
    /// `amount <expr>`: the money a flag puts in doubt.
    Amount(Expr),
    Test(TestDecl),
}

/// A message with `{expression}` placeholders, e.g.
/// `"{line.item_code} 同日收费 {count()} 次"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleItem {
    pub kind: RuleItemKind,
    pub span: Span,
}

// ---------------------------------------------------------------- tests

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The cell's text, trimmed.
    pub text: String,
    pub span: Span,
}

/// `| a | b |` rows; the first row names the columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataTable {
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub table: Ident,
    pub data: DataTable,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    NoFlags(Span),
    Flags(DataTable),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDecl {
    pub name: StrLit,
    pub with: Vec<(Ident, ParamValue)>,
    pub given: Vec<Given>,
    pub expect: Expect,
    pub span: Span,
}

// ---------------------------------------------------------------- expressions

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    StartsWith,
    Matches,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::StartsWith => "starts with",
            BinaryOp::Matches => "matches",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge
                | BinaryOp::StartsWith
                | BinaryOp::Matches
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InSet {
    /// `x in ("a", "b")`
    List(Vec<Expr>),
    /// `x in name_of_set` or `x in line.some_list_column`
    Expr(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    /// A decimal or integer literal as written, e.g. `12.50`.
    Number(String),
    Str(String),
    Bool(bool),
    /// `29 days`
    Days(u64),
    /// `line.claim.patient.birth_date`, or a lone name (a variable, parameter or set).
    Path(Vec<Ident>),
    Call {
        name: Ident,
        distinct: bool,
        args: Vec<Expr>,
        /// `max(sum(x) per key)`: the argument taken for each run of rows
        /// with equal `key`, then aggregated again.
        per: Option<Box<Expr>>,
    },
    /// `any(p in list: condition)` / `all(...)`.
    Quantifier {
        all: bool,
        var: Ident,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    /// `map_parameter[key]`
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Between {
        negated: bool,
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    In {
        negated: bool,
        expr: Box<Expr>,
        set: InSet,
    },
    IsNull {
        negated: bool,
        expr: Box<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Levels of nesting, the expression itself included: a name is 1,
    /// `not x` one more than `x`, `a and b and c` two more than its deepest
    /// term. Kept as the tree is built, so a deep tree is refused before
    /// anything walks it (see `crate::syntax::MAX_DEPTH`).
    pub depth: u32,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let mut deepest = 0;
        kind.for_each_child(|child| deepest = deepest.max(child.depth));
        Expr {
            kind,
            span,
            depth: deepest.saturating_add(1),
        }
    }
}

impl ExprKind {
    /// Calls `f` on each direct sub-expression.
    pub fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match self {
            ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Days(_)
            | ExprKind::Path(_) => {}
            ExprKind::Call { args, per, .. } => {
                args.iter().for_each(&mut f);
                if let Some(per) = per {
                    f(per);
                }
            }
            ExprKind::Quantifier { list, body, .. } => {
                f(list);
                f(body);
            }
            ExprKind::Index { base, index } => {
                f(base);
                f(index);
            }
            ExprKind::Unary { expr, .. } | ExprKind::IsNull { expr, .. } => f(expr),
            ExprKind::Binary { left, right, .. } => {
                f(left);
                f(right);
            }
            ExprKind::Between {
                expr, low, high, ..
            } => {
                f(expr);
                f(low);
                f(high);
            }
            ExprKind::In { expr, set, .. } => {
                f(expr);
                match set {
                    InSet::List(items) => items.iter().for_each(f),
                    InSet::Expr(e) => f(e),
                }
            }
        }
    }
}
