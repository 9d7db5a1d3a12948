//! Reading a flags file back, as `scan` wrote it: Parquet or JSON Lines,
//! told by the content. Flags come one at a time, so a report over millions
//! of flags never holds them all.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;
use std::sync::Arc;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use super::record::{Flag, Grain, try_flags_from_batch};

/// Calls `each` with every flag of the file at `path`, in file order, and
/// returns how many there were. An unreadable file, or a row that is not a
/// flag, stops with a message naming the file and the row or line.
pub fn for_each_flag(
    path: &Path,
    each: &mut dyn FnMut(Flag) -> Result<(), String>,
) -> Result<u64, String> {
    let shown = path.display();
    let mut file = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut magic = [0u8; 4];
    let is_parquet = file.read_exact(&mut magic).is_ok() && &magic == b"PAR1";
    file.rewind().map_err(|e| format!("{shown}: {e}"))?;
    if is_parquet {
        read_parquet(path, file, each)
    } else {
        read_jsonl(path, file, each)
    }
}

/// The flags in a Parquet flags file, from its metadata, without reading
/// them; `None` for JSON Lines (counted only by reading).
pub fn count_flags(path: &Path) -> Option<u64> {
    let file = File::open(path).ok()?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).ok()?;
    let rows = builder.metadata().file_metadata().num_rows();
    u64::try_from(rows).ok()
}

fn read_parquet(
    path: &Path,
    file: File,
    each: &mut dyn FnMut(Flag) -> Result<(), String>,
) -> Result<u64, String> {
    let shown = path.display();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| format!("{shown}: not a readable Parquet file: {e}"))?;
    let mut count = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| format!("{shown}: {e}"))?;
        let flags = try_flags_from_batch(&batch).map_err(|_| {
            format!("{shown}: not a flags file: its columns are not those `claimaudit scan` writes")
        })?;
        for flag in flags {
            count += 1;
            each(flag)?;
        }
    }
    Ok(count)
}

fn read_jsonl(
    path: &Path,
    file: File,
    each: &mut dyn FnMut(Flag) -> Result<(), String>,
) -> Result<u64, String> {
    let shown = path.display();
    let mut shared = Shared::default();
    let mut count = 0u64;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{shown}: line {}: {e}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let flag = serde_json::from_str::<Value>(&line)
            .map_err(|e| e.to_string())
            .and_then(|v| flag_from_json(&v, &mut shared))
            .map_err(|e| format!("{shown}: line {}: not a flag: {e}", n + 1))?;
        count += 1;
        each(flag)?;
    }
    Ok(count)
}

/// What every flag of a rule repeats is made once, as a scan shares it.
#[derive(Default)]
struct Shared(HashMap<String, Arc<str>>);

impl Shared {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(made) = self.0.get(text) {
            return made.clone();
        }
        let made: Arc<str> = text.into();
        self.0.insert(text.to_owned(), made.clone());
        made
    }
}

/// The inverse of [`flag_json`](super::write::flag_json).
fn flag_from_json(v: &Value, shared: &mut Shared) -> Result<Flag, String> {
    let text = |name: &str| -> Result<&str, String> {
        v.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{name}` is missing or not text"))
    };
    let optional_text = |name: &str| -> Result<Option<String>, String> {
        match v.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("`{name}` is not text")),
        }
    };
    let grain = Grain::from_name(text("grain")?)
        .ok_or_else(|| format!("`grain` is `{}`", text("grain").unwrap_or("")))?;
    let line_no = match v.get("line_no") {
        None | Some(Value::Null) => None,
        Some(n) => Some(
            n.as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or("`line_no` is not a line number")?,
        ),
    };
    let amount_at_stake = match v.get("amount_at_stake") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            s.parse::<rust_decimal::Decimal>()
                .map_err(|_| format!("`amount_at_stake` `{s}` is not a decimal"))?,
        ),
        Some(_) => return Err("`amount_at_stake` is not a decimal string".into()),
    };
    let evidence = match v.get("evidence") {
        Some(Value::String(s)) => s.clone(),
        Some(object) => object.to_string(),
        None => return Err("`evidence` is missing".into()),
    };
    Ok(Flag {
        rule_id: shared.get(text("rule_id")?),
        rule_name: shared.get(text("rule_name")?),
        category: shared.get(text("category")?),
        severity: shared.get(text("severity")?),
        action: shared.get(text("action")?),
        grain,
        claim_id: optional_text("claim_id")?,
        line_no,
        patient_id: optional_text("patient_id")?,
        provider_id: optional_text("provider_id")?,
        message: text("message")?.to_owned(),
        amount_at_stake,
        evidence,
        ruleset: shared.get(text("ruleset")?),
        ruleset_version: shared.get(text("ruleset_version")?),
        ruleset_hash: shared.get(text("ruleset_hash")?),
        source: shared.get(text("source")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::write::{FlagFormat, write_flags};

    fn flag(claim: &str, amount: &str) -> Flag {
        Flag {
            rule_id: "DUP-01".into(),
            rule_name: "重复收费".into(),
            category: "duplicate_billing".into(),
            severity: "high".into(),
            action: "review".into(),
            grain: Grain::Line,
            claim_id: Some(claim.into()),
            line_no: Some(2),
            patient_id: Some("P1".into()),
            provider_id: None,
            message: "twice".into(),
            amount_at_stake: Some(amount.parse().unwrap()),
            evidence: r#"{"values":{"count()":2}}"#.into(),
            ruleset: "r".into(),
            ruleset_version: "1".into(),
            ruleset_hash: "h".into(),
            source: "a.rules:1".into(),
        }
    }

    fn read_all(path: &Path) -> Result<Vec<Flag>, String> {
        let mut out = Vec::new();
        for_each_flag(path, &mut |f| {
            out.push(f);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn both_formats_read_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let flags = vec![flag("C1", "12.50"), flag("C2", "0.01")];
        for (name, format) in [
            ("f.parquet", FlagFormat::Parquet),
            ("f.jsonl", FlagFormat::Jsonl),
        ] {
            let path = dir.path().join(name);
            write_flags(&path, &flags, format).unwrap();
            assert_eq!(read_all(&path).unwrap(), flags, "{name}");
        }
    }

    #[test]
    fn a_line_that_is_not_a_flag_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        std::fs::write(&path, "{\"rule_id\": 3}\n").unwrap();
        let error = read_all(&path).unwrap_err();
        assert!(error.contains("line 1: not a flag"), "{error}");
    }
}
