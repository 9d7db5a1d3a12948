//! Runtime columns: the values of one expression for a run of rows.
//!
//! Every operator works on whole columns at a time. Text is borrowed from
//! the loaded data or the ruleset (`'a`), never copied.

use std::cmp::Ordering;

use rust_decimal::Decimal;

/// A three-valued truth value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tri {
    False,
    True,
    Null,
}

impl Tri {
    pub fn from_option(value: Option<bool>) -> Tri {
        match value {
            Some(true) => Tri::True,
            Some(false) => Tri::False,
            None => Tri::Null,
        }
    }

    pub fn is_true(self) -> bool {
        self == Tri::True
    }

    pub fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Null => Tri::Null,
        }
    }

    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Null,
        }
    }

    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Null,
        }
    }
}

/// Lists: elements of all rows in one column, cut by offsets.
#[derive(Debug, Clone)]
pub struct ListCol<'a> {
    /// Row `i` holds elements `offsets[i]..offsets[i + 1]`.
    pub offsets: Vec<u32>,
    pub valid: Vec<bool>,
    pub values: Box<Col<'a>>,
}

impl ListCol<'_> {
    pub fn range(&self, row: usize) -> std::ops::Range<usize> {
        self.offsets[row] as usize..self.offsets[row + 1] as usize
    }
}

