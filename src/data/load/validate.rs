//! Validating a whole dataset against a schema, streaming each table once.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::RecordBatch;
use rayon::prelude::*;

use super::checks::RowChecks;
use super::keys::{
    GatheredKeys, KeyHashes, RepeatedKeys, UniqueKeys, check_references, hash_rows, key_columns,
};
use super::options::LoadOptions;
use super::problem::{Problem, ProblemKind, ProblemLog};
use super::read::{LoadedBatch, Unit, read_unit, units, wanted_columns};
use super::sources::{TableSource, locate_all};
use super::summary::TableSummary;
use crate::ir::{Relation, Schema, Table};

/// Whether to find every problem (`validate`) or stop at the first (`scan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thoroughness {
    AllProblems,
    FirstProblem,
}

#[derive(Debug)]
pub struct Validation {
    pub sources: Vec<TableSource>,
    pub tables: Vec<TableSummary>,
    pub problems: ProblemLog,
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Validates the dataset in `dir` against `schema`. `progress` is told the
/// table being read and the rows read of it so far.
pub fn validate_dataset(
    dir: &Path,
    schema: &Schema,
    thoroughness: Thoroughness,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Validation {
    validate_dataset_with(dir, schema, &LoadOptions::default(), thoroughness, progress)
}

/// [`validate_dataset`], reading the files as `options` say.
pub fn validate_dataset_with(
    dir: &Path,
    schema: &Schema,
    options: &LoadOptions,
    thoroughness: Thoroughness,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Validation {
    read_dataset(
        dir,
        schema,
        options,
        thoroughness,
        None,
        None,
        &mut |_, _| {},
        progress,
    )
}

/// How each checked batch is stored: given the batch's table, the batch in
/// the contract's types, it gives the batch to keep. Called on the reading
/// threads, as soon as the batch is checked.
pub type Narrow<'n> = &'n (dyn Fn(&Table, RecordBatch) -> RecordBatch + Sync);

/// Reads the dataset for a run: only the tables and columns in `projection`
/// (plus the keys that references need), checking what is read, stopping at
/// the first problem. Each checked batch goes, through `narrow` when given,
/// to `sink`, in reading order.
pub fn load_dataset(
    dir: &Path,
    schema: &Schema,
    options: &LoadOptions,
    projection: &HashMap<String, Vec<String>>,
    narrow: Option<Narrow<'_>>,
    sink: &mut (dyn FnMut(&str, RecordBatch) + Send),
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Validation {
    read_dataset(
        dir,
        schema,
        options,
        Thoroughness::FirstProblem,
        Some(projection),
        narrow,
        sink,
        progress,
    )
}

#[allow(clippy::too_many_arguments)]
fn read_dataset(
    dir: &Path,
    schema: &Schema,
    options: &LoadOptions,
    thoroughness: Thoroughness,
    projection: Option<&HashMap<String, Vec<String>>>,
    narrow: Option<Narrow<'_>>,
    sink: &mut (dyn FnMut(&str, RecordBatch) + Send),
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Validation {
    let mut problems = ProblemLog::default();
    let columns = projection.map(|p| columns_to_read(schema, p));
    // A run needs only the tables it reads (a real-time service's reference
    // data has no claims); validating a whole dataset needs every table.
    let wanted = |table: &str| columns.as_ref().is_none_or(|c| c.contains_key(table));
    let located = locate_all(dir, schema, options, &wanted);
    let sources = located.sources;
    for problem in located.problems {
        problems.push(problem);
    }
    if thoroughness == Thoroughness::FirstProblem && !problems.is_empty() {
        return Validation {
            sources,
            tables: Vec::new(),
            problems,
        };
    }

    // Key sets of tables that required relations point at, kept until the
    // referring tables have been read.
    let mut targets: HashMap<(String, Vec<String>), KeyHashes> = HashMap::new();
    // Tables whose files could not be read whole: references into them are not checked.
    let mut incomplete: Vec<String> = located.incomplete;
    incomplete.extend(
        schema
            .tables
            .iter()
            .filter(|t| !sources.iter().any(|s| s.table == t.name))
            .map(|t| t.name.clone()),
    );
    let mut tables = Vec::new();

    for table in schema.tables_in_reference_order() {
        let Some(source) = sources.iter().find(|s| s.table == table.name) else {
            continue;
        };
        let wanted: Option<Vec<&str>> = match &columns {
            None => None,
            Some(columns) => match columns.get(&table.name) {
                Some(list) => Some(list.iter().map(String::as_str).collect()),
                None => continue,
            },
        };
        let checked_here = |r: &&Relation| {
            r.required
                && !options
                    .references_checked_later
                    .iter()
                    .any(|(t, name)| *t == r.from_table && *name == r.name)
        };
        let incoming: Vec<&Relation> = schema
            .relations
            .iter()
            .filter(checked_here)
            .filter(|r| r.to_table == table.name)
            .collect();
        let outgoing: Vec<&Relation> = schema
            .relations_from(&table.name)
            .filter(checked_here)
            .filter(|r| !incomplete.contains(&r.to_table))
            .collect();
        let shown_before = problems.problems().len();
        let reading = Reading {
            columns: wanted.as_deref(),
            stop_at_first: thoroughness == Thoroughness::FirstProblem,
            summarize: projection.is_none(),
            narrow,
            key_spill_dir: options.key_spill_dir.as_deref(),
            keys_checked_later: &options.keys_checked_later,
        };
        let (summary, kept) = validate_table(
            table,
            source,
            &incoming,
            &outgoing,
            &targets,
            &reading,
            &mut problems,
            &mut |batch| sink(&table.name, batch),
            progress,
        );
        tables.push(summary);
        if problems.problems()[shown_before..].iter().any(|p| {
            matches!(
                p.kind,
                ProblemKind::MissingColumn
                    | ProblemKind::WrongType
                    | ProblemKind::UnreadableFile
                    | ProblemKind::DuplicateColumn
            )
        }) {
            incomplete.push(table.name.clone());
        }
        targets.extend(kept);
        if thoroughness == Thoroughness::FirstProblem && !problems.is_empty() {
            break;
        }
    }
    Validation {
        sources,
        tables,
        problems,
    }
}

type KeptKeys = Vec<((String, Vec<String>), KeyHashes)>;

/// The columns of each table a run reads: those asked for, the keys, and
/// the columns of required relations (so references can be checked).
fn columns_to_read(
    schema: &Schema,
    projection: &HashMap<String, Vec<String>>,
) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = projection.clone();
    loop {
        let before: usize = out.values().map(Vec::len).sum::<usize>() + out.len();
        for relation in schema.relations.iter().filter(|r| r.required) {
            if out.contains_key(&relation.from_table) {
                out.entry(relation.from_table.clone())
                    .or_default()
                    .extend(relation.from_columns.iter().cloned());
                out.entry(relation.to_table.clone())
                    .or_default()
                    .extend(relation.to_columns.iter().cloned());
            }
        }
        for (name, columns) in out.iter_mut() {
            if let Some(key) = schema.table(name).and_then(|t| t.key.as_ref()) {
                columns.extend(key.iter().cloned());
            }
            columns.sort();
            columns.dedup();
        }
        let after: usize = out.values().map(Vec::len).sum::<usize>() + out.len();
        if after == before {
            return out;
        }
    }
}

/// What to read of a table, whether to stop at its first problem, and
/// whether to summarize what it holds (`validate` does; a scan does not).
struct Reading<'c> {
    columns: Option<&'c [&'c str]>,
    stop_at_first: bool,
    summarize: bool,
    narrow: Option<Narrow<'c>>,
    key_spill_dir: Option<&'c Path>,
    keys_checked_later: &'c [String],
}

/// What one unit (a file or part of one) yields, read and checked in parallel.
struct UnitResult<'s> {
    log: ProblemLog,
    batches: Vec<LoadedBatch<'s>>,
    /// For each batch, the hash of each row's key (uniqueness is checked in order).
    key_hashes: Vec<Vec<Option<u128>>>,
    /// The unit's keys, when the key is checked by gathering (then
    /// `key_hashes` holds an empty list for each batch).
    gathered: GatheredKeys,
    /// Hashes of column sets other tables refer to (other than the key).
    target_hashes: Vec<Vec<u128>>,
}

#[allow(clippy::too_many_arguments)]
fn validate_table<'s>(
    table: &Table,
    source: &'s TableSource,
    incoming: &[&Relation],
    outgoing: &[&Relation],
    targets: &HashMap<(String, Vec<String>), KeyHashes>,
    reading: &Reading,
    problems: &mut ProblemLog,
    sink: &mut (dyn FnMut(RecordBatch) + Send),
    progress: &(dyn Fn(&str, u64) + Sync),
) -> (TableSummary, KeptKeys) {
    let checks = RowChecks::new(table);
    let mut summary = TableSummary::new(table, source.files.len());
    let units = units(source);
    // Sized for the whole table at once: growing a big set holds it twice.
    let expected_rows = units.iter().filter_map(|u| u.rows).sum::<u64>() as usize;
    // A key other tables refer to is kept as a set, to look references up
    // in; any other key only needs to be unique, which sorting tells faster.
    // The caller checks this key itself, and nothing refers to it.
    let checked_later = incoming.is_empty() && reading.keys_checked_later.contains(&table.name);
    let mut unique = table.key.as_ref().filter(|_| !checked_later).map(|key| {
        let check = if incoming.is_empty() {
            KeyCheck::Gathered(match reading.key_spill_dir {
                Some(dir) => GatheredKeys::spilling(expected_rows, dir),
                None => GatheredKeys::with_capacity(expected_rows),
            })
        } else {
            let mut seen = UniqueKeys::default();
            seen.reserve(expected_rows);
            KeyCheck::Set(seen)
        };
        (key, check)
    });
    // Referenced column sets other than the key need their own sets.
    let mut other_targets: Vec<(Vec<String>, KeyHashes)> = incoming
        .iter()
        .map(|r| r.to_columns.clone())
        .filter(|cols| Some(cols) != table.key.as_ref())
        .map(|cols| (cols, KeyHashes::default()))
        .collect();
    other_targets.dedup_by(|a, b| a.0 == b.0);
    let other_columns: Vec<Vec<String>> = other_targets.iter().map(|(c, _)| c.clone()).collect();
    let wanted = wanted_columns(table, reading.columns);
    // Columns the narrowing keeps in compact storage are read straight
    // into it, but for those keys and references are hashed on (hashed in
    // the contract's types).
    let compact: Vec<&str> = match reading.narrow {
        None => Vec::new(),
        Some(_) => wanted
            .iter()
            .map(|c| c.name.as_str())
            .filter(|name| {
                let named = |columns: &[String]| columns.iter().any(|c| c == name);
                !table.key.as_deref().is_some_and(named)
                    && !incoming.iter().any(|r| named(&r.to_columns))
                    && !outgoing.iter().any(|r| named(&r.from_columns))
            })
            .collect(),
    };
    let stop = AtomicBool::new(false);
    let gathering = matches!(unique, Some((_, KeyCheck::Gathered(_))));
    // A key the caller checks itself is not hashed at all.
    let hashing = unique.is_some();

    // Everything but uniqueness is checked per unit, in parallel.
    let read_one = |unit: &Unit<'s>| -> UnitResult<'s> {
        let mut result = UnitResult {
            log: ProblemLog::default(),
            batches: Vec::new(),
            key_hashes: Vec::new(),
            gathered: GatheredKeys::with_capacity(0),
            target_hashes: vec![Vec::new(); other_columns.len()],
        };
        let mut log = ProblemLog::default();
        let _ = read_unit(unit, &wanted, &compact, &mut log, &mut |batch, log| {
            if stop.load(Ordering::Relaxed) {
                return ControlFlow::Break(());
            }
            checks.check(&batch, log);
            for relation in outgoing {
                let key = (relation.to_table.clone(), relation.to_columns.clone());
                if let Some(target) = targets.get(&key) {
                    check_references(
                        &batch,
                        &relation.from_columns,
                        &relation.to_table,
                        target,
                        log,
                    );
                }
            }
            let rows = batch.batch.num_rows();
            let columns = table
                .key
                .as_ref()
                .filter(|_| hashing)
                .and_then(|key| key_columns(&batch, key));
            let hashes = match columns {
                Some(columns) if gathering => {
                    result.gathered.add_rows(&columns, rows);
                    Vec::new()
                }
                Some(columns) => hash_rows(&columns, rows),
                None => Vec::new(),
            };
            result.key_hashes.push(hashes);
            for (set, columns) in result.target_hashes.iter_mut().zip(&other_columns) {
                if let Some(arrays) = key_columns(&batch, columns) {
                    set.extend(hash_rows(&arrays, rows).into_iter().flatten());
                }
            }
            let mut batch = batch;
            // Narrowed here, on the reading thread: the batch in the
            // contract's types is freed before the next is read.
            if let Some(narrow) = reading.narrow
                && log.is_empty()
            {
                batch.batch = narrow(table, batch.batch);
            }
            result.batches.push(batch);
            if reading.stop_at_first && !log.is_empty() {
                stop.store(true, Ordering::Relaxed);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        result.log = log;
        result
    };

    // Units are read a window at a time, so validating a table never holds
    // more than a few units of it (a scan keeps what it reads anyway). The
    // next window is read while this one's batches go to the sink, on the
    // same pool: the sink's work (a scan routes the rows) is done on one
    // thread, and the other would otherwise wait.
    let window = rayon::current_num_threads().max(1) * 2;
    let mut groups = units.chunks(window);
    let mut current: Option<Vec<UnitResult>> = groups
        .next()
        .map(|group| group.par_iter().map(read_one).collect());
    while let Some(results) = current.take() {
        let mut next: Option<Vec<UnitResult>> = None;
        let upcoming = groups.next();
        let stopped = rayon::in_place_scope(|scope| {
            if let Some(group) = upcoming {
                let next = &mut next;
                let read_one = &read_one;
                scope.spawn(move |_| *next = Some(group.par_iter().map(read_one).collect()));
            }
            for result in results {
                problems.absorb(result.log);
                for (batch, hashes) in result.batches.into_iter().zip(result.key_hashes) {
                    // Gathered keys are checked once the whole table is read.
                    if let Some((key, KeyCheck::Set(seen))) = unique.as_mut() {
                        seen.check_hashes(&batch, &hashes, key, &table.name, problems);
                    }
                    if reading.summarize {
                        summary.add(&batch);
                    } else {
                        summary.rows += batch.batch.num_rows() as u64;
                    }
                    progress(&table.name, summary.rows);
                    if reading.stop_at_first && !problems.is_empty() {
                        // The window being read stops at its next batch.
                        stop.store(true, Ordering::Relaxed);
                        return true;
                    }
                    sink(batch.batch);
                }
                if let Some((_, KeyCheck::Gathered(gathered))) = unique.as_mut() {
                    gathered.absorb(result.gathered);
                }
                for ((_, set), hashes) in other_targets.iter_mut().zip(result.target_hashes) {
                    set.extend(hashes);
                }
            }
            reading.stop_at_first && !problems.is_empty()
        });
        if stopped {
            break;
        }
        crate::data::memory::release_freed_memory();
        current = next;
    }

    let stopped = reading.stop_at_first && !problems.is_empty();
    let kept_key = match unique {
        Some((key, KeyCheck::Set(seen))) => Some((key, seen)),
        Some((key, KeyCheck::Gathered(gathered))) => {
            if !stopped {
                report_repeated_keys(table, key, &units, gathered, reading, problems);
            }
            None
        }
        None => None,
    };
    let mut kept: KeptKeys = Vec::new();
    if !incoming.is_empty() {
        if let Some((key, seen)) = kept_key {
            kept.push(((table.name.clone(), key.clone()), seen.into_hashes()));
        }
        for (columns, set) in other_targets {
            kept.push(((table.name.clone(), columns), set));
        }
    }
    (summary, kept)
}

/// How a table's key is checked to be unique (see `validate_table`).
enum KeyCheck {
    Set(UniqueKeys),
    Gathered(GatheredKeys),
}

/// The first problem of `tables` in the dataset at `dir`, every check
/// done (none left to the caller): for a caller that found a problem it
/// checks itself (see [`LoadOptions::keys_checked_later`] and
/// [`LoadOptions::references_checked_later`]) and wants it named by file
/// and row.
pub fn first_problem_of(
    dir: &Path,
    schema: &Schema,
    options: &LoadOptions,
    tables: &[&str],
) -> Option<Problem> {
    let options = LoadOptions {
        keys_checked_later: Vec::new(),
        references_checked_later: Vec::new(),
        ..options.clone()
    };
    let projection: HashMap<String, Vec<String>> =
        tables.iter().map(|t| (t.to_string(), Vec::new())).collect();
    load_dataset(
        dir,
        schema,
        &options,
        &projection,
        None,
        &mut |_, _| {},
        &|_, _| {},
    )
    .problems
    .into_first()
}

/// Reports the rows that repeat an earlier row's key, by reading the key
/// columns again: only when the gathered keys show that some key repeats.
fn report_repeated_keys(
    table: &Table,
    key: &[String],
    units: &[Unit<'_>],
    gathered: GatheredKeys,
    reading: &Reading,
    problems: &mut ProblemLog,
) {
    let repeated = match gathered.repeated() {
        Ok(repeated) => repeated,
        Err(e) => {
            let file = units.first().map_or(Path::new(&table.name), |u| u.file);
            problems.push(Problem::new(
                ProblemKind::UnreadableFile,
                file,
                format!(
                    "cannot check that `{}`'s keys are unique: the key hashes written to the temporary folder could not be read back ({e})",
                    table.name
                ),
            ));
            return;
        }
    };
    if repeated.is_empty() {
        return;
    }
    let names: Vec<&str> = key.iter().map(String::as_str).collect();
    let key_columns = wanted_columns(table, Some(&names));
    let mut finder = RepeatedKeys::new(&repeated);
    for unit in units {
        // Problems of reading were told by the first reading.
        let mut ignored = ProblemLog::default();
        let flow = read_unit(unit, &key_columns, &[], &mut ignored, &mut |batch, _| {
            finder.check(&batch, key, &table.name, problems);
            if reading.stop_at_first && !problems.is_empty() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        if flow.is_break() {
            return;
        }
    }
}
