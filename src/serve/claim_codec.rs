//! The stored form of a claim: its values in binary, in the columns'
//! order, under the id of the schema that wrote them; the schema itself
//! is recorded once in the store beside the claims.
//!
//! Reading a claim back is copying values, not parsing text: a check's
//! first read of a long history (after a restart, or when the cache let it
//! go) and an import onto a full store decode thousands of claims. A claim
//! written under another schema (the rules changed since) is read by its
//! columns' names, as its JSON would be, so the same fields fit or fail;
//! claims stored as JSON by earlier versions are read as JSON.
//!
//! Layout: `0xC1`, the schema id (8 bytes, little end), the header's
//! values, the number of lines, each line's values (the lines' claim id
//! left out: it is the header's). A value is a tag byte and its payload;
//! integers are zigzag LEB128, decimals their 16-byte form.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::api::{FieldError, LINES, claim_from_json, claim_to_json, value_to_json};
use super::shape::{Claim, ClaimShape, LinesShape};
use crate::ir::{Table, Value};

const MAGIC: u8 = 0xC1;

/// The schema claims are written under: its id, and the description the
/// store records beside them (each table's columns, by name and type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    pub id: u64,
    pub text: String,
}

/// A recorded schema's columns, by name and type: the header's, then the
/// lines' (the claim's field `lines`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Description {
    header: Vec<(String, String)>,
    /// The lines' columns and which of them is the claim id (left out).
    lines: Option<(Vec<(String, String)>, usize)>,
}

/// How stored bytes are read back: the schemas recorded in the store.
pub type Schemas<'a> = &'a dyn Fn(u64) -> Option<String>;

impl StoredSchema {
    /// The schema of claims with this header table and lines table.
    pub fn of(header: &Table, lines: Option<&LinesShape>) -> StoredSchema {
        let columns = |table: &Table| -> Vec<(String, String)> {
            let typed = table.columns.iter();
            typed
                .map(|c| (c.name.clone(), format!("{:?}", c.ty)))
                .collect()
        };
        let description = Description {
            header: columns(header),
            lines: lines.map(|l| (columns(&l.table), l.claim_fk)),
        };
        let text = serde_json::to_string(&description).expect("a description serializes");
        StoredSchema {
            id: xxhash_rust::xxh3::xxh3_64(text.as_bytes()),
            text,
        }
    }
}

/// The stored form of `claim`.
pub fn encode(shape: &ClaimShape, claim: &Claim) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + claim.size_bytes() / 2);
    out.push(MAGIC);
    out.extend_from_slice(&shape.stored.id.to_le_bytes());
    for value in &claim.header {
        put_value(&mut out, value);
    }
    if let Some(lines) = &shape.lines {
        put_unsigned(&mut out, claim.lines.len() as u64);
        for line in &claim.lines {
            let own = line
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != lines.claim_fk);
            for (_, value) in own {
                put_value(&mut out, value);
            }
        }
    }
    out
}

/// Why stored bytes could not be read as a claim of the current schema.
#[derive(Debug)]
pub enum Unreadable {
    /// The bytes are damaged, or of a schema the store does not record.
    Damaged(String),
    /// Read, but the claim no longer fits the schema (the rules changed).
    Unfit(FieldError),
}

/// Stored bytes as a claim of `shape`.
pub fn decode(shape: &ClaimShape, bytes: &[u8], schemas: Schemas) -> Result<Claim, Unreadable> {
    let json = match open(bytes)? {
        Stored::Binary(id, reader) if id == shape.stored.id => return own_schema(shape, reader),
        Stored::Binary(id, mut reader) => foreign_json(&mut reader, id, schemas)?,
        Stored::Json(json) => json,
    };
    claim_from_json(shape, &json).map_err(Unreadable::Unfit)
}

/// Stored bytes in the claim's JSON form (as its schema names the fields).
pub fn to_json(shape: &ClaimShape, bytes: &[u8], schemas: Schemas) -> Result<Json, Unreadable> {
    match open(bytes)? {
        Stored::Binary(id, reader) if id == shape.stored.id => {
            Ok(claim_to_json(shape, &own_schema(shape, reader)?))
        }
        Stored::Binary(id, mut reader) => foreign_json(&mut reader, id, schemas),
        Stored::Json(json) => Ok(json),
    }
}

/// Stored bytes, opened: binary under a schema id (its values next), or
/// the JSON of an earlier version.
enum Stored<'b> {
    Binary(u64, Reader<'b>),
    Json(Json),
}

fn open(bytes: &[u8]) -> Result<Stored<'_>, Unreadable> {
    if bytes.first() != Some(&MAGIC) {
        let json = serde_json::from_slice(bytes)
            .map_err(|e| Unreadable::Damaged(format!("not a claim: {e}")))?;
        return Ok(Stored::Json(json));
    }
    let mut reader = Reader { bytes, at: 1 };
    let id = u64::from_le_bytes(reader.take(8)?.try_into().expect("8 bytes"));
    Ok(Stored::Binary(id, reader))
}

