//! The synthetic dataset generator (`claimaudit gen`): a dataset in the CHS
//! contract whose background is clean, with planted violations and
//! near-misses of every default rule and their labels; with `--plant`, also
//! copies of the tests of a ruleset of one's own (`user_rules`).
//!
//! Layout of the output folder: `patients.parquet`, `catalog.parquet`,
//! `providers.parquet`, `exclusive_items.parquet` (the knowledge base of
//! mutually exclusive items), `claims/part-NNNNN.parquet`,
//! `claim_items/part-NNNNN.parquet` (one part per chunk of background
//! patients, then one or more for the planted cases, then one for the
//! copies of a ruleset's tests) and `labels.parquet`.
//! In time or shuffled order the parts are then rewritten, as many, each
//! holding one span of the new order.

mod background;
mod calendar;
mod catalog;
mod chunk;
mod claim_tables;
mod exclusive;
mod labels;
mod model;
mod money;
mod names;
mod options;
mod order;
mod patients;
mod planted;
mod profiles;
mod providers;
mod reference_tables;
mod regions;
mod rng;
mod user_rules;
mod world;
mod write;

#[cfg(test)]
mod tests;

use arrow::record_batch::RecordBatch;
use rayon::prelude::*;

use self::chunk::{CHUNK_PATIENTS, PartCounts, run_chunk, write_claims_part};
use self::claim_tables::ClaimTables;
use self::exclusive::{EXCLUSIVE_ITEMS, write_exclusive_items};
pub use self::labels::{Expect, LabelRow, labels_arrow_schema, read_labels};
use self::labels::{labels_batch, sort_labels};
pub use self::options::{
    DEFAULT_EXCLUSIVE_ITEMS, GenError, GenOptions, GenSummary, MAX_EXCLUSIVE_ITEMS, Order, Profile,
};
use self::order::reorder;
use self::planted::{Rate, plant};
use self::reference_tables::{PatientTable, Schemas, catalog_batch, providers_batch};
pub use self::user_rules::{COPIES, PlantReport, PlantRules, PlantedTest};
use self::user_rules::{OwnTables, plant_rule_tests};
use self::world::World;
use self::write::{arrow_error, prepare_folder, write_parquet};
use crate::check::chs_schema;
use crate::data::contract::{CATALOG, CLAIM_ITEMS, CLAIMS, PATIENTS, PROVIDERS};

