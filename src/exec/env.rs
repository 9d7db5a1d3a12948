//! What rules run against: the loaded tables, the lookups along relations,
//! parameter values and sets.

use std::collections::{HashMap, HashSet};

/// A map keyed by names or small values on a check's path: hashed with
/// foldhash, not SipHash (no key comes from a client).
pub type FastMap<K, V> = foldhash::HashMap<K, V>;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Date32Type, Decimal64Type, Decimal128Type, Float64Type, Int16Type, Int32Type,
    Int64Type, TimestampMillisecondType,
};
use regex::Regex;
use rust_decimal::Decimal;

use super::col::{Col, ListCol, Scalar, Tri};
use super::tables::Lookups;
use crate::ir::{
    FlagField, FlagsBinding, Grain, ParamValue, Ruleset, Schema, TExpr, TExprKind, Type, Value, Var,
};
use crate::syntax::Span;

/// The row of each key value of a table, by a 64-bit hash of the key (8
/// bytes a row, not a copy of every key); a found row is checked against
/// the key, and the rare keys whose hash an earlier key took are kept whole.
pub struct KeyIndex {
    columns: Vec<String>,
    by_hash: HashMap<u64, u32, foldhash::fast::RandomState>,
    collided: HashMap<String, u32>,
    /// No key appears twice, so a row whose key equals a probe is the row
    /// the index would give (lets a probe try a nearby row first).
    unique: bool,
}

impl KeyIndex {
    fn build(frame: &Frame, columns: &[String]) -> KeyIndex {
        let mut index = KeyIndex {
            columns: columns.to_vec(),
            by_hash: HashMap::with_capacity_and_hasher(frame.rows(), Default::default()),
            collided: HashMap::new(),
            unique: true,
        };
        let add = |index: &mut KeyIndex, row: usize, key: &str| {
            let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
            match index.by_hash.get(&hash) {
                None => {
                    index.by_hash.insert(hash, row as u32);
                }
                // The same key again (a duplicate the loader reported): keep the first.
                Some(&first) if index.key_at(frame, first as usize).as_deref() == Some(key) => {
                    index.unique = false;
                }
                Some(_) => {
                    if index.collided.contains_key(key) {
                        index.unique = false;
                    }
                    index.collided.entry(key.to_string()).or_insert(row as u32);
                }
            }
        };
        if let Some(text) = single_text_key(frame, columns) {
            for (row, key) in text.iter().enumerate() {
                if let Some(key) = key {
                    add(&mut index, row, key);
                }
            }
        } else {
            for (row, key) in key_texts(frame, columns).into_iter().enumerate() {
                if let Some(key) = key {
                    add(&mut index, row, &key);
                }
            }
        }
        index
    }

    fn key_at(&self, frame: &Frame, row: usize) -> Option<String> {
        match single_text_key(frame, &self.columns) {
            Some(text) => text.is_valid(row).then(|| text.value(row).to_string()),
            None => row_key_text(frame, &self.columns, row),
        }
    }

    /// The row whose key is `key` (as [`key_texts`] writes keys).
    pub fn find(&self, frame: &Frame, key: &str) -> Option<u32> {
        self.find_in(frame, single_text_key(frame, &self.columns), key)
    }

    /// A prober for many keys: the key column resolved once, and each
    /// probe tried first against the row after the previous probe's (keys
    /// exported in the target's order then need no hashing).
    pub fn prober<'i>(&'i self, frame: &'i Frame) -> Prober<'i> {
        Prober {
            index: self,
            frame,
            text: single_text_key(frame, &self.columns),
            near: Near::default(),
        }
    }

    fn find_in(
        &self,
        frame: &Frame,
        text: Option<&arrow::array::StringArray>,
        key: &str,
    ) -> Option<u32> {
        let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
        let row = *self.by_hash.get(&hash)?;
        let matches = match text {
            Some(text) => text.is_valid(row as usize) && text.value(row as usize) == key,
            None => row_key_text(frame, &self.columns, row as usize).as_deref() == Some(key),
        };
        if matches {
            Some(row)
        } else {
            self.collided.get(key).copied()
        }
    }
}

/// Probes a [`KeyIndex`] for a run of keys; see [`KeyIndex::prober`].
pub struct Prober<'i> {
    index: &'i KeyIndex,
    frame: &'i Frame,
    /// The key column, when it is one text column.
    text: Option<&'i arrow::array::StringArray>,
    near: Near,
}