#[derive(Debug, Clone)]
pub enum Col<'a> {
    Bool(Vec<Tri>),
    Int(Vec<Option<i64>>),
    Dec(Vec<Option<Decimal>>),
    /// Finite floating-point measures.
    Float(Vec<Option<f64>>),
    Text(Vec<Option<&'a str>>),
    Date(Vec<Option<i32>>),
    Ts(Vec<Option<i64>>),
    List(ListCol<'a>),
    /// Row numbers of a related table (`line.entry`), for `is null`.
    Row(Vec<Option<u32>>),
}

/// One value of a column, for comparisons, grouping and display.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Float(f64),
    Text(&'a str),
    Date(i32),
    Ts(i64),
    /// A list value: a row of a list column.
    List(&'a ListCol<'a>, usize),
    Row(u32),
}

impl<'a> Col<'a> {
    pub fn len(&self) -> usize {
        match self {
            Col::Bool(v) => v.len(),
            Col::Int(v) => v.len(),
            Col::Dec(v) => v.len(),
            Col::Float(v) => v.len(),
            Col::Text(v) => v.len(),
            Col::Date(v) => v.len(),
            Col::Ts(v) => v.len(),
            Col::List(l) => l.valid.len(),
            Col::Row(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_null(&self, row: usize) -> bool {
        match self {
            Col::Bool(v) => v[row] == Tri::Null,
            Col::Int(v) => v[row].is_none(),
            Col::Dec(v) => v[row].is_none(),
            Col::Float(v) => v[row].is_none(),
            Col::Text(v) => v[row].is_none(),
            Col::Date(v) => v[row].is_none(),
            Col::Ts(v) => v[row].is_none(),
            Col::List(l) => !l.valid[row],
            Col::Row(v) => v[row].is_none(),
        }
    }

    pub fn get(&self, row: usize) -> Scalar<'_> {
        match self {
            Col::Bool(v) => match v[row] {
                Tri::Null => Scalar::Null,
                t => Scalar::Bool(t == Tri::True),
            },
            Col::Int(v) => v[row].map_or(Scalar::Null, Scalar::Int),
            Col::Dec(v) => v[row].map_or(Scalar::Null, Scalar::Dec),
            Col::Float(v) => v[row].map_or(Scalar::Null, Scalar::Float),
            Col::Text(v) => v[row].map_or(Scalar::Null, Scalar::Text),
            Col::Date(v) => v[row].map_or(Scalar::Null, Scalar::Date),
            Col::Ts(v) => v[row].map_or(Scalar::Null, Scalar::Ts),
            Col::List(l) => {
                if l.valid[row] {
                    Scalar::List(l, row)
                } else {
                    Scalar::Null
                }
            }
            Col::Row(v) => v[row].map_or(Scalar::Null, Scalar::Row),
        }
    }

    /// The rows `indices` of this column, in that order (`None` gives null).
    pub fn take(&self, indices: &[Option<u32>]) -> Col<'a> {
        fn pick<T: Copy>(values: &[Option<T>], indices: &[Option<u32>]) -> Vec<Option<T>> {
            indices
                .iter()
                .map(|i| i.and_then(|i| values[i as usize]))
                .collect()
        }
        match self {
            Col::Bool(v) => Col::Bool(
                indices
                    .iter()
                    .map(|i| i.map_or(Tri::Null, |i| v[i as usize]))
                    .collect(),
            ),
            Col::Int(v) => Col::Int(pick(v, indices)),
            Col::Dec(v) => Col::Dec(pick(v, indices)),
            Col::Float(v) => Col::Float(pick(v, indices)),
            Col::Text(v) => Col::Text(pick(v, indices)),
            Col::Date(v) => Col::Date(pick(v, indices)),
            Col::Ts(v) => Col::Ts(pick(v, indices)),
            Col::Row(v) => Col::Row(pick(v, indices)),
            Col::List(l) => {
                let mut offsets = Vec::with_capacity(indices.len() + 1);
                let mut valid = Vec::with_capacity(indices.len());
                let mut elements = Vec::new();
                offsets.push(0u32);
                for i in indices {
                    match i {
                        Some(i) if l.valid[*i as usize] => {
                            valid.push(true);
                            elements.extend(l.range(*i as usize).map(|e| Some(e as u32)));
                        }
                        _ => valid.push(false),
                    }
                    offsets.push(elements.len() as u32);
                }
                Col::List(ListCol {
                    offsets,
                    valid,
                    values: Box::new(l.values.take(&elements)),
                })
            }
        }
    }

    /// The same value for `n` rows.
    pub fn repeat(value: Scalar<'a>, like: &Col<'a>, n: usize) -> Col<'a> {
        match (value, like) {
            (Scalar::Bool(b), _) => Col::Bool(vec![Tri::from_option(Some(b)); n]),
            (Scalar::Int(i), _) => Col::Int(vec![Some(i); n]),
            (Scalar::Dec(d), _) => Col::Dec(vec![Some(d); n]),
            (Scalar::Float(x), _) => Col::Float(vec![Some(x); n]),
            (Scalar::Text(t), _) => Col::Text(vec![Some(t); n]),
            (Scalar::Date(d), _) => Col::Date(vec![Some(d); n]),
            (Scalar::Ts(t), _) => Col::Ts(vec![Some(t); n]),
            (Scalar::Row(r), _) => Col::Row(vec![Some(r); n]),
            (Scalar::List(l, row), _) => Col::List(l.clone()).take(&vec![Some(row as u32); n]),
            (Scalar::Null, like) => like.nulls(n),
        }
    }

    /// `n` nulls of this column's kind.
    pub fn nulls(&self, n: usize) -> Col<'a> {
        match self {
            Col::Bool(_) => Col::Bool(vec![Tri::Null; n]),
            Col::Int(_) => Col::Int(vec![None; n]),
            Col::Dec(_) => Col::Dec(vec![None; n]),
            Col::Float(_) => Col::Float(vec![None; n]),
            Col::Text(_) => Col::Text(vec![None; n]),
            Col::Date(_) => Col::Date(vec![None; n]),
            Col::Ts(_) => Col::Ts(vec![None; n]),
            Col::Row(_) => Col::Row(vec![None; n]),
            Col::List(l) => Col::List(ListCol {
                offsets: vec![0; n + 1],
                valid: vec![false; n],
                values: Box::new(l.values.nulls(0)),
            }),
        }
    }

    /// This column's rows followed by `other`'s (of the same kind).
    pub fn concat(&self, other: &Col<'a>) -> Col<'a> {
        fn join<T: Clone>(a: &[T], b: &[T]) -> Vec<T> {
            a.iter().chain(b).cloned().collect()
        }
        match (self, other) {
            (Col::Bool(x), Col::Bool(y)) => Col::Bool(join(x, y)),
            (Col::Int(x), Col::Int(y)) => Col::Int(join(x, y)),
            (Col::Dec(x), Col::Dec(y)) => Col::Dec(join(x, y)),
            (Col::Float(x), Col::Float(y)) => Col::Float(join(x, y)),
            (Col::Text(x), Col::Text(y)) => Col::Text(join(x, y)),
            (Col::Date(x), Col::Date(y)) => Col::Date(join(x, y)),
            (Col::Ts(x), Col::Ts(y)) => Col::Ts(join(x, y)),
            (Col::Row(x), Col::Row(y)) => Col::Row(join(x, y)),
            (Col::List(x), Col::List(y)) => {
                let base = *x.offsets.last().unwrap_or(&0);
                let mut offsets = x.offsets.clone();
                offsets.extend(y.offsets.iter().skip(1).map(|o| o + base));
                Col::List(ListCol {
                    offsets,
                    valid: join(&x.valid, &y.valid),
                    values: Box::new(x.values.concat(&y.values)),
                })
            }
            // An empty column may stand in for any kind (e.g. the values of
            // a list that is null everywhere).
            _ if self.is_empty() => other.clone(),
            _ if other.is_empty() => self.clone(),
            _ => unreachable!("columns of one expression have one kind"),
        }
    }

    pub fn bools(&self) -> &[Tri] {
        match self {
            Col::Bool(v) => v,
            _ => unreachable!("the checker makes conditions boolean"),
        }
    }
}

impl<'a> Scalar<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Scalar::Null)
    }

    fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Scalar::Int(i) => Some(Decimal::from(*i)),
            Scalar::Dec(d) => Some(*d),
            _ => None,
        }
    }

    /// A number as a float: floats meet decimals only as constants the
    /// checker allowed, so the rounding here is the constant's.
    pub fn as_float(&self) -> Option<f64> {
        use rust_decimal::prelude::ToPrimitive;
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Dec(d) => d.to_f64(),
            Scalar::Float(x) => Some(*x),
            _ => None,
        }
    }

    /// Order between two non-null values of comparable types; numbers
    /// compare by value whatever their representation (1.50 = 1.5 = 1.5).
    pub fn compare(&self, other: &Scalar<'a>) -> Ordering {
        match (self, other) {
            (Scalar::Int(a), Scalar::Int(b)) => a.cmp(b),
            // Floats are finite (no NaN), and -0 equals 0.
            (Scalar::Float(_), Scalar::Int(_) | Scalar::Dec(_) | Scalar::Float(_))
            | (Scalar::Int(_) | Scalar::Dec(_), Scalar::Float(_)) => self
                .as_float()
                .partial_cmp(&other.as_float())
                .unwrap_or(Ordering::Equal),
            (Scalar::Int(_) | Scalar::Dec(_), Scalar::Int(_) | Scalar::Dec(_)) => {
                self.as_decimal().cmp(&other.as_decimal())
            }
            (Scalar::Text(a), Scalar::Text(b)) => a.cmp(b),
            (Scalar::Date(a), Scalar::Date(b)) => a.cmp(b),
            (Scalar::Ts(a), Scalar::Ts(b)) => a.cmp(b),
            (Scalar::Bool(a), Scalar::Bool(b)) => a.cmp(b),
            (Scalar::Row(a), Scalar::Row(b)) => a.cmp(b),
            (Scalar::List(la, ra), Scalar::List(lb, rb)) => {
                let (ea, eb) = (la.range(*ra), lb.range(*rb));
                for (x, y) in ea.clone().zip(eb.clone()) {
                    let ord = la.values.get(x).compare_nulls_last(&lb.values.get(y));
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                ea.len().cmp(&eb.len())
            }
            (Scalar::Null, Scalar::Null) => Ordering::Equal,
            (Scalar::Null, _) => Ordering::Greater,
            (_, Scalar::Null) => Ordering::Less,
            // Values of different kinds never meet: the checker types them.
            _ => Ordering::Equal,
        }
    }

    /// Order with nulls after every value (sorting, grouping).
    pub fn compare_nulls_last(&self, other: &Scalar<'a>) -> Ordering {
        self.compare(other)
    }

    /// Text equal for equal values (1.50 and 1.5 alike), for hashing.
    pub fn key_text(&self) -> String {
        match self {
            Scalar::Null => "null".into(),
            Scalar::Bool(b) => format!("b{b}"),
            Scalar::Int(i) => format!("n{}", Decimal::from(*i).normalize()),
            Scalar::Dec(d) => format!("n{}", d.normalize()),
            // `+ 0.0` makes -0 and 0 one key.
            Scalar::Float(x) => format!("f{}", x + 0.0),
            Scalar::Text(t) => format!("t{t}"),
            Scalar::Date(d) => format!("d{d}"),
            Scalar::Ts(t) => format!("s{t}"),
            Scalar::Row(r) => format!("r{r}"),
            Scalar::List(l, row) => format!(
                "l[{}]",
                l.range(*row)
                    .map(|e| l.values.get(e).key_text())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    /// Equality for grouping: nulls equal each other.
    pub fn same(&self, other: &Scalar<'a>) -> bool {
        self.compare(other) == Ordering::Equal
    }
}
