//! Floating-point measures end to end: read from CSV and Parquet (narrower
//! floats widened, NaN, infinities and 64-bit integers refused and
//! placed), and summed exactly, so a flag's values do not depend on how
//! the scan split the rows.

#[path = "support/run.rs"]
mod run;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use run::claimaudit;

const SIGNALS: &str = "rulesets/examples/signals";

/// The signals ruleset's schema with a rule giving each provider's total
/// distance in its message, and one grouping claims by patient, so that a
/// scan partitions claims by patient and merges each provider's partial
/// sums (`claimaudit plan` says so).
fn ruleset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["schema.rules", "ruleset.rules"] {
        fs::copy(Path::new(SIGNALS).join(file), dir.path().join(file)).unwrap();
    }
    fs::write(
        dir.path().join("distance.rules"),
        r#"rule KM-01 "a provider's patients' total distance" {
  category geographic_anomaly
  severity low
  action review

  for c in claims
  per provider = c.provider
  let km = sum(c.distance_km)
  peers by provider.state
  flag when km > 0.5
  message "{provider.provider_id}: {km} km"
}

rule KM-00 "a patient's claims, keyed so that a scan partitions claims by patient" {
  category geographic_anomaly
  severity low
  action review

  for c in claims
  group by c.patient_id
  flag when count() > 1000
}
"#,
    )
    .unwrap();
    dir
}

/// Providers D1 and D2, and `claims` (provider, patient, distance text).
fn csv_dataset(claims: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("providers.csv"),
        "provider_id,specialty,state,official_name\nD1,therapy,S1,\nD2,therapy,S1,\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("exclusions.csv"),
        "provider_id,excluded_from,reinstated\n",
    )
    .unwrap();
    let mut text = String::from(
        "claim_id,provider_id,patient_id,service_date,submitted_at,service_type,amount,distance_km\n",
    );
    for (i, (provider, patient, km)) in claims.iter().enumerate() {
        text.push_str(&format!(
            "K{i:05},{provider},{patient},2024-03-01,2024-03-01 09:00:00,office,1.00,{km}\n"
        ));
    }
    fs::write(dir.path().join("claims.csv"), text).unwrap();
    dir
}

fn scan(rules: &Path, data: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("flags.jsonl");
    let mut args = vec![
        "scan",
        "--rules",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
    ];
    args.extend(extra);
    let (code, stdout, stderr) = claimaudit(&args);
    let flags = fs::read_to_string(&file).unwrap_or_default();
    (code, flags, format!("{stdout}{stderr}"))
}

