//! How much memory the process holds, and giving freed memory back.

/// The value of a `/proc/self/status` field (Linux), in bytes.
pub fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
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
    if let Some(keep) = KEEP_FREED_BLOCKS.get() {
        keep();
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

/// What the program's own allocator does to keep freed blocks for reuse,
/// when the program links one (the `claimaudit` binary: mimalloc).
static KEEP_FREED_BLOCKS: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Registers how the program's allocator keeps freed blocks for reuse:
/// called by [`keep_freed_blocks_for_reuse`] once the tables are read.
pub fn on_keep_freed_blocks(keep: fn()) {
    let _ = KEEP_FREED_BLOCKS.set(keep);
}
