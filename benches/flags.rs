//! The flags path, each step measured alone with criterion on the flags of
//! a generated dense dataset (5,000 patients, dense profile, shuffled
//! order: about 240,000 lines, a fifth of them flagged, every rule firing):
//!
//! - `render`: OOC-02, a row rule flagging about one line in thirty,
//!   run and its flags rendered (message, evidence, identity) into
//!   columns (then handed out as structs, as a check does);
//! - `sort`: a partition's flags, as columns rule by rule, given their
//!   output order (`OrderedFlags::new`: integer keys sorted, the flags not
//!   moved);
//! - `runs`: the flags pushed as four sorted runs (each gathered from its
//!   columns and encoded as compressed Arrow IPC chunks of the flags' own
//!   values and their rule's number) and merged back into output order,
//!   as record batches of the flags schema;
//! - `write_parquet`: the flags written to a Parquet file from flag structs;
//! - `write_batches`: the same from record batches, what a scan's writer
//!   does with the merge's batches.
//!
//! `cargo bench --bench flags` (two threads, as the DuckDB comparison).

use std::hint::black_box;

use claimaudit::check::check_shipped;
use claimaudit::exec::{Compiled, ExecOptions, thread_pool};
use claimaudit::flags::{
    Flag, FlagBatch, FlagFormat, FlagRuns, FlagWriter, OrderedFlags, flags_batch,
};
use claimaudit::generate::{GenOptions, Order, Profile, generate};
use claimaudit::plan::Selection;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const PATIENTS: u64 = 5_000;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let options = GenOptions {
        profile: Profile::Dense,
        order: Order::Shuffled,
        ..GenOptions::new(data.clone(), PATIENTS, 1)
    };
    generate(&options, &|_| {}).unwrap();
    let checked = check_shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let everything = Compiled::new(ruleset, &Selection::default(), &checked.sources);
    let tables = everything
        .read(&data, &Default::default(), &|_, _| {})
        .unwrap();
    let lines = tables["claim_items"].num_rows();
    let pool = thread_pool(Some(2));
    let exec = ExecOptions {
        threads: Some(2),
        ..ExecOptions::default()
    };
    let env = everything.env(tables, &exec);
    let flags = everything.run_on(&pool, &env, &exec);
    println!(
        "dataset: {PATIENTS} patients (dense), {lines} lines, {} flags",
        flags.len()
    );

    let mut group = c.benchmark_group("flags");
    group.sample_size(20);

    let one_rule = Compiled::new(ruleset, &Selection::only(&["OOC-02"]), &checked.sources);
    println!(
        "render (OOC-02): {} flags",
        one_rule.run_on(&pool, &env, &exec).len()
    );
    group.bench_function("render", |b| {
        b.iter(|| black_box(one_rule.run_on(&pool, &env, &exec)))
    });

    // As the rules give them: a batch of columns per rule, rows in table
    // order.
    let by_rule: Vec<FlagBatch> = {
        let mut by_rule = flags.clone();
        by_rule.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
        by_rule
            .chunk_by(|a, b| a.rule_id == b.rule_id)
            .map(FlagBatch::from_flags)
            .collect()
    };
    group.bench_function("sort", |b| {
        b.iter_batched(
            || by_rule.clone(),
            |batches| pool.install(|| OrderedFlags::new(batches, true)),
            BatchSize::LargeInput,
        )
    });

    let runs: Vec<Vec<Flag>> = (0..4)
        .map(|k| flags.iter().skip(k).step_by(4).cloned().collect())
        .collect();
    let temp = tempfile::tempdir().unwrap();
    group.bench_function("runs", |b| {
        b.iter_batched(
            || -> Vec<OrderedFlags> {
                runs.iter()
                    .map(|run| OrderedFlags::sorted(run.clone()))
                    .collect()
            },
            |runs| {
                pool.install(|| {
                    let mut held = FlagRuns::new(temp.path(), u64::MAX).unwrap();
                    for run in runs {
                        held.push(run).unwrap();
                    }
                    let mut merged = 0;
                    held.merge(64 * 1024, &mut |chunk| {
                        merged += chunk.num_rows();
                        Ok(())
                    })
                    .unwrap();
                    black_box(merged)
                })
            },
            BatchSize::LargeInput,
        )
    });

    let out = temp.path().join("flags.parquet");
    group.bench_function("write_parquet", |b| {
        b.iter(|| {
            let mut writer = FlagWriter::create(&out, FlagFormat::Parquet).unwrap();
            writer.write(&flags).unwrap();
            writer.finish().unwrap();
        })
    });
    // What the scan's writer does: batches of the merge written as they are.
    let batches: Vec<_> = flags.chunks(64 * 1024).map(flags_batch).collect();
    group.bench_function("write_batches", |b| {
        b.iter(|| {
            let mut writer = FlagWriter::create(&out, FlagFormat::Parquet).unwrap();
            for batch in &batches {
                writer.write_batch(batch).unwrap();
            }
            writer.finish().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
