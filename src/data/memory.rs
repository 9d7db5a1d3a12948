//! How much memory the process holds, and giving freed memory back.

/// The value of a `/proc/self/status` field (Linux), in bytes.
pub fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The memory this process holds now (Linux), in bytes: from
/// `/proc/self/statm`, which the kernel writes far faster than `status`
/// (the scan asks after every few batches).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

fn page_size() -> u64 {
    #[cfg(unix)]
    // SAFETY: sysconf only reads a system constant.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    #[cfg(not(unix))]
    let size = 4096;
    if size > 0 { size as u64 } else { 4096 }
}

/// The most memory this process has held (Linux), in bytes.
pub fn peak_memory_bytes() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// Gives memory the program has freed back to the system. The allocator
/// otherwise keeps it for reuse, and freed pieces of decoded data would
/// count against the peak again when the next pieces are decoded.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Makes the allocator give big blocks back to the system as soon as they
/// are freed. glibc otherwise raises its threshold for mapping blocks after
/// the first big free and then keeps freed column buffers in its arenas,
/// so the process would hold about twice the memory it uses.
pub fn return_big_blocks_promptly() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tunables; called before threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * 1024);
    }
}

/// Makes the allocator keep freed blocks for reuse instead of giving them
/// back. Evaluating rules allocates and frees the same column-sized blocks
/// batch after batch; mapped afresh each time, every page of each would
/// fault in again (a tenth of a scan's time went to that). Called once the
/// tables are loaded, when the blocks freed are the evaluator's own.
pub fn keep_freed_blocks_for_reuse() {
    if let Some(hooks) = ALLOCATOR_HOOKS.get() {
        (hooks.keep_freed)();
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tunables.
    unsafe {
        // Blocks up to 4 MiB (a column of a 64 Ki-row batch) come from the
        // heap and are reused; up to 16 MiB of free heap is kept.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 * 1024 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 16 * 1024 * 1024);
    }
}

/// What the program's own allocator can be told, when the program links
/// one (the `claimaudit` binary: mimalloc).
pub struct AllocatorHooks {
    /// Keep freed blocks for reuse from now on.
    pub keep_freed: fn(),
    /// Collect what the calling thread freed (each thread keeps its own).
    pub collect: fn(),
}

static ALLOCATOR_HOOKS: std::sync::OnceLock<AllocatorHooks> = std::sync::OnceLock::new();

/// Registers what the program's allocator does for
/// [`keep_freed_blocks_for_reuse`] and [`give_back_freed_blocks`].
pub fn on_allocator(hooks: AllocatorHooks) {
    let _ = ALLOCATOR_HOOKS.set(hooks);
}

/// Gives the blocks kept for reuse back to the system (blocks freed later
/// are kept as before): called when a partition nears the memory limit (a
/// long history's), where what the allocator keeps counts against the
/// limit as much as what is in use. Each thread keeps its own:
/// `each_thread` runs what it is given on the threads whose blocks should
/// go back (a pool's every thread by `broadcast`, or the caller alone).
pub fn give_back_freed_blocks(each_thread: &dyn Fn(&(dyn Fn() + Sync))) {
    if let Some(hooks) = ALLOCATOR_HOOKS.get() {
        each_thread(&hooks.collect);
    }
    release_freed_memory();
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn resident_memory_from_statm_agrees_with_status() {
        let statm = super::resident_bytes().unwrap();
        let status = super::status_bytes("VmRSS:").unwrap();
        // Read a moment apart, so allow a little difference.
        assert!(
            statm.abs_diff(status) < statm / 4 + (4 << 20),
            "{statm} vs {status}"
        );
    }
}
