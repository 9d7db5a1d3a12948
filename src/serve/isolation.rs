//! One patient's checks cannot starve the others.
//!
//! A chronic patient's check reads a long history and costs many times a
//! light one; several clients checking that patient at once would hold
//! every core. So at most `--checks-per-patient` checks of one patient run
//! at a time. A check waiting longer than `--patient-wait` for its turn is
//! answered 503 `busy`, with `Retry-After`, and the other patients' checks
//! go on meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

/// Seconds a client is asked to wait before checking a busy patient again.
pub const RETRY_AFTER_SECS: u64 = 1;

pub struct PatientGate {
    per_patient: usize,
    wait: Duration,
    /// The patients with a check running or waiting.
    turns: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

/// A turn of a patient's checks: held while the check runs.
pub struct Turn {
    _permits: Vec<OwnedSemaphorePermit>,
    patients: Vec<String>,
    turns: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self._permits.clear();
        let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        for patient in &self.patients {
            // Nobody else runs or waits: the patient's entry goes.
            if turns
                .get(patient)
                .is_some_and(|s| Arc::strong_count(s) == 1)
            {
                turns.remove(patient);
            }
        }
    }
}

impl PatientGate {
    pub fn new(per_patient: usize, wait: Duration) -> PatientGate {
        PatientGate {
            per_patient: per_patient.max(1),
            wait,
            turns: Default::default(),
        }
    }

    /// A turn for the checks of these patients (all of them, in one order,
    /// so two requests never wait on each other), or 503 `busy` when one's
    /// turn does not come within the wait.
    pub async fn enter(&self, patients: &[&str]) -> Result<Turn, ApiError> {
        let mut patients: Vec<String> = patients.iter().map(|p| p.to_string()).collect();
        patients.sort();
        patients.dedup();
        let mut turn = Turn {
            _permits: Vec::new(),
            patients: Vec::new(),
            turns: self.turns.clone(),
        };
        for patient in patients {
            let semaphore = {
                let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
                turns
                    .entry(patient.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_patient)))
                    .clone()
            };
            turn.patients.push(patient);
            let acquired = tokio::time::timeout(self.wait, semaphore.acquire_owned()).await;
            match acquired {
                Ok(Ok(permit)) => turn._permits.push(permit),
                _ => return Err(busy(self.wait)),
            }
        }
        Ok(turn)
    }

    /// How many patients have a check running or waiting.
    pub fn patients(&self) -> usize {
        self.turns.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn busy(wait: Duration) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        format!(
            "other checks of this patient are running; this one waited {} ms for its turn (--patient-wait); send it again",
            wait.as_millis()
        ),
    );
    error.retry_after = Some(RETRY_AFTER_SECS);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_busy_patient_waits_alone_and_is_then_refused() {
        let gate = PatientGate::new(1, Duration::from_millis(50));
        let first = gate.enter(&["P1"]).await.unwrap();
        // Another patient goes ahead at once.
        let other = gate.enter(&["P2", "P2"]).await.unwrap();
        // P1's second check waits for its turn, then is refused.
        let refused = gate.enter(&["P1"]).await.err().unwrap();
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.code, "busy");
        assert_eq!(refused.retry_after, Some(RETRY_AFTER_SECS));
        let response = axum::response::IntoResponse::into_response(refused);
        assert_eq!(response.headers()["retry-after"], "1");
        drop(first);
        let again = gate.enter(&["P1"]).await.unwrap();
        drop((again, other));
        assert_eq!(gate.patients(), 0, "finished patients are forgotten");
    }

    #[tokio::test]
    async fn a_check_waits_for_its_turn_within_the_wait() {
        let gate = Arc::new(PatientGate::new(1, Duration::from_secs(5)));
        let first = gate.enter(&["P1"]).await.unwrap();
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter(&["P1"]).await.is_ok() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(first);
        assert!(waiting.await.unwrap());
    }
}