/// Writes a dataset into `options.out`, which must be empty or absent.
/// `progress` is called (from any thread) with the number of background
/// patients just finished; the calls add up to `options.patients`.
pub fn generate(
    options: &GenOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GenSummary, GenError> {
    generate_planting(options, None, progress).map(|(summary, _)| summary)
}

/// As [`generate`], and plants the tests of `rules` too (`gen
/// --plant`; see `user_rules`): their claims in a part of their own after
/// the shipped cases', their reference rows after the others', their
/// labels among the others'. Says what was planted and what was not.
pub fn generate_planting(
    options: &GenOptions,
    rules: Option<PlantRules<'_>>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(GenSummary, PlantReport), GenError> {
    let out = options.out.as_path();
    let contract = chs_schema();
    // Before anything is written: the copies are checked by running rules.
    let mut own = rules.map(|p| plant_rule_tests(p, &contract, options.seed));
    prepare_folder(out, &[CLAIMS, CLAIM_ITEMS])?;
    let schemas = Schemas::contract();
    let world = World::build(options.seed, options.patients);
    let chunks = options.patients.div_ceil(CHUNK_PATIENTS);
    let outputs = (0..chunks)
        .into_par_iter()
        .map(|index| {
            let output = run_chunk(&world, &schemas, out, options.seed, index, options.patients)?;
            progress(output.patients.num_rows() as u64);
            Ok(output)
        })
        .collect::<Result<Vec<_>, GenError>>()?;

    // Planted claims follow the background's parts; the dense profile
    // writes them in several parts as they fill up.
    let mut parts = chunks as usize;
    let mut planted_counts = PartCounts {
        claims: 0,
        lines: 0,
    };
    let mut write_part = |tables| -> Result<(), GenError> {
        let counts = write_claims_part(out, parts, tables, &schemas)?;
        planted_counts.claims += counts.claims;
        planted_counts.lines += counts.lines;
        parts += 1;
        Ok(())
    };
    let rate = Rate::of(options.profile);
    let mut planted = plant(
        &world,
        options.seed,
        options.patients,
        &rate,
        &mut write_part,
    )?;
    write_part(std::mem::replace(
        &mut planted.tables,
        ClaimTables::planted(),
    ))?;
    let own_tables = match &own {
        Some(own) => own.batches(&contract, &schemas, options.seed)?,
        None => OwnTables::default(),
    };
    if let Some(counts) = own_tables.write_part(out, &schemas, parts)? {
        planted_counts.claims += counts.claims;
        planted_counts.lines += counts.lines;
        parts += 1;
    }
    reorder(out, &schemas, options.order, options.seed, parts)?;

    let patients_path = out.join(format!("{PATIENTS}.parquet"));
    let mut people = PatientTable::with_capacity(planted.patients.len());
    for patient in &planted.patients {
        people.push(patient, &mut planted.rng);
    }
    let mut patient_batches: Vec<_> = outputs.iter().map(|o| o.patients.clone()).collect();
    patient_batches.push(
        people
            .finish(&schemas.patients)
            .map_err(arrow_error(&patients_path))?,
    );
    patient_batches.extend(own_tables.patients);
    write_parquet(&patients_path, &schemas.patients, &patient_batches)?;

    let catalog_path = out.join(format!("{CATALOG}.parquet"));
    let entries = world.catalog.entries.iter().chain(&planted.entries);
    let catalog = catalog_batch(entries, &schemas.catalog).map_err(arrow_error(&catalog_path))?;
    let mut catalog = vec![catalog];
    catalog.extend(own_tables.catalog);
    write_parquet(&catalog_path, &schemas.catalog, &catalog)?;

    let providers_path = out.join(format!("{PROVIDERS}.parquet"));
    let all_providers = world.providers.iter().chain(&planted.providers);
    let providers =
        providers_batch(all_providers, &schemas.providers).map_err(arrow_error(&providers_path))?;
    let mut providers = vec![providers];
    providers.extend(own_tables.providers);
    write_parquet(&providers_path, &schemas.providers, &providers)?;

    let exclusive_rows = write_exclusive_items(
        out,
        &schemas.exclusive_items,
        options.seed,
        options.exclusive_items,
        &world.catalog.entries,
        &planted.exclusive,
        own_tables.exclusive_items.as_ref(),
    )?;

    let mut report = PlantReport::default();
    if let Some(own) = own.take() {
        planted.labels.extend(own.labels);
        sort_labels(&mut planted.labels);
        report = own.report;
    }
    let labels_path = out.join("labels.parquet");
    let labels = labels_batch(&planted.labels).map_err(arrow_error(&labels_path))?;
    write_parquet(
        &labels_path,
        &labels_arrow_schema(),
        std::slice::from_ref(&labels),
    )?;

    let claims = outputs.iter().map(|o| o.counts.claims).sum::<u64>() + planted_counts.claims;
    let lines = outputs.iter().map(|o| o.counts.lines).sum::<u64>() + planted_counts.lines;
    let patients = patient_batches.iter().map(|b| b.num_rows() as u64).sum();
    let rows = |batches: &[RecordBatch]| batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
    let summary = GenSummary {
        tables: vec![
            (CLAIMS.to_string(), claims),
            (CLAIM_ITEMS.to_string(), lines),
            (PATIENTS.to_string(), patients),
            (CATALOG.to_string(), rows(&catalog)),
            (PROVIDERS.to_string(), rows(&providers)),
            (EXCLUSIVE_ITEMS.to_string(), exclusive_rows),
            ("labels".to_string(), labels.num_rows() as u64),
        ],
        // Two files per part, and five single files.
        files: 2 * parts as u64 + 5,
    };
    Ok((summary, report))
}