impl Prober<'_> {
    /// The row whose key is `key`, as [`KeyIndex::find`] gives it.
    pub fn find(&mut self, key: &str) -> Option<u32> {
        // A key that appears twice is found at its first row only.
        if let (Some(text), true) = (self.text, self.index.unique)
            && let Some(row) = self.near.find(text, key)
        {
            return Some(row);
        }
        let found = self.index.find_in(self.frame, self.text, key);
        self.near.found(found);
        found
    }
}

/// The last row a run of probes found and the one after it, tried before
/// the hash: a claim's lines together, in data written in its targets'
/// order, then need no hashing. Tried while it pays: after a few misses in
/// a row (rows in no order, where each try is a cache miss for nothing),
/// only now and then. For unique keys only: a row found nearby is then
/// the row the key names.
#[derive(Default)]
pub(super) struct Near {
    last: Option<u32>,
    misses: u32,
}

/// Misses in a row after which the rows near the last are tried only
/// every [`RETRY_EVERY`] probes.
const NEAR_MISSES: u32 = 8;
const RETRY_EVERY: u32 = 256;

impl Near {
    /// The last row found or the one after it, when its key is `key`.
    pub(super) fn find(&mut self, targets: &arrow::array::StringArray, key: &str) -> Option<u32> {
        let last = self.last? as usize;
        if self.misses >= NEAR_MISSES && !self.misses.is_multiple_of(RETRY_EVERY) {
            self.misses += 1;
            return None;
        }
        for row in [last, last + 1] {
            if row < targets.len() && targets.is_valid(row) && targets.value(row) == key {
                self.misses = 0;
                self.last = Some(row as u32);
                return Some(row as u32);
            }
        }
        self.misses += 1;
        None
    }

    /// Where the probe that missed nearby found its row, if anywhere.
    pub(super) fn found(&mut self, row: Option<u32>) {
        if row.is_some() {
            self.last = row;
        }
    }
}

/// The key column when the key is one text column.
pub(super) fn single_text_key<'f>(
    frame: &'f Frame,
    columns: &[String],
) -> Option<&'f arrow::array::StringArray> {
    let [column] = columns else { return None };
    let array = frame.column(column)?;
    (array.data_type() == &DataType::Utf8).then(|| array.as_string::<i32>())
}

/// The key text of one row (composite keys).
fn row_key_text(frame: &Frame, columns: &[String], row: usize) -> Option<String> {
    let mut key = String::new();
    for name in columns {
        let array = frame.column(name)?;
        let values = column_values(array, &[Some(row as u32)]);
        let value = values.get(0);
        if value.is_null() {
            return None;
        }
        key.push_str(&value.key_text());
        key.push('\u{1f}');
    }
    Some(key)
}

/// Loaded tables by name, as frames.
pub type Frames = FastMap<String, Arc<Frame>>;
/// Loaded tables and the lookups along their relations.
pub type Prepared = (Frames, Lookups);

/// One table, loaded: the columns rules read, all rows.
pub struct Frame {
    pub name: String,
    pub batch: RecordBatch,
    /// The row of each key, built the first time a relation looks into
    /// this table and kept (reference tables serve many real-time checks).
    key_index: std::sync::OnceLock<KeyIndex>,
    /// Indexes `match` builds on this (knowledge) table, by the columns
    /// they compare, built once and kept like the key index.
    known_indexes: std::sync::Mutex<HashMap<String, Arc<super::known::KnownIndex>>>,
}

