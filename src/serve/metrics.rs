//! Counters for `GET /metrics`, in the Prometheus text format: requests by
//! route, method and status; request latency by route (a histogram);
//! flags by rule; decisions; reloads; the ruleset serving.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::ir::Ruleset;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    flags: BTreeMap<String, u64>,
    decisions: BTreeMap<&'static str, u64>,
    reloads: BTreeMap<&'static str, u64>,
    ruleset: (String, String, String),
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        self.with(|m| {
            *m.requests
                .entry((route.to_string(), method.to_string(), status))
                .or_default() += 1;
            let h = m.latency.entry(route.to_string()).or_default();
            for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *count += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        });
    }

    pub fn check(&self, decision: &'static str, rule_ids: impl Iterator<Item = String>) {
        self.with(|m| {
            *m.decisions.entry(decision).or_default() += 1;
            for id in rule_ids {
                *m.flags.entry(id).or_default() += 1;
            }
        });
    }

    pub fn reload(&self, ok: bool) {
        self.with(|m| {
            *m.reloads
                .entry(if ok { "ok" } else { "refused" })
                .or_default() += 1
        });
    }

    pub fn set_ruleset(&self, ruleset: &Ruleset) {
        self.with(|m| {
            m.ruleset = (
                ruleset.name.clone(),
                ruleset.version.clone(),
                ruleset.hash.clone(),
            )
        });
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.with(|m| {
            let mut out = String::new();
            let _ = render(m, &mut out);
            out
        })
    }
}

fn render(m: &Inner, out: &mut String) -> std::fmt::Result {
    writeln!(
        out,
        "# HELP claimaudit_requests_total HTTP requests by route, method and status."
    )?;
    writeln!(out, "# TYPE claimaudit_requests_total counter")?;
    for ((route, method, status), n) in &m.requests {
        writeln!(
            out,
            "claimaudit_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
            label(route)
        )?;
    }
    writeln!(
        out,
        "# HELP claimaudit_request_duration_seconds Time to answer a request, by route."
    )?;
    writeln!(out, "# TYPE claimaudit_request_duration_seconds histogram")?;
    for (route, h) in &m.latency {
        let route = label(route);
        for (count, bound) in h.counts.iter().zip(BUCKETS) {
            writeln!(
                out,
                "claimaudit_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
            )?;
        }
        writeln!(
            out,
            "claimaudit_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
            h.count
        )?;
        writeln!(
            out,
            "claimaudit_request_duration_seconds_sum{{route=\"{route}\"}} {}",
            h.sum
        )?;
        writeln!(
            out,
            "claimaudit_request_duration_seconds_count{{route=\"{route}\"}} {}",
            h.count
        )?;
    }
    writeln!(
        out,
        "# HELP claimaudit_flags_total Flags raised by real-time checks, by rule."
    )?;
    writeln!(out, "# TYPE claimaudit_flags_total counter")?;
    for (rule, n) in &m.flags {
        writeln!(
            out,
            "claimaudit_flags_total{{rule_id=\"{}\"}} {n}",
            label(rule)
        )?;
    }
    writeln!(
        out,
        "# HELP claimaudit_decisions_total Real-time check decisions."
    )?;
    writeln!(out, "# TYPE claimaudit_decisions_total counter")?;
    for (decision, n) in &m.decisions {
        writeln!(
            out,
            "claimaudit_decisions_total{{decision=\"{decision}\"}} {n}"
        )?;
    }
    writeln!(
        out,
        "# HELP claimaudit_reloads_total Ruleset reloads, by result."
    )?;
    writeln!(out, "# TYPE claimaudit_reloads_total counter")?;
    for (result, n) in &m.reloads {
        writeln!(out, "claimaudit_reloads_total{{result=\"{result}\"}} {n}")?;
    }
    let (name, version, hash) = &m.ruleset;
    writeln!(
        out,
        "# HELP claimaudit_ruleset_info The ruleset serving checks."
    )?;
    writeln!(out, "# TYPE claimaudit_ruleset_info gauge")?;
    writeln!(
        out,
        "claimaudit_ruleset_info{{name=\"{}\",version=\"{}\",hash=\"{}\"}} 1",
        label(name),
        label(version),
        label(hash)
    )
}

/// A label value with `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
