//! A dataset schema: tables, typed columns, keys, relations and row checks.
//!
//! This is the contract a dataset is validated against. The CHS contract is
//! one instance; a user can declare others.

use std::fmt;

/// The logical type of a column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Text,
    Int32,
    Int64,
    Bool,
    /// Exact decimal with `precision` digits of which `scale` follow the point.
    Decimal {
        precision: u8,
        scale: i8,
    },
    /// A binary floating-point measure (never money): a ratio, a
    /// distance, a score, as other systems export them.
    Float64,
    /// A calendar day.
    Date,
    /// Local wall-clock time (Asia/Shanghai) to the millisecond.
    Timestamp,
    /// Text restricted to a fixed set of values.
    Enum(Vec<String>),
    List(Box<ColumnType>),
}

impl ColumnType {
    /// The allowed values when this is an enumeration.
    pub fn enum_values(&self) -> Option<&[String]> {
        match self {
            ColumnType::Enum(values) => Some(values),
            _ => None,
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Text => write!(f, "text"),
            ColumnType::Int32 => write!(f, "int32"),
            ColumnType::Int64 => write!(f, "int64"),
            ColumnType::Bool => write!(f, "bool"),
            ColumnType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            ColumnType::Float64 => write!(f, "float64"),
            ColumnType::Date => write!(f, "date"),
            ColumnType::Timestamp => write!(f, "timestamp"),
            ColumnType::Enum(values) => write!(f, "enum({})", values.join(", ")),
            ColumnType::List(inner) => write!(f, "list<{inner}>"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
    /// What the column means, for people (e.g. `结算ID`).
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Columns whose values together are unique, if the table has a key.
    pub key: Option<Vec<String>>,
    /// Row checks every valid row satisfies (e.g. `discharge_date >= admit_date`).
    pub constraints: Vec<Constraint>,
    /// How flags on rows of this table name the row, if rules may flag them.
    pub flags: Option<FlagsBinding>,
    /// Further `flags` declarations, each of another grain, for rules that
    /// flag what a row belongs to (`flag provider when`): a claim's
    /// provider, a line's claim.
    pub more_flags: Vec<FlagsBinding>,
    /// `in force from a to b`: the date columns between which a row holds
    /// (a knowledge point's dated version); `match ... as of` reads them.
    pub in_force: Option<(String, String)>,
    pub doc: Option<String>,
}

/// What a flag is about (docs/contract.md, "Flags").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Line,
    Claim,
    Provider,
}

impl Grain {
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Line => "line",
            Grain::Claim => "claim",
            Grain::Provider => "provider",
        }
    }

    pub fn from_name(name: &str) -> Option<Grain> {
        [Grain::Line, Grain::Claim, Grain::Provider]
            .into_iter()
            .find(|g| g.as_str() == name)
    }
}

/// The identifying columns of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlagField {
    ClaimId,
    LineNo,
    PatientId,
    ProviderId,
}

impl FlagField {
    pub const ALL: [FlagField; 4] = [
        FlagField::ClaimId,
        FlagField::LineNo,
        FlagField::PatientId,
        FlagField::ProviderId,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagField::ClaimId => "claim_id",
            FlagField::LineNo => "line_no",
            FlagField::PatientId => "patient_id",
            FlagField::ProviderId => "provider_id",
        }
    }

    pub fn from_name(name: &str) -> Option<FlagField> {
        FlagField::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// Where each flag field of a row comes from: a column of the row, or of a
/// row reached by relations (`patient_id = claim.patient_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagsBinding {
    pub grain: Grain,
    /// (field, relation names to follow, column)
    pub fields: Vec<(FlagField, Vec<String>, String)>,
    /// The money a flag on such a row puts in doubt when its rule does not
    /// say (`amount_at_stake = amount`): relation names to follow, column.
    pub amount: Option<(Vec<String>, String)>,
}

/// The name of a flag's amount in a `flags` declaration and in the output.
pub const AMOUNT_AT_STAKE: &str = "amount_at_stake";

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The `flags` declaration of `grain`, the table's own first.
    pub fn flags_of(&self, grain: Grain) -> Option<&FlagsBinding> {
        self.flags
            .iter()
            .chain(&self.more_flags)
            .find(|b| b.grain == grain)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// A named navigation from rows of one table to the row of another with the
/// same key, e.g. `claim_items.claim_id -> claims.claim_id` named `claim`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub name: String,
    pub from_table: String,
    pub from_columns: Vec<String>,
    pub to_table: String,
    /// The key of `to_table`.
    pub to_columns: Vec<String>,
    /// When true a row whose related row is missing is bad input; otherwise
    /// the missing row is a finding and navigation yields null.
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    /// Whether `ordering` (left compared with right) satisfies the operator.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CompareOp::Eq => ordering == Equal,
            CompareOp::Ne => ordering != Equal,
            CompareOp::Lt => ordering == Less,
            CompareOp::Le => ordering != Greater,
            CompareOp::Gt => ordering == Greater,
            CompareOp::Ge => ordering != Less,
        }
    }
}

/// A literal value as written in a schema or rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Literal {
    Int(i64),
    /// Exact decimal written as text, e.g. `0.001`.
    Decimal(String),
    Text(String),
    /// Days since 1970-01-01.
    Date(i32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintOperand {
    Column(String),
    Literal(Literal),
}

impl fmt::Display for ConstraintOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConstraintOperand::Column(name) => write!(f, "{name}"),
            ConstraintOperand::Literal(Literal::Int(v)) => write!(f, "{v}"),
            ConstraintOperand::Literal(Literal::Decimal(v)) => write!(f, "{v}"),
            ConstraintOperand::Literal(Literal::Text(v)) => write!(f, "{v:?}"),
            ConstraintOperand::Literal(Literal::Date(days)) => {
                let date = chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163);
                match date {
                    Some(d) => write!(f, "date \"{d}\""),
                    None => write!(f, "date {days}"),
                }
            }
        }
    }
}

/// A row check `column op operand`; a row where either side is null passes
/// (nullability is checked separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub column: String,
    pub op: CompareOp,
    pub operand: ConstraintOperand,
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.column, self.op.symbol(), self.operand)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub relations: Vec<Relation>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn relation(&self, from_table: &str, name: &str) -> Option<&Relation> {
        self.relations
            .iter()
            .find(|r| r.from_table == from_table && r.name == name)
    }

    pub fn relations_from<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Relation> {
        self.relations.iter().filter(move |r| r.from_table == table)
    }

    /// Tables in an order where every table targeted by a required relation
    /// comes before the tables that refer to it, so references can be checked
    /// while streaming. Ties keep declaration order.
    pub fn tables_in_reference_order(&self) -> Vec<&Table> {
        let mut ordered: Vec<&Table> = Vec::with_capacity(self.tables.len());
        let mut placed = vec![false; self.tables.len()];
        while ordered.len() < self.tables.len() {
            let before = ordered.len();
            for (i, table) in self.tables.iter().enumerate() {
                if placed[i] {
                    continue;
                }
                let ready = self
                    .relations_from(&table.name)
                    .filter(|r| r.required && r.to_table != table.name)
                    .all(|r| ordered.iter().any(|t| t.name == r.to_table));
                if ready {
                    placed[i] = true;
                    ordered.push(table);
                }
            }
            if ordered.len() == before {
                // A cycle of required relations: keep declaration order for the rest.
                for (i, table) in self.tables.iter().enumerate() {
                    if !placed[i] {
                        placed[i] = true;
                        ordered.push(table);
                    }
                }
            }
        }
        ordered
    }
}