impl Frame {
    pub fn new(name: &str, batch: RecordBatch) -> Frame {
        Frame {
            name: name.to_string(),
            batch,
            key_index: std::sync::OnceLock::new(),
            known_indexes: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The index named `name`, built by `build` the first time it is asked for.
    pub fn known_index(
        &self,
        name: &str,
        build: impl FnOnce() -> super::known::KnownIndex,
    ) -> Arc<super::known::KnownIndex> {
        let mut indexes = self
            .known_indexes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(
            indexes
                .entry(name.to_string())
                .or_insert_with(|| Arc::new(build())),
        )
    }

    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// The first row of each value of `columns` (the table's key), by [`key_of`].
    pub fn key_index(&self, columns: &[String]) -> &KeyIndex {
        self.key_index
            .get_or_init(|| KeyIndex::build(self, columns))
    }

    pub fn column(&self, name: &str) -> Option<&ArrayRef> {
        self.batch.column_by_name(name)
    }
}

/// The key text of each row over `columns`: a single text key as itself,
/// other keys as the normalized text of each value; `None` where any is null.
pub fn key_texts(frame: &Frame, columns: &[String]) -> Vec<Option<String>> {
    let arrays: Vec<&ArrayRef> = columns.iter().filter_map(|c| frame.column(c)).collect();
    let rows = frame.rows();
    if arrays.len() != columns.len() {
        return vec![None; rows];
    }
    if let [single] = arrays.as_slice()
        && single.data_type() == &DataType::Utf8
    {
        return single
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
    }
    let all: Vec<Option<u32>> = (0..rows as u32).map(Some).collect();
    let values: Vec<Col<'_>> = arrays.iter().map(|a| column_values(a, &all)).collect();
    (0..rows)
        .map(|i| {
            let mut key = String::new();
            for v in &values {
                let value = v.get(i);
                if value.is_null() {
                    return None;
                }
                key.push_str(&value.key_text());
                key.push('\u{1f}');
            }
            Some(key)
        })
        .collect()
}

/// The values of `array` at `indices` (`None` gives null).
pub fn column_values<'a>(array: &'a ArrayRef, indices: &[Option<u32>]) -> Col<'a> {
    fn pick<T>(
        indices: &[Option<u32>],
        array: &dyn Array,
        value: impl Fn(usize) -> T,
    ) -> Vec<Option<T>> {
        // The validity bitmap is read directly (or not at all when the
        // column has no nulls), not through a virtual call for each row.
        match array.nulls() {
            None => indices
                .iter()
                .map(|i| i.map(|i| value(i as usize)))
                .collect(),
            Some(nulls) => indices
                .iter()
                .map(|i| match i {
                    Some(i) if nulls.is_valid(*i as usize) => Some(value(*i as usize)),
                    _ => None,
                })
                .collect(),
        }
    }
    match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            Col::Text(pick(indices, a, |i| a.value(i)))
        }
        DataType::Int32 => {
            let a = array.as_primitive::<Int32Type>();
            Col::Int(pick(indices, a, |i| a.value(i) as i64))
        }
        DataType::Int64 => {
            let a = array.as_primitive::<Int64Type>();
            Col::Int(pick(indices, a, |i| a.value(i)))
        }
        DataType::Decimal128(_, scale) => {
            let a = array.as_primitive::<Decimal128Type>();
            let scale = *scale as u32;
            Col::Dec(pick(indices, a, |i| {
                Decimal::from_i128_with_scale(a.value(i), scale)
            }))
        }
        DataType::Decimal64(_, scale) => {
            let a = array.as_primitive::<Decimal64Type>();
            let scale = *scale as u32;
            Col::Dec(pick(indices, a, |i| Decimal::new(a.value(i), scale)))
        }
        DataType::Dictionary(key, value)
            if **key == DataType::Int16 && **value == DataType::Utf8 =>
        {
            let a = array.as_dictionary::<Int16Type>();
            let (keys, values) = (a.keys(), a.values().as_string::<i32>());
            Col::Text(pick(indices, a, |i| values.value(keys.value(i) as usize)))
        }
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            Col::Float(pick(indices, a, |i| a.value(i)))
        }
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>();
            Col::Date(pick(indices, a, |i| a.value(i)))
        }
        DataType::Timestamp(..) => {
            let a = array.as_primitive::<TimestampMillisecondType>();
            Col::Ts(pick(indices, a, |i| a.value(i)))
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            Col::Bool(
                indices
                    .iter()
                    .map(|i| match i {
                        Some(i) if a.is_valid(*i as usize) => {
                            Tri::from_option(Some(a.value(*i as usize)))
                        }
                        _ => Tri::Null,
                    })
                    .collect(),
            )
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let mut offsets = Vec::with_capacity(indices.len() + 1);
            let mut valid = Vec::with_capacity(indices.len());
            let mut elements = Vec::new();
            offsets.push(0u32);
            let value_offsets = list.value_offsets();
            for i in indices {
                match i {
                    Some(i) if list.is_valid(*i as usize) => {
                        valid.push(true);
                        let (start, end) =
                            (value_offsets[*i as usize], value_offsets[*i as usize + 1]);
                        elements.extend((start..end).map(|e| Some(e as u32)));
                    }
                    _ => valid.push(false),
                }
                offsets.push(elements.len() as u32);
            }
            Col::List(ListCol {
                offsets,
                valid,
                values: Box::new(column_values(list.values(), &elements)),
            })
        }
        other => unreachable!("the loader gives only contract types, not {other}"),
    }
}

pub fn scalar_of(value: &Value) -> Scalar<'_> {
    match value {
        Value::Null => Scalar::Null,
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Int(i) => Scalar::Int(*i),
        Value::Decimal(d) => Scalar::Dec(*d),
        Value::Float(x) => Scalar::Float(*x),
        Value::Text(t) => Scalar::Text(t),
        Value::Date(d) => Scalar::Date(*d),
        Value::Timestamp(t) => Scalar::Ts(*t),
        Value::List(_) => Scalar::Null,
    }
}

