use std::process::ExitCode;

// mimalloc keeps freed blocks per thread and hands them out again, where
// glibc maps a column-sized block afresh each time and every page of it
// faults in (zeroed by the kernel) again: a fifth of a scan's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (not named by
/// the bindings): milliseconds before freed memory goes back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // A scan, once its tables are read, runs partition after partition,
    // allocating blocks of the same sizes each time: from then on what is
    // freed is kept for reuse. While reading (the loader's peak) freed
    // memory goes back after mimalloc's default delay, which keeps that
    // peak lower; so does the service, which never calls the hook.
    // MIMALLOC_PURGE_DELAY, when set, is the operator's to choose.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        claimaudit::data::memory::on_allocator(claimaudit::data::memory::AllocatorHooks {
            keep_freed: || set_purge_delay(KEPT_FOR_REUSE),
            // SAFETY: frees nothing in use; mimalloc collects its own pages.
            collect: || unsafe { libmimalloc_sys::mi_collect(true) },
        });
    }
    // Without transparent huge pages the kernel zeroes only the 4 KiB
    // pages a block touches, not 2 MiB around it: a clean scan spent a
    // fifth of its time zeroing huge pages.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    claimaudit::cli::main()
}

/// The purge delay while freed blocks are kept for reuse: far past any
/// scan, yet not "never" (-1), under which mimalloc does not note freed
/// pages at all and a forced collection could give none of them back.
const KEPT_FOR_REUSE: std::ffi::c_long = 1_000_000_000;

fn set_purge_delay(milliseconds: std::ffi::c_long) {
    // SAFETY: sets an allocator option; mimalloc reads it when it frees.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, milliseconds) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_named() {
        // mimalloc's (v3) default purge delay is 1000 ms; another option's
        // value here would mean the enum moved.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads an allocator option.
            let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(delay, 1000);
        }
    }
}
