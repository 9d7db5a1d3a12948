//! Long checks (a chronic patient's long history) run on threads of their
//! own at a lower scheduling priority (nice 10), so that while a core is
//! wanted by the connections' threads, a long check yields it: the light
//! checks keep their latency, and a long check still gets every core the
//! others leave idle. Together with the per-patient turns (`isolation`),
//! one patient's checks can neither take every thread nor slow the others.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::error::ApiError;

/// How much lower long checks run than the connections (Linux `nice`).
const NICENESS: libc::c_int = 10;

pub struct LongChecks {
    pool: rayon::ThreadPool,
}

impl LongChecks {
    /// A pool of `threads` (all cores when 0), each lowered to nice 10 as
    /// it starts.
    pub fn new(threads: usize) -> LongChecks {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("long-check-{i}"))
            .start_handler(|_| lower_priority())
            .build()
            .expect("a thread pool for long checks");
        LongChecks { pool }
    }

    /// Runs `f` on a long-check thread; a panic is answered 500.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, result) = oneshot::channel();
        self.pool.spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = done.send(outcome);
        });
        match result.await {
            Ok(Ok(outcome)) => outcome,
            _ => Err(ApiError::internal(
                "the request's work stopped: it panicked".to_string(),
            )),
        }
    }
}

/// Lowers the calling thread's priority by [`NICENESS`] (on Linux, a
/// thread has its own nice value); where that is refused, the thread runs
/// as it is.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread, no memory passed.
    unsafe {
        let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, thread);
        if libc::setpriority(libc::PRIO_PROCESS, thread, (now + NICENESS).min(19)) != 0 {
            tracing::debug!("long checks run at the normal priority: setpriority was refused");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_checks_run_at_a_lower_priority_and_panics_are_errors() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        #[cfg(target_os = "linux")]
        let here = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let pool = Arc::new(LongChecks::new(1));
        #[cfg(target_os = "linux")]
        {
            // SAFETY: reads the calling thread's nice value.
            let nice = runtime
                .block_on(pool.run(|| Ok(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) })));
            assert_eq!(nice.unwrap(), (here + NICENESS).min(19));
        }
        let failed = runtime.block_on(pool.run(|| -> Result<(), ApiError> { panic!("boom") }));
        assert!(failed.is_err());
        assert_eq!(runtime.block_on(pool.run(|| Ok(2))).unwrap(), 2);
    }
}
