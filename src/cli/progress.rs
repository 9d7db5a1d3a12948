//! Progress for long work, phase by phase: a bar with percentage and an
//! estimate of the time left on a terminal; plain lines on a log (cron,
//! a pipe) every ten seconds while a phase runs, and when a phase that took
//! that long ends. Quick work prints nothing.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::data::load::summary::thousands;

/// Reports progress on a count of `unit`s towards an optional total, one
/// phase at a time.
pub struct Progress {
    bar: Option<ProgressBar>,
    state: Mutex<Phase>,
}

struct Phase {
    label: String,
    unit: &'static str,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_line: Instant,
    /// Whether a plain line was printed for this phase.
    printed: bool,
}

const PLAIN_INTERVAL: Duration = Duration::from_secs(10);

fn style(total: Option<u64>) -> ProgressStyle {
    match total {
        Some(_) => ProgressStyle::with_template(
            "{msg} [{bar:30}] {percent:>3}% {human_pos}/{human_len} · {per_sec:0} · eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
        None => ProgressStyle::with_template("{msg} {spinner} {human_pos} · {per_sec:0}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    }
}

impl Progress {
    pub fn new(label: &str, unit: &'static str, total: Option<u64>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total.unwrap_or(0));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        let progress = Progress {
            bar,
            state: Mutex::new(Phase {
                label: String::new(),
                unit,
                total,
                done: 0,
                started: now,
                last_line: now,
                printed: false,
            }),
        };
        progress.start(label, unit, total, false);
        progress
    }

    /// Ends the phase running and starts the next: its label, unit and
    /// total change together, and its count starts from 0.
    pub fn phase(&self, label: &str, unit: &'static str, total: Option<u64>) {
        self.start(label, unit, total, true);
    }

    fn start(&self, label: &str, unit: &'static str, total: Option<u64>, ending: bool) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if ending && self.bar.is_none() {
            log_end(&state);
        }
        let now = Instant::now();
        *state = Phase {
            label: label.to_owned(),
            unit,
            total,
            done: 0,
            started: now,
            last_line: now,
            printed: false,
        };
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_style(style(total));
            bar.set_length(total.unwrap_or(0));
            bar.set_message(label.to_owned());
        }
    }

    /// Names what the phase is at now (`validating claim_items`), keeping
    /// its count.
    pub fn set_label(&self, label: &str) {
        if let Ok(mut state) = self.state.lock() {
            label.clone_into(&mut state.label);
        }
        if let Some(bar) = &self.bar {
            bar.set_message(label.to_owned());
        }
    }

    /// Adds `n` finished units.
    pub fn advance(&self, n: u64) {
        if let Ok(mut state) = self.state.lock() {
            state.done += n;
            self.show(&mut state);
        }
    }

    /// Sets the finished units of this phase to `n`.
    pub fn set(&self, n: u64) {
        if let Ok(mut state) = self.state.lock() {
            state.done = n;
            self.show(&mut state);
        }
    }

    fn show(&self, state: &mut Phase) {
        if let Some(bar) = &self.bar {
            bar.set_position(state.done);
            return;
        }
        if state.last_line.elapsed() < PLAIN_INTERVAL {
            return;
        }
        state.last_line = Instant::now();
        state.printed = true;
        let seconds = state.started.elapsed().as_secs_f64().max(1e-9);
        let rate = state.done as f64 / seconds;
        let (label, unit, done) = (&state.label, state.unit, thousands(state.done));
        match state.total {
            Some(total) if total > 0 => {
                let left = total.saturating_sub(state.done) as f64 / rate.max(1e-9);
                eprintln!(
                    "{label}: {done}/{} {unit} ({:.0}%), {}/s, about {} left",
                    thousands(total),
                    state.done as f64 * 100.0 / total as f64,
                    thousands(rate as u64),
                    duration(left)
                );
            }
            _ => eprintln!("{label}: {done} {unit}, {}/s", thousands(rate as u64)),
        }
    }

    /// Ends the last phase.
    pub fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None => {
                if let Ok(state) = self.state.lock() {
                    log_end(&state);
                }
            }
        }
    }
}

/// Tables read one after another, each counting its rows from 0, shown as
/// one count towards the total of all their rows.
#[derive(Default)]
pub struct TableRows {
    table: String,
    before: u64,
    in_table: u64,
}

impl TableRows {
    /// `rows` of `table` are done; the label names the table (`reading claims`).
    pub fn show(&mut self, verb: &str, table: &str, rows: u64, progress: &Progress) {
        if self.table != table {
            self.before += self.in_table;
            table.clone_into(&mut self.table);
            progress.set_label(&format!("{verb} {table}"));
        }
        self.in_table = rows;
        progress.set(self.before + rows);
    }
}

fn log_end(state: &Phase) {
    if !state.printed && state.started.elapsed() < PLAIN_INTERVAL {
        return;
    }
    eprintln!(
        "{}: {} {} in {}",
        state.label,
        thousands(state.done),
        state.unit,
        duration(state.started.elapsed().as_secs_f64())
    );
}

/// `75.2` as `1 min 15 s`; under ten seconds with one decimal.
fn duration(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{seconds:.1} s")
    } else if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else {
        let whole = seconds.round() as u64;
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(3.25), "3.2 s");
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(75.2), "1 min 15 s");
    }
}
