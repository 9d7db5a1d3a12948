//! Writing flags as Parquet or JSON Lines, never half-written: each file
//! is written under a temporary name beside the target and renamed.

use std::borrow::Borrow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Decimal128Array, Int32Array, RecordBatch, StringBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::record::{
    AMOUNT_PRECISION, AMOUNT_SCALE, Flag, flags_arrow_schema, try_flags_from_batch,
};
use super::rule_table::RULE_COLUMNS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlagFormat {
    Parquet,
    Jsonl,
}

/// The flags as one record batch in the contract's schema.
pub fn flags_batch(flags: &[Flag]) -> RecordBatch {
    let text = |f: &dyn Fn(&Flag) -> &str| text_column(flags, &|flag| Some(f(flag)));
    let optional = |f: &dyn Fn(&Flag) -> Option<&str>| text_column(flags, f);
    let columns: Vec<ArrayRef> = vec![
        text(&|f| &f.rule_id),
        text(&|f| &f.rule_name),
        text(&|f| &f.category),
        text(&|f| &f.severity),
        text(&|f| &f.action),
        text(&|f| f.grain.as_str()),
        optional(&|f| f.claim_id.as_deref()),
        line_no_column(flags),
        optional(&|f| f.patient_id.as_deref()),
        optional(&|f| f.provider_id.as_deref()),
        text(&|f| &f.message),
        amount_column(flags),
        text(&|f| &f.evidence),
        text(&|f| &f.ruleset),
        text(&|f| &f.ruleset_version),
        text(&|f| &f.ruleset_hash),
        text(&|f| &f.source),
    ];
    RecordBatch::try_new(flags_arrow_schema(), columns).expect("columns follow the flags schema")
}

/// One text field of the flags as a column, its bytes sized before it is
/// filled.
pub(super) fn text_column<F: Borrow<Flag>>(
    flags: &[F],
    field: &dyn Fn(&Flag) -> Option<&str>,
) -> ArrayRef {
    let bytes = flags
        .iter()
        .filter_map(|f| field(f.borrow()))
        .map(str::len)
        .sum();
    let mut b = StringBuilder::with_capacity(flags.len(), bytes);
    for flag in flags {
        b.append_option(field(flag.borrow()));
    }
    Arc::new(b.finish())
}

pub(super) fn line_no_column<F: Borrow<Flag>>(flags: &[F]) -> ArrayRef {
    Arc::new(
        flags
            .iter()
            .map(|f| f.borrow().line_no)
            .collect::<Int32Array>(),
    )
}

/// The amounts at stake, held to the cent: their mantissas at scale 2.
pub(super) fn amount_column<F: Borrow<Flag>>(flags: &[F]) -> ArrayRef {
    let amounts = flags
        .iter()
        .map(|f| f.borrow().amount_at_stake.map(cents))
        .collect::<Decimal128Array>()
        .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE as i8)
        .expect("the flags' amount type is valid");
    Arc::new(amounts)
}

/// The mantissa of an amount at the flags' scale (amounts are kept there).
pub(super) fn cents(amount: rust_decimal::Decimal) -> i128 {
    if amount.scale() == AMOUNT_SCALE {
        return amount.mantissa();
    }
    let mut at_scale = amount;
    at_scale.rescale(AMOUNT_SCALE);
    at_scale.mantissa()
}

/// One flag as a JSON object with the contract's field names: the amount
/// as an exact decimal string, the evidence as the object it is.
pub fn flag_json(flag: &Flag) -> serde_json::Value {
    serde_json::to_value(FlagJson(flag)).expect("a flag serializes")
}

/// A flag serialized as [`flag_json`] shows it, written straight out: the
/// evidence, already JSON, is copied once checked, not parsed into a tree.
pub struct FlagJson<'a>(pub &'a Flag);

impl serde::Serialize for FlagJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let flag = self.0;
        let mut map = serializer.serialize_map(Some(17))?;
        map.serialize_entry("rule_id", &*flag.rule_id)?;
        map.serialize_entry("rule_name", &*flag.rule_name)?;
        map.serialize_entry("category", &*flag.category)?;
        map.serialize_entry("severity", &*flag.severity)?;
        map.serialize_entry("action", &*flag.action)?;
        map.serialize_entry("grain", flag.grain.as_str())?;
        map.serialize_entry("claim_id", &flag.claim_id)?;
        map.serialize_entry("line_no", &flag.line_no)?;
        map.serialize_entry("patient_id", &flag.patient_id)?;
        map.serialize_entry("provider_id", &flag.provider_id)?;
        map.serialize_entry("message", &flag.message)?;
        let amount = flag.amount_at_stake.map(|a| a.to_string());
        map.serialize_entry("amount_at_stake", &amount)?;
        match serde_json::from_str::<&serde_json::value::RawValue>(&flag.evidence) {
            Ok(raw) => map.serialize_entry("evidence", raw)?,
            Err(_) => map.serialize_entry("evidence", &flag.evidence)?,
        }
        map.serialize_entry("ruleset", &*flag.ruleset)?;
        map.serialize_entry("ruleset_version", &*flag.ruleset_version)?;
        map.serialize_entry("ruleset_hash", &*flag.ruleset_hash)?;
        map.serialize_entry("source", &*flag.source)?;
        map.end()
    }
}