fn messages(flags: &str) -> Vec<String> {
    flags
        .lines()
        .map(|l| {
            let flag: serde_json::Value = serde_json::from_str(l).unwrap();
            flag["message"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn float_sums_are_exact_whatever_the_partitions() {
    // 1e16 + 1 is 1e16 in floating point, so adding these in most orders
    // loses the ones; exactly, the sum is 3. Each claim is another
    // patient's, so a memory limit spreads D1's claims over partitions.
    let mut claims = Vec::new();
    for i in 0..600 {
        let patient = format!("P{i:04}");
        let km = match i % 4 {
            0 => "1e16",
            2 => "-1e16",
            _ => "0.5",
        };
        claims.push(("D1", patient, km));
    }
    claims.push(("D2", "Q1".to_string(), "0.1"));
    claims.push(("D2", "Q2".to_string(), "0.2"));
    claims.push(("D2", "Q3".to_string(), "0.3"));
    let claims: Vec<(&str, &str, &str)> = claims
        .iter()
        .map(|(d, p, k)| (*d, p.as_str(), *k))
        .collect();
    let data = csv_dataset(&claims);
    let rules = ruleset();
    let (code, whole, log) = scan(rules.path(), data.path(), &["--threads", "1"]);
    assert_eq!(code, 0, "{log}");
    // 300 halves; 0.1 + 0.2 + 0.3 is 0.6 exactly rounded (added left to
    // right it would be 0.6000000000000001).
    assert_eq!(messages(&whole), ["D1: 150 km", "D2: 0.6 km"]);
    for extra in [
        &["--threads", "2"][..],
        &["--threads", "2", "--memory-limit", "256KiB"][..],
    ] {
        let (code, split, log) = scan(rules.path(), data.path(), extra);
        assert_eq!(code, 0, "{log}");
        assert_eq!(split, whole, "{extra:?}");
    }
}

fn validate(rules: &Path, data: &Path) -> (i32, String) {
    let (code, stdout, stderr) = claimaudit(&[
        "validate",
        "--rules",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn csv_floats_may_use_exponents_but_must_be_finite() {
    let rules = ruleset();
    let good = csv_dataset(&[
        ("D1", "P1", "1.5e1"),
        ("D1", "P2", "-0.25"),
        ("D1", "P3", ""),
    ]);
    let (code, text) = validate(rules.path(), good.path());
    assert_eq!(code, 0, "{text}");
    let bad = csv_dataset(&[
        ("D1", "P1", "NaN"),
        ("D1", "P2", "1e400"),
        ("D1", "P3", "1_5"),
    ]);
    let (code, text) = validate(rules.path(), bad.path());
    assert_eq!(code, 1, "{text}");
    for needle in [
        "column `distance_km`, line 2: `NaN` is not a finite number",
        "column `distance_km`, line 3: `1e400` is beyond the range of a float64",
        "column `distance_km`, line 4: `1_5` is not a finite number",
    ] {
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }
}

/// The CSV dataset of `claims`, with claims written as Parquet whose
/// `distance_km` is `distance`.
fn parquet_dataset(distance: ArrayRef) -> tempfile::TempDir {
    let rows = distance.len();
    let data = csv_dataset(&[]);
    fs::remove_file(data.path().join("claims.csv")).unwrap();
    let text = |f: &dyn Fn(usize) -> String| -> ArrayRef {
        Arc::new(StringArray::from((0..rows).map(f).collect::<Vec<_>>()))
    };
    let dates = arrow::array::Date32Array::from(vec![19783; rows]);
    let times = arrow::array::TimestampMillisecondArray::from(vec![1_709_283_600_000; rows]);
    let amounts = arrow::array::Decimal128Array::from(vec![100; rows])
        .with_precision_and_scale(12, 2)
        .unwrap();
    let batch = RecordBatch::try_from_iter([
        ("claim_id", text(&|i| format!("K{i}"))),
        ("provider_id", text(&|_| "D1".to_string())),
        ("patient_id", text(&|i| format!("P{i}"))),
        ("service_date", Arc::new(dates) as ArrayRef),
        ("submitted_at", Arc::new(times) as ArrayRef),
        ("service_type", text(&|_| "office".to_string())),
        ("amount", Arc::new(amounts) as ArrayRef),
        ("distance_km", distance),
    ])
    .unwrap();
    let file = fs::File::create(data.path().join("claims.parquet")).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    data
}

#[test]
fn parquet_floats_widen_from_float32_and_refuse_what_is_not_a_number() {
    let rules = ruleset();
    // Float32 values widen exactly: 0.25 + 0.5 = 0.75.
    let narrow = parquet_dataset(Arc::new(Float32Array::from(vec![
        Some(0.25),
        None,
        Some(0.5),
    ])));
    let (code, flags, log) = scan(rules.path(), narrow.path(), &[]);
    assert_eq!(code, 0, "{log}");
    assert_eq!(messages(&flags), ["D1: 0.75 km"]);

    let spoiled = parquet_dataset(Arc::new(Float64Array::from(vec![
        1.0,
        f64::NAN,
        f64::INFINITY,
    ])));
    let (code, text) = validate(rules.path(), spoiled.path());
    assert_eq!(code, 1, "{text}");
    for needle in [
        "column `distance_km`, row 2: value NaN is not a finite number",
        "column `distance_km`, row 3: value inf is not a finite number",
    ] {
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }

    // A 64-bit integer may not fit a float exactly: refused as a column.
    let wide = parquet_dataset(Arc::new(Int64Array::from(vec![1, 2, 3])));
    let (code, text) = validate(rules.path(), wide.path());
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("column `distance_km`: expected Float64, found Int64"),
        "{text}"
    );
}

#[test]
fn a_float_is_never_money() {
    let rules = ruleset();
    fs::write(
        rules.path().join("distance.rules"),
        r#"rule KM-02 "money per km" {
  category geographic_anomaly
  severity low
  action review

  for c in claims
  amount c.distance_km
  flag when c.amount / c.distance_km > 10
}
"#,
    )
    .unwrap();
    let (code, stdout, stderr) = claimaudit(&["check", rules.path().to_str().unwrap()]);
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("[E0211] Error: cannot divide a decimal number and a floating-point number"),
        "{text}"
    );
    assert!(
        text.contains("`amount` is money, but this is a floating-point number"),
        "{text}"
    );
}