fn own_schema(shape: &ClaimShape, mut reader: Reader) -> Result<Claim, Unreadable> {
    let header = reader.values(shape.header.columns.len())?;
    let mut lines = Vec::new();
    if let Some(lines_shape) = &shape.lines {
        let claim_id = header.get(shape.claim_id).cloned().unwrap_or(Value::Null);
        let count = reader.unsigned()? as usize;
        let width = lines_shape.table.columns.len();
        lines.reserve(count.min(reader.left()));
        for _ in 0..count {
            let mut line = reader.values(width - 1)?;
            line.insert(lines_shape.claim_fk, claim_id.clone());
            lines.push(line);
        }
    }
    reader.done()?;
    Ok(Claim { header, lines })
}

/// A claim written under another schema, as the JSON object its columns'
/// names make.
fn foreign_json(reader: &mut Reader, id: u64, schemas: Schemas) -> Result<Json, Unreadable> {
    let text = schemas(id)
        .ok_or_else(|| Unreadable::Damaged(format!("schema {id:016x} is not recorded")))?;
    let description: Description = serde_json::from_str(&text)
        .map_err(|e| Unreadable::Damaged(format!("schema {id:016x}: {e}")))?;
    let mut object = Map::new();
    for (name, _) in &description.header {
        object.insert(name.clone(), value_to_json(&reader.value()?));
    }
    if let Some((columns, claim_fk)) = &description.lines {
        let count = reader.unsigned()? as usize;
        let mut items = Vec::with_capacity(count.min(reader.left()));
        for _ in 0..count {
            let mut line = Map::new();
            let own = columns.iter().enumerate().filter(|(i, _)| i != claim_fk);
            for (_, (name, _)) in own {
                line.insert(name.clone(), value_to_json(&reader.value()?));
            }
            items.push(Json::Object(line));
        }
        object.insert(LINES.to_string(), Json::Array(items));
    }
    reader.done()?;
    Ok(Json::Object(object))
}