/// A set of constants, for `in`.
pub struct ValueSet<'a> {
    texts: HashSet<&'a str>,
    numbers: Vec<Decimal>,
    others: Vec<Scalar<'a>>,
}

impl<'a> ValueSet<'a> {
    pub fn new(values: &'a [Value]) -> ValueSet<'a> {
        let mut set = ValueSet {
            texts: HashSet::new(),
            numbers: Vec::new(),
            others: Vec::new(),
        };
        for v in values {
            match scalar_of(v) {
                Scalar::Text(t) => {
                    set.texts.insert(t);
                }
                Scalar::Int(i) => set.numbers.push(Decimal::from(i)),
                Scalar::Dec(d) => set.numbers.push(d),
                other => set.others.push(other),
            }
        }
        set
    }

    pub fn contains(&self, value: &Scalar<'_>) -> bool {
        match value {
            Scalar::Text(t) => self.texts.contains(t),
            Scalar::Int(i) => self.numbers.contains(&Decimal::from(*i)),
            Scalar::Dec(d) => self.numbers.contains(d),
            Scalar::Float(_) => {
                let numbers = self.numbers.iter().map(|d| Scalar::Dec(*d));
                numbers
                    .chain(self.others.iter().copied())
                    .any(|o| o.same(value))
            }
            other => self.others.iter().any(|o| o.same(other)),
        }
    }
}

/// How flags at another grain name what a row belongs to.
pub struct FlagsAs {
    pub fields: Vec<(FlagField, TExpr)>,
    pub amount: Option<TExpr>,
}

/// What a run reads of the ruleset besides its rules, worked out once per
/// compiled ruleset (a real-time check would otherwise build it, regular
/// expressions included, on every check).
pub struct RulesetConsts<'a> {
    pub sets: FastMap<&'a str, ValueSet<'a>>,
    pub patterns: FastMap<&'a str, Regex>,
    /// For each table rules may flag: how to read each flag field of a row.
    pub identities: FastMap<String, Vec<(FlagField, TExpr)>>,
    /// For each table whose `flags` declare one, the expression of a
    /// flagged row's amount at stake (used when the rule gives none).
    pub amounts: FastMap<String, TExpr>,
    /// A table's further `flags` declarations, by grain: the flag fields
    /// and amount of what a row belongs to (`flag provider when`).
    pub flags_as: FastMap<(String, Grain), FlagsAs>,
    /// For each table: its key columns, which break ties when rows are ordered.
    pub key_exprs: FastMap<String, Vec<TExpr>>,
    /// For each table: every column, by name (knowledge rows are named in
    /// evidence by all their columns).
    pub column_exprs: FastMap<String, Vec<(String, TExpr)>>,
    /// For each rule (by id): the texts its flags repeat, shared by them.
    pub rule_texts: FastMap<&'a str, [std::sync::Arc<str>; 9]>,
}

/// Everything a run needs besides the rules: data, lookups, constants.
pub struct Env<'a> {
    pub schema: &'a Schema,
    pub frames: Frames,
    /// (table, relation) -> for each row of the table, the related row.
    pub lookups: Lookups,
    pub params: FastMap<&'a str, &'a ParamValue>,
    /// The ruleset's sets, patterns and flag expressions.
    pub consts: Arc<RulesetConsts<'a>>,
    /// Only flags naming this claim are rendered (a real-time check: the
    /// history's own flags are not wanted, and rendering them is most of
    /// the cost).
    pub only_claim: Option<String>,
    /// Text the rules compute (`upper`, `concat`, ...), kept with the data.
    pub texts: super::functions::TextStore,
    /// Whether the run spreads over the current pool (a scan) or stays on
    /// the caller's thread (a real-time check; see `par.rs`).
    pub parallel: bool,
    /// In a real-time check, the rows each rule reads (its look-back).
    pub reach: Option<&'a super::realtime::Reach>,
    /// In a scan's partition, where flags go before it ends when they
    /// outgrow their share of memory.
    pub flags_out: Option<&'a super::flag_overflow::FlagOverflow<'a>>,
}

