//! The scan's hot kernels, each measured alone with criterion on a
//! generated dataset held in memory (20,000 patients, about 366,000 lines):
//!
//! - `lookups`: every relation the shipped rules follow (line -> claim,
//!   claim -> patient, line -> catalog entry, claim -> provider), built
//!   from scratch: the key index of each target and one probe per row;
//! - `decimal_compare`: PRICE-CAP, a row rule comparing an exact decimal
//!   with the catalog's cap through a lookup;
//! - `group_partition`: DUP-01, a group rule: partition by key hash, sort,
//!   count per group;
//! - `window_sum`: QTY-02, a 30-day window summing days of supply per
//!   patient and drug;
//! - `sequence`, `pair`, `population`: SPLIT-01, STAY-02, UPC-01;
//! - `long_history_running_sum`: CAP-01, a running yearly sum, on the
//!   same data with one patient given 15,000 of the claims (a window
//!   summed afresh for each row costs the square of a key's rows).
//!
//! `cargo bench --bench kernels` (two threads, as the DuckDB comparison).

use std::hint::black_box;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};

use claimaudit::check::check_shipped;
use claimaudit::exec::{Compiled, Env, ExecOptions, Frames, thread_pool};
use claimaudit::generate::{GenOptions, generate};
use claimaudit::plan::Selection;
use criterion::{Criterion, criterion_group, criterion_main};

const PATIENTS: u64 = 20_000;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    generate(&GenOptions::new(data.clone(), PATIENTS, 1), &|_| {}).unwrap();
    let checked = check_shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let everything = Compiled::new(ruleset, &Selection::default(), &checked.sources);
    let tables = everything
        .read(&data, &Default::default(), &|_, _| {})
        .unwrap();
    let lines = tables["claim_items"].num_rows();
    println!("dataset: {PATIENTS} patients, {lines} lines");
    let (frames, lookups) = everything.prepare(tables.clone());
    let pool = thread_pool(Some(2));
    let options = ExecOptions {
        threads: Some(2),
        ..ExecOptions::default()
    };

    let mut group = c.benchmark_group("kernels");
    group.sample_size(20);

    // Fresh frames, so each iteration builds the key indexes too.
    let fresh = |frames: &Frames| -> Frames {
        frames
            .iter()
            .map(|(name, f)| {
                let frame = claimaudit::exec::Frame::new(name, f.batch.clone());
                (name.clone(), Arc::new(frame))
            })
            .collect()
    };
    group.bench_function("lookups", |b| {
        b.iter_batched(
            || fresh(&frames),
            |frames| black_box(pool.install(|| everything.lookups(&frames))),
            criterion::BatchSize::LargeInput,
        )
    });

    let kernels: [(&str, &str); 6] = [
        ("decimal_compare", "PRICE-CAP"),
        ("group_partition", "DUP-01"),
        ("window_sum", "QTY-02"),
        ("sequence", "SPLIT-01"),
        ("pair", "STAY-02"),
        ("population", "UPC-01"),
    ];
    for (name, rule) in kernels {
        let single = Compiled::new(ruleset, &Selection::only(&[rule]), &checked.sources);
        let env = Env::new(
            ruleset,
            single.consts(),
            frames.clone(),
            lookups.clone(),
            &[],
        );
        let flags = single.run_on(&pool, &env, &options);
        println!("{name} ({rule}): {} flags", flags.len());
        group.bench_function(name, |b| {
            b.iter(|| black_box(single.run_on(&pool, &env, &options)))
        });
    }

    // One patient holding the first 15,000 claims (of every year).
    let long_history = {
        let mut tables = tables;
        let claims = &tables["claims"];
        let at = claims.schema().index_of("patient_id").unwrap();
        let ids = claims.column(at).as_string::<i32>();
        let one = ids.value(0).to_string();
        let moved: StringArray = (0..ids.len())
            .map(|i| {
                Some(if i < 15_000 {
                    one.as_str()
                } else {
                    ids.value(i)
                })
            })
            .collect();
        let mut columns = claims.columns().to_vec();
        columns[at] = Arc::new(moved);
        let claims = RecordBatch::try_new(claims.schema(), columns).unwrap();
        tables.insert("claims".to_string(), claims);
        everything.prepare(tables)
    };
    let single = Compiled::new(ruleset, &Selection::only(&["CAP-01"]), &checked.sources);
    let env = Env::new(
        ruleset,
        single.consts(),
        long_history.0,
        long_history.1,
        &[],
    );
    let flags = single.run_on(&pool, &env, &options);
    println!("long_history_running_sum (CAP-01): {} flags", flags.len());
    group.bench_function("long_history_running_sum", |b| {
        b.iter(|| black_box(single.run_on(&pool, &env, &options)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
