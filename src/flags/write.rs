//! Writing flags as Parquet or JSON Lines, never half-written: each file
//! is written under a temporary name beside the target and renamed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, RecordBatch, StringBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::json;

use super::record::{Flag, flags_arrow_schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlagFormat {
    Parquet,
    Jsonl,
}

/// The flags as one record batch in the contract's schema.
pub fn flags_batch(flags: &[Flag]) -> RecordBatch {
    let text = |f: &dyn Fn(&Flag) -> &str| -> ArrayRef {
        let mut b = StringBuilder::new();
        for flag in flags {
            b.append_value(f(flag));
        }
        Arc::new(b.finish())
    };
    let optional = |f: &dyn Fn(&Flag) -> Option<&str>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for flag in flags {
            b.append_option(f(flag));
        }
        Arc::new(b.finish())
    };
    let mut line_no = Int32Builder::new();
    for flag in flags {
        line_no.append_option(flag.line_no);
    }
    let columns: Vec<ArrayRef> = vec![
        text(&|f| &f.rule_id),
        text(&|f| &f.rule_name),
        text(&|f| &f.category),
        text(&|f| &f.severity),
        text(&|f| &f.action),
        text(&|f| f.grain.as_str()),
        optional(&|f| f.claim_id.as_deref()),
        Arc::new(line_no.finish()),
        optional(&|f| f.patient_id.as_deref()),
        optional(&|f| f.provider_id.as_deref()),
        text(&|f| &f.message),
        text(&|f| &f.evidence),
        text(&|f| &f.ruleset),
        text(&|f| &f.ruleset_version),
        text(&|f| &f.ruleset_hash),
        text(&|f| &f.source),
    ];
    RecordBatch::try_new(flags_arrow_schema(), columns).expect("columns follow the flags schema")
}

/// One flag as a JSON object with the contract's field names.
pub fn flag_json(flag: &Flag) -> serde_json::Value {
    json!({
        "rule_id": flag.rule_id,
        "rule_name": flag.rule_name,
        "category": flag.category,
        "severity": flag.severity,
        "action": flag.action,
        "grain": flag.grain.as_str(),
        "claim_id": flag.claim_id,
        "line_no": flag.line_no,
        "patient_id": flag.patient_id,
        "provider_id": flag.provider_id,
        "message": flag.message,
        "evidence": flag.evidence,
        "ruleset": flag.ruleset,
        "ruleset_version": flag.ruleset_version,
        "ruleset_hash": flag.ruleset_hash,
        "source": flag.source,
    })
}

pub fn write_flags(path: &Path, flags: &[Flag], format: FlagFormat) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::NamedTempFile::new_in(dir)?;
    match format {
        FlagFormat::Parquet => {
            let batch = flags_batch(flags);
            let properties = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .build();
            let mut writer = ArrowWriter::try_new(
                temp.as_file().try_clone()?,
                batch.schema(),
                Some(properties),
            )
            .map_err(std::io::Error::other)?;
            writer.write(&batch).map_err(std::io::Error::other)?;
            writer.close().map_err(std::io::Error::other)?;
        }
        FlagFormat::Jsonl => {
            let mut out = BufWriter::new(temp.as_file().try_clone()?);
            for flag in flags {
                serde_json::to_writer(&mut out, &flag_json(flag))?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    let _ = File::open(dir).and_then(|d| d.sync_all());
    Ok(())
}
