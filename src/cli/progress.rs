//! Progress for long work: a bar on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Reports progress on a count of `unit`s towards an optional total.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: Mutex<PlainState>,
    label: String,
    unit: &'static str,
    total: Option<u64>,
}

struct PlainState {
    done: u64,
    last_line: Instant,
    started: Instant,
}

const PLAIN_INTERVAL: Duration = Duration::from_secs(5);

impl Progress {
    pub fn new(label: &str, unit: &'static str, total: Option<u64>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total).with_style(
                    ProgressStyle::with_template(
                        "{msg:>12} [{bar:30}] {human_pos}/{human_len} {per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                ),
                None => ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{msg:>12} {spinner} {human_pos} {per_sec}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                ),
            };
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            plain: Mutex::new(PlainState {
                done: 0,
                last_line: now,
                started: now,
            }),
            label: label.to_string(),
            unit,
            total,
        }
    }

    pub fn set_label(&self, label: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(label.to_string());
        }
    }

    /// Adds `n` finished units.
    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            return;
        }
        let Ok(mut state) = self.plain.lock() else {
            return;
        };
        state.done += n;
        self.maybe_log(&mut state);
    }

    /// Sets the finished units to `n`.
    pub fn set(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(n);
            return;
        }
        let Ok(mut state) = self.plain.lock() else {
            return;
        };
        state.done = n;
        self.maybe_log(&mut state);
    }

    fn maybe_log(&self, state: &mut PlainState) {
        if state.last_line.elapsed() < PLAIN_INTERVAL {
            return;
        }
        state.last_line = Instant::now();
        let rate = state.done as f64 / state.started.elapsed().as_secs_f64().max(1e-9);
        match self.total {
            Some(total) => eprintln!(
                "{}: {}/{} {} ({:.0}/s)",
                self.label, state.done, total, self.unit, rate
            ),
            None => eprintln!(
                "{}: {} {} ({:.0}/s)",
                self.label, state.done, self.unit, rate
            ),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