fn write_jsonl(out: &mut BufWriter<File>, flags: &[Flag]) -> io::Result<()> {
    for flag in flags {
        serde_json::to_writer(&mut *out, &FlagJson(flag))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The flags' columns whose values repeat: a rule's fields
/// ([`RULE_COLUMNS`]) and these two of the flag's own, dictionary-encoded.
/// The others (ids, messages, evidence, amounts) are mostly distinct: a
/// dictionary for them is built only to be dropped when it overflows, and
/// plain they compress smaller.
const REPEATING_OWN_COLUMNS: [&str; 2] = ["line_no", "provider_id"];

/// Long texts no reader filters on by range: no minimum and maximum are
/// kept for their pages (finding them compares every value, and a rule's
/// own texts, equal on all its flags, are compared to their last byte).
/// The rule's id, and its category, severity and action, keep theirs.
const NO_STATISTICS_COLUMNS: [&str; 7] = [
    "message",
    "evidence",
    "rule_name",
    "ruleset",
    "ruleset_version",
    "ruleset_hash",
    "source",
];

/// Rows per Parquet row group, and per batch handed to the Parquet writer:
/// bounds the memory a row group buffers before it is flushed.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Writes flags to a file as they come, chunk by chunk. The file appears
/// under its name only on [`finish`](FlagWriter::finish); until then it is a
/// temporary file beside the target, removed if the writer is dropped.
pub struct FlagWriter {
    output: Output,
    temp: tempfile::NamedTempFile,
    path: PathBuf,
    dir: PathBuf,
    count: u64,
}

enum Output {
    Parquet(Box<ArrowWriter<File>>),
    Jsonl(BufWriter<File>),
}

impl FlagWriter {
    /// Where the flags go until [`FlagWriter::finish`] names them.
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    pub fn create(path: &Path, format: FlagFormat) -> io::Result<FlagWriter> {
        let (temp, dir) = temp_beside(path)?;
        let file = temp.as_file().try_clone()?;
        let output = match format {
            FlagFormat::Parquet => {
                let builder = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                    .set_dictionary_enabled(false);
                let dictionary = RULE_COLUMNS.iter().chain(&REPEATING_OWN_COLUMNS);
                let builder = dictionary.fold(builder, |b, column| {
                    b.set_column_dictionary_enabled(ColumnPath::from(*column), true)
                });
                let properties = NO_STATISTICS_COLUMNS
                    .iter()
                    .fold(builder, |b, column| {
                        b.set_column_statistics_enabled(
                            ColumnPath::from(*column),
                            EnabledStatistics::None,
                        )
                    })
                    .build();
                let writer = ArrowWriter::try_new(file, flags_arrow_schema(), Some(properties))
                    .map_err(io::Error::other)?;
                Output::Parquet(Box::new(writer))
            }
            FlagFormat::Jsonl => Output::Jsonl(BufWriter::new(file)),
        };
        Ok(FlagWriter {
            output,
            temp,
            path: path.to_path_buf(),
            dir,
            count: 0,
        })
    }

    /// Appends the flags, in the order given.
    pub fn write(&mut self, flags: &[Flag]) -> io::Result<()> {
        match &mut self.output {
            Output::Parquet(_) => {
                // Chunked so a large slice never becomes one large batch.
                for chunk in flags.chunks(ROW_GROUP_ROWS) {
                    self.write_batch(&flags_batch(chunk))?;
                }
                Ok(())
            }
            Output::Jsonl(out) => {
                write_jsonl(out, flags)?;
                self.count += flags.len() as u64;
                Ok(())
            }
        }
    }

    /// Appends a batch of the flags schema, in its order: Parquet is
    /// written straight from its columns.
    pub fn write_batch(&mut self, batch: &RecordBatch) -> io::Result<()> {
        match &mut self.output {
            Output::Parquet(writer) => writer.write(batch).map_err(io::Error::other)?,
            Output::Jsonl(out) => {
                let flags = try_flags_from_batch(batch)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                write_jsonl(out, &flags)?;
            }
        }
        self.count += batch.num_rows() as u64;
        Ok(())
    }

    /// The flags written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Completes the file, makes it durable and gives it its final name.
    pub fn finish(self) -> io::Result<()> {
        match self.output {
            Output::Parquet(writer) => {
                writer.close().map_err(io::Error::other)?;
            }
            Output::Jsonl(out) => {
                out.into_inner().map_err(|e| e.into_error())?;
            }
        }
        self.temp.as_file().sync_all()?;
        self.temp.persist(&self.path).map_err(|e| e.error)?;
        // The rename is durable once the folder is synced; some platforms
        // cannot open a folder for that, and the file is complete anyway.
        let _ = File::open(&self.dir).and_then(|d| d.sync_all());
        Ok(())
    }
}

/// Writes all the flags to `path` at once.
pub fn write_flags(path: &Path, flags: &[Flag], format: FlagFormat) -> io::Result<()> {
    let mut writer = FlagWriter::create(path, format)?;
    writer.write(flags)?;
    writer.finish()
}

/// A [`FlagWriter`] on a thread of its own: encoding the flags overlaps
/// the merge that produces them.
pub struct BackgroundWriter {
    sender: Option<std::sync::mpsc::SyncSender<RecordBatch>>,
    worker: Option<std::thread::JoinHandle<io::Result<FlagWriter>>>,
}

impl BackgroundWriter {
    pub fn start(mut writer: FlagWriter) -> BackgroundWriter {
        // Two chunks in flight: enough to keep both sides busy.
        let (sender, receiver) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let worker = std::thread::spawn(move || {
            for batch in receiver {
                writer.write_batch(&batch)?;
            }
            Ok(writer)
        });
        BackgroundWriter {
            sender: Some(sender),
            worker: Some(worker),
        }
    }

    /// Hands a batch of flags to the writer; an error the writer met is
    /// returned here (or by [`BackgroundWriter::finish`]).
    pub fn write(&mut self, batch: RecordBatch) -> io::Result<()> {
        let sent = self.sender.as_ref().map(|s| s.send(batch));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => self
                .join()
                .map(|_| ())
                .and(Err(io::Error::other("the flag writer stopped early"))),
        }
    }

    /// Waits for every chunk to be written; the writer, to finish.
    pub fn finish(mut self) -> io::Result<FlagWriter> {
        self.join()
    }

    fn join(&mut self) -> io::Result<FlagWriter> {
        self.sender = None;
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the flag writer panicked")),
            None => Err(io::Error::other("the flag writer already stopped")),
        }
    }
}

