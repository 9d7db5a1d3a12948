//! How `check` grows with the number of rules (criterion): rulesets of
//! 500, 2,000 and 8,000 row rules over the CHS schema, each rule drawing
//! a warning, checked and every diagnostic rendered, as `claimaudit check`
//! does. The time per rule should stay flat; it grew with the ruleset
//! when every rendered diagnostic re-read every file.
//!
//! `cargo bench --bench ruleset_check`

use std::hint::black_box;
use std::path::Path;

use claimaudit::check::check_text;
use claimaudit::syntax::Renderer;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn ruleset(rules: usize) -> String {
    let chs = Path::new(env!("CARGO_MANIFEST_DIR")).join("rulesets/chs");
    let mut text: String = ["ruleset.rules", "schema.rules", "parameters.rules"]
        .iter()
        .map(|f| std::fs::read_to_string(chs.join(f)).unwrap())
        .collect();
    for i in 0..rules {
        // No test: each rule draws warning W0005.
        text.push_str(&format!(
            "rule R-{i} \"r{i}\" {{\n  category x\n  severity low\n  action warn\n  for line in claim_items\n  flag when line.quantity > {i}\n  message \"{{line.quantity}}\"\n}}\n"
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_and_render");
    group.sample_size(10);
    for rules in [500, 2_000, 8_000] {
        let text = ruleset(rules);
        group.throughput(Throughput::Elements(rules as u64));
        group.bench_with_input(BenchmarkId::from_parameter(rules), &text, |b, text| {
            b.iter(|| {
                let checked = check_text(Path::new("many.rules"), text);
                let mut renderer = Renderer::new(&checked.sources);
                let rendered: usize = checked
                    .diagnostics
                    .iter()
                    .map(|d| renderer.render(d).len())
                    .sum();
                black_box(rendered)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
