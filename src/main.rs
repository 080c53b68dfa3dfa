//! The `zonectl` binary: parses arguments and hands over to the library's CLI layer.

use std::ffi::{c_int, c_long};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// Options of the mimalloc that the `mimalloc` crate builds (`mi_option_e` in its mimalloc.h,
// the same numbers in v2 and v3); the crate does not name them.
extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
}
/// `mi_option_purge_delay`: give freed pages back to the system at once. With the default
/// delay (1 s) they are given back only when the allocator is next busy, and a server that
/// has just reloaded a large zone is idle: it would keep both copies' memory.
const MI_OPTION_PURGE_DELAY: c_int = 15;
/// `mi_option_arena_eager_commit`: commit arena memory as it is used, not as the arena is
/// reserved. With the default (eager where the system overcommits), 1000 small lab zones
/// took 18 MB instead of 8 and the 1M-host zone 192 MB instead of 179.
const MI_OPTION_ARENA_EAGER_COMMIT: c_int = 4;

/// Sets the options read when mimalloc makes its first arena, which happens at the first
/// allocation, before `main`: run as a constructor, as the process starts.
extern "C" fn set_allocator_options() {
    // SAFETY: options may be set at any time, before any allocation too.
    unsafe { mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
}

#[used]
#[link_section = ".init_array"]
static SET_ALLOCATOR_OPTIONS: extern "C" fn() = set_allocator_options;

fn main() -> ExitCode {
    // SAFETY: options may be set at any time; this one is read whenever memory is freed.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    zonectl::cli::run()
}