/// Remembers the schemas `schemas` finds, for reading many claims.
pub fn remembered(schemas: Schemas<'_>) -> impl Fn(u64) -> Option<String> + '_ {
    let seen = std::cell::RefCell::new(HashMap::new());
    move |id| {
        let mut seen = seen.borrow_mut();
        seen.entry(id).or_insert_with(|| schemas(id)).clone()
    }
}

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const DECIMAL: u8 = 4;
const FLOAT: u8 = 5;
const TEXT: u8 = 6;
const DATE: u8 = 7;
const TIMESTAMP: u8 = 8;
const LIST: u8 = 9;

fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(NULL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Int(i) => {
            out.push(INT);
            put_signed(out, *i);
        }
        Value::Decimal(d) => {
            out.push(DECIMAL);
            out.extend_from_slice(&d.serialize());
        }
        Value::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::Text(t) => {
            out.push(TEXT);
            put_unsigned(out, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        Value::Date(d) => {
            out.push(DATE);
            put_signed(out, i64::from(*d));
        }
        Value::Timestamp(ms) => {
            out.push(TIMESTAMP);
            put_signed(out, *ms);
        }
        Value::List(items) => {
            out.push(LIST);
            put_unsigned(out, items.len() as u64);
            for item in items {
                put_value(out, item);
            }
        }
    }
}

fn put_unsigned(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_signed(out: &mut Vec<u8>, n: i64) {
    put_unsigned(out, ((n << 1) ^ (n >> 63)) as u64);
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn damaged(&self, what: &str) -> Unreadable {
        Unreadable::Damaged(format!("{what} at byte {}", self.at))
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Unreadable> {
        if self.left() < n {
            return Err(self.damaged("cut short"));
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, Unreadable> {
        Ok(self.take(1)?[0])
    }

    fn unsigned(&mut self) -> Result<u64, Unreadable> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(self.damaged("an integer too long"))
    }

    fn signed(&mut self) -> Result<i64, Unreadable> {
        let n = self.unsigned()?;
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    fn values(&mut self, n: usize) -> Result<Vec<Value>, Unreadable> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.value()?);
        }
        Ok(out)
    }

    fn value(&mut self) -> Result<Value, Unreadable> {
        Ok(match self.byte()? {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            INT => Value::Int(self.signed()?),
            DECIMAL => {
                let bytes: [u8; 16] = self.take(16)?.try_into().expect("16 bytes");
                Value::Decimal(Decimal::deserialize(bytes))
            }
            FLOAT => Value::Float(f64::from_le_bytes(
                self.take(8)?.try_into().expect("8 bytes"),
            )),
            TEXT => {
                let len = self.unsigned()? as usize;
                let at = self.at;
                let text = std::str::from_utf8(self.take(len)?)
                    .map_err(|_| Unreadable::Damaged(format!("text not UTF-8 at byte {at}")))?;
                Value::Text(text.to_string())
            }
            DATE => Value::Date(
                i32::try_from(self.signed()?).map_err(|_| self.damaged("a date out of range"))?,
            ),
            TIMESTAMP => Value::Timestamp(self.signed()?),
            LIST => {
                let len = self.unsigned()? as usize;
                let mut items = Vec::with_capacity(len.min(self.left()));
                for _ in 0..len {
                    items.push(self.value()?);
                }
                Value::List(items)
            }
            _ => return Err(self.damaged("an unknown value tag")),
        })
    }

    fn done(&self) -> Result<(), Unreadable> {
        if self.left() == 0 {
            Ok(())
        } else {
            Err(self.damaged("bytes left over"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_shipped;
    use crate::serve::api::claim_to_json;

    fn shape_of(checked: &crate::check::Checked) -> ClaimShape {
        ClaimShape::of(checked.ruleset.as_ref().unwrap()).unwrap()
    }

    fn sample() -> Json {
        serde_json::json!({
            "claim_id": "C1", "patient_id": "P01", "provider_id": "H3",
            "visit_type": "outpatient", "admit_date": "2024-03-01",
            "discharge_date": "2024-03-02", "primary_dx": "J06.900",
            "secondary_dx": ["E11.900", "I10.x00"],
            "total_amount": "40.50", "fund_amount": "28.00",
            "settle_time": "2024-03-02 10:00:00", "treat_region": "330100",
            "lines": [
                {"line_no": 1, "item_code": "110200001", "item_type": "service",
                 "service_date": "2024-03-01", "quantity": "1.5", "unit_price": "20.0000",
                 "amount": "30.00", "doctor_id": "DR001", "days_supply": 7},
                {"line_no": 2, "item_code": "X-\u{836f}", "item_type": "drug",
                 "service_date": "2024-03-02", "quantity": "2", "unit_price": "-5.2500",
                 "amount": "-10.50", "doctor_id": "DR002", "days_supply": null}
            ]
        })
    }

    #[test]
    fn a_claim_reads_back_as_it_was_written() {
        let checked = check_shipped();
        let shape = shape_of(&checked);
        let claim = claim_from_json(&shape, &sample()).unwrap();
        let none: Schemas = &|_| None;
        let bytes = encode(&shape, &claim);
        assert_eq!(bytes[0], MAGIC);
        assert_eq!(decode(&shape, &bytes, none).unwrap(), claim);
        assert_eq!(
            to_json(&shape, &bytes, none).unwrap(),
            claim_to_json(&shape, &claim)
        );
        // As JSON (stores written by earlier versions): the same claim.
        let legacy = serde_json::to_vec(&claim_to_json(&shape, &claim)).unwrap();
        assert_eq!(decode(&shape, &legacy, none).unwrap(), claim);
        // Every value kind, lists among them, round trips.
        let mut odd = claim.clone();
        odd.header[2] = Value::List(vec![Value::Int(-1), Value::Float(2.5), Value::Null]);
        odd.header[3] = Value::Timestamp(-86_400_001);
        odd.header[4] = Value::Bool(true);
        let bytes = encode(&shape, &odd);
        assert_eq!(decode(&shape, &bytes, none).unwrap(), odd);
        // Damage is reported, never a wrong claim.
        for cut in 1..bytes.len() {
            assert!(decode(&shape, &bytes[..cut], none).is_err(), "{cut}");
        }
    }

    #[test]
    fn a_claim_of_another_schema_is_read_by_its_columns_names() {
        let shipped = check_shipped();
        let old = shape_of(&shipped);
        let claim = claim_from_json(&old, &sample()).unwrap();
        let bytes = encode(&old, &claim);
        // The rules changed: the header has a new nullable column.
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (path, text) in crate::check::shipped::SHIPPED {
            let mut text = text.to_string();
            if path.ends_with("schema.rules") {
                let changed = text.replacen(
                    "  treat_region",
                    "  referral_no     text nullable \"转诊单号\"\n  treat_region",
                    1,
                );
                assert_ne!(changed, text);
                text = changed;
            }
            let file = dir.path().join(path.rsplit('/').next().unwrap());
            std::fs::write(&file, text).unwrap();
            paths.push(file);
        }
        let checked = crate::check::check_paths(&paths).unwrap();
        assert_eq!(checked.errors(), 0);
        let new = shape_of(&checked);
        assert_ne!(new.stored.id, old.stored.id);
        let schemas = |id: u64| (id == old.stored.id).then(|| old.stored.text.clone());
        let read = decode(&new, &bytes, &schemas).unwrap();
        let want = claim_from_json(&new, &sample()).unwrap();
        assert_eq!(read, want);
        // Its JSON is as it was written.
        assert_eq!(
            to_json(&new, &bytes, &schemas).unwrap(),
            claim_to_json(&old, &claim)
        );
        // A schema the store does not record: damaged, not guessed.
        assert!(matches!(
            decode(&new, &bytes, &|_| None),
            Err(Unreadable::Damaged(_))
        ));
    }
}