impl Drop for BackgroundWriter {
    /// An unfinished writer is waited for and dropped, so its temporary
    /// file is removed before the process goes on (or exits).
    fn drop(&mut self) {
        self.sender = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// A temporary file in `path`'s folder, to be renamed to `path` once
/// written whole, and that folder. It is created with the mode any new
/// file gets (0666 less the umask), not a temporary file's usual 0600, so
/// the output is as readable as other files.
fn temp_beside(path: &Path) -> io::Result<(tempfile::NamedTempFile, PathBuf)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the folder {} does not exist", dir.display()),
        ));
    }
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temp = builder.tempfile_in(&dir)?;
    Ok((temp, dir))
}

/// Writes a file under a temporary name beside `out`, then renames it: a
/// report or a summary is never seen half written.
pub fn write_beside(
    out: &Path,
    write: impl FnOnce(&mut File) -> Result<(), String>,
) -> Result<(), String> {
    let (mut temp, _) = temp_beside(out).map_err(|e| format!("{}: {e}", out.display()))?;
    write(temp.as_file_mut())?;
    temp.as_file()
        .sync_all()
        .and_then(|()| temp.persist(out).map(drop).map_err(|e| e.error))
        .map_err(|e| format!("{}: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::record::{Grain, arbitrary_flag, flags_from_batch};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    /// A flag as a tree of values, its evidence parsed: what the API
    /// showed before flags were written straight out.
    fn flag_tree(flag: &Flag) -> serde_json::Value {
        let evidence = serde_json::from_str::<serde_json::Value>(&flag.evidence)
            .unwrap_or_else(|_| serde_json::Value::String(flag.evidence.clone()));
        serde_json::json!({
            "rule_id": flag.rule_id, "rule_name": flag.rule_name,
            "category": flag.category, "severity": flag.severity,
            "action": flag.action, "grain": flag.grain.as_str(),
            "claim_id": flag.claim_id, "line_no": flag.line_no,
            "patient_id": flag.patient_id, "provider_id": flag.provider_id,
            "message": flag.message,
            "amount_at_stake": flag.amount_at_stake.map(|a| a.to_string()),
            "evidence": evidence, "ruleset": flag.ruleset,
            "ruleset_version": flag.ruleset_version, "ruleset_hash": flag.ruleset_hash,
            "source": flag.source,
        })
    }

    #[test]
    fn flags_written_straight_out_read_as_their_tree_did() {
        // Every rule's flags, on the dense profile (a fifth of lines flagged).
        let dir = tempfile::tempdir().unwrap();
        let mut options = crate::generate::GenOptions::new(dir.path(), 40, 3);
        options.profile = crate::generate::Profile::Dense;
        crate::generate::generate(&options, &|_| {}).unwrap();
        let checked = crate::check::check_shipped();
        let (_, flags) = crate::exec::scan_dataset(
            checked.ruleset.as_ref().unwrap(),
            &checked.sources,
            dir.path(),
            &Default::default(),
            &Default::default(),
            &|_, _| {},
        )
        .unwrap();
        let rules: std::collections::BTreeSet<&str> = flags.iter().map(|f| &*f.rule_id).collect();
        assert!(rules.len() >= 15, "{rules:?}");
        let mut odd = flags[0].clone();
        odd.evidence = "not json".into();
        for flag in flags.iter().chain([&odd]) {
            let straight = serde_json::to_string(&FlagJson(flag)).unwrap();
            assert_eq!(straight, flag_tree(flag).to_string());
            assert_eq!(flag_json(flag), flag_tree(flag));
        }
    }

    fn sample_flags(n: usize) -> Vec<Flag> {
        let strategy = prop::collection::vec(arbitrary_flag(), n);
        strategy
            .new_tree(&mut TestRunner::deterministic())
            .unwrap()
            .current()
    }

    /// The JSON Lines bytes as `write_flags` produced them before it was
    /// built on `FlagWriter`.
    fn jsonl_reference(flags: &[Flag]) -> Vec<u8> {
        let mut out = Vec::new();
        for flag in flags {
            serde_json::to_writer(&mut out, &flag_json(flag)).unwrap();
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn write_flags_jsonl_bytes_are_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flags.jsonl");
        let mut flags = sample_flags(50);
        flags[0].line_no = Some(-7);
        flags[1].grain = Grain::Provider;
        flags[2].message = "quote \" and newline \n, 医保".into();
        write_flags(&path, &flags, FlagFormat::Jsonl).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), jsonl_reference(&flags));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_flags_file_is_as_readable_as_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flags.parquet");
        write_flags(&path, &sample_flags(3), FlagFormat::Parquet).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // The mode any new file gets: 0666 less the umask (read from
        // /proc, since setting it to read it would race other tests).
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
            .unwrap();
        assert_eq!(mode, 0o666 & !umask, "mode {mode:o} under umask {umask:o}");
    }

    #[test]
    fn a_missing_folder_is_named_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("flags.parquet");
        let error = FlagWriter::create(&path, FlagFormat::Parquet)
            .err()
            .expect("no folder, no writer");
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        let folder = dir.path().join("missing");
        assert_eq!(
            error.to_string(),
            format!("the folder {} does not exist", folder.display())
        );
    }

    #[test]
    fn jsonl_written_in_chunks_equals_written_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let flags = sample_flags(30);
        let whole = dir.path().join("whole.jsonl");
        write_flags(&whole, &flags, FlagFormat::Jsonl).unwrap();
        let chunked = dir.path().join("chunked.jsonl");
        let mut writer = FlagWriter::create(&chunked, FlagFormat::Jsonl).unwrap();
        for chunk in flags.chunks(7) {
            writer.write(chunk).unwrap();
        }
        assert_eq!(writer.count(), 30);
        writer.finish().unwrap();
        assert_eq!(
            std::fs::read(&chunked).unwrap(),
            std::fs::read(&whole).unwrap()
        );
    }

    fn read_parquet(path: &Path) -> Vec<Flag> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        reader
            .flat_map(|batch| flags_from_batch(&batch.unwrap()))
            .collect()
    }

    #[test]
    fn parquet_written_in_chunks_reads_back_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let flags = sample_flags(40);
        let path = dir.path().join("flags.parquet");
        let mut writer = FlagWriter::create(&path, FlagFormat::Parquet).unwrap();
        for chunk in flags.chunks(9) {
            writer.write(chunk).unwrap();
        }
        writer.finish().unwrap();
        assert_eq!(read_parquet(&path), flags);

        let whole = dir.path().join("whole.parquet");
        write_flags(&whole, &flags, FlagFormat::Parquet).unwrap();
        assert_eq!(read_parquet(&whole), flags);
    }

    #[test]
    fn parquet_with_no_flags_has_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        write_flags(&path, &[], FlagFormat::Parquet).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        assert_eq!(builder.schema().fields(), flags_arrow_schema().fields());
        assert!(read_parquet(&path).is_empty());
    }

    #[test]
    fn a_writer_dropped_without_finish_leaves_no_file() {
        for format in [FlagFormat::Parquet, FlagFormat::Jsonl] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("flags.out");
            let mut writer = FlagWriter::create(&path, format).unwrap();
            writer.write(&sample_flags(5)).unwrap();
            drop(writer);
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }
}