impl<'a> RulesetConsts<'a> {
    pub fn new(ruleset: &'a Ruleset) -> RulesetConsts<'a> {
        let sets = ruleset
            .sets
            .iter()
            .map(|s| (s.name.as_str(), ValueSet::new(&s.values)))
            .collect();
        let mut patterns = FastMap::default();
        for rule in &ruleset.rules {
            for expr in rule.exprs() {
                expr.walk(&mut |e| {
                    if let TExprKind::Matches { pattern, .. } = &e.kind
                        && let Ok(re) = Regex::new(pattern)
                    {
                        patterns.insert(pattern.as_str(), re);
                    }
                });
            }
        }
        let identities = ruleset
            .schema
            .tables
            .iter()
            .filter_map(|t| {
                Some((
                    t.name.clone(),
                    identity_exprs(&ruleset.schema, &t.name, t.flags.as_ref()?),
                ))
            })
            .collect();
        let amount_expr = |table: &str, binding: &FlagsBinding| {
            let (relations, column) = binding.amount.as_ref()?;
            TExpr::row_column(&ruleset.schema, table, relations, column)
        };
        let amounts = ruleset
            .schema
            .tables
            .iter()
            .filter_map(|t| Some((t.name.clone(), amount_expr(&t.name, t.flags.as_ref()?)?)))
            .collect();
        let flags_as = ruleset
            .schema
            .tables
            .iter()
            .flat_map(|t| t.more_flags.iter().map(move |b| (t, b)))
            .map(|(t, b)| {
                let fields = identity_exprs(&ruleset.schema, &t.name, b);
                let key = (t.name.clone(), b.grain);
                (
                    key,
                    FlagsAs {
                        fields,
                        amount: amount_expr(&t.name, b),
                    },
                )
            })
            .collect();
        let key_exprs = ruleset
            .schema
            .tables
            .iter()
            .map(|t| {
                let keys = t
                    .key
                    .iter()
                    .flatten()
                    .filter_map(|k| {
                        let column = t.column(k)?;
                        let kind = TExprKind::Column {
                            var: Var::Row,
                            path: Vec::new(),
                            column: k.clone(),
                        };
                        Some(TExpr::new(
                            kind,
                            Type::of_column(&column.ty),
                            Span::default(),
                        ))
                    })
                    .collect();
                (t.name.clone(), keys)
            })
            .collect();
        let column_exprs = ruleset
            .schema
            .tables
            .iter()
            .map(|t| {
                let columns = t
                    .columns
                    .iter()
                    .filter_map(|c| {
                        let expr = TExpr::row_column(&ruleset.schema, &t.name, &[], &c.name)?;
                        Some((c.name.clone(), expr))
                    })
                    .collect();
                (t.name.clone(), columns)
            })
            .collect();
        let rule_texts = ruleset
            .rules
            .iter()
            .map(|r| (r.id.as_str(), super::output::rule_texts(ruleset, r)))
            .collect();
        RulesetConsts {
            sets,
            patterns,
            identities,
            flags_as,
            amounts,
            key_exprs,
            column_exprs,
            rule_texts,
        }
    }
}

impl<'a> Env<'a> {
    /// `overrides` replace parameters (a rule test's `with`); `consts` are
    /// [`RulesetConsts::new`] of the same ruleset.
    pub fn new(
        ruleset: &'a Ruleset,
        consts: Arc<RulesetConsts<'a>>,
        frames: impl IntoIterator<Item = (String, Arc<Frame>)>,
        lookups: Lookups,
        overrides: &'a [(String, ParamValue)],
    ) -> Env<'a> {
        let frames = frames.into_iter().collect();
        let mut params: FastMap<&str, &ParamValue> = ruleset
            .params
            .iter()
            .map(|p| (p.name.as_str(), &p.value))
            .collect();
        for (name, value) in overrides {
            params.insert(name.as_str(), value);
        }
        Env {
            schema: &ruleset.schema,
            frames,
            lookups,
            params,
            consts,
            only_claim: None,
            texts: Default::default(),
            parallel: true,
            reach: None,
            flags_out: None,
        }
    }

    pub fn frame(&self, table: &str) -> &Frame {
        self.frames
            .get(table)
            .map(|f| f.as_ref())
            .expect("the plan loads every table a rule reads")
    }
}

/// Expressions reading each flag field of a row of `table`.
fn identity_exprs(schema: &Schema, table: &str, binding: &FlagsBinding) -> Vec<(FlagField, TExpr)> {
    // The checker resolved every field's path; a field is read as the
    // flags output holds it (a line number, else text).
    binding
        .fields
        .iter()
        .filter_map(|(field, relations, column)| {
            let mut expr = TExpr::row_column(schema, table, relations, column)?;
            expr.ty = match field {
                FlagField::LineNo => Type::Int,
                _ => Type::Text,
            };
            Some((*field, expr))
        })
        .collect()
}
