//! The `zonectl` binary: parses arguments and hands over to the library's CLI layer.

use std::ffi::{c_int, c_long};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// An option of the mimalloc that the `mimalloc` crate builds (`mi_option_e` in its
// mimalloc.h, v2 and v3 alike); the crate does not name it.
extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
}
/// `mi_option_purge_delay`: give freed pages back to the system at once. With the default
/// delay (1 s) they are given back only when the allocator is next busy, and a server that
/// has just reloaded a large zone is idle: it would keep both copies' memory.
const MI_OPTION_PURGE_DELAY: c_int = 15;

fn main() -> ExitCode {
    // SAFETY: options may be set at any time; this one is read whenever memory is freed.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    zonectl::cli::run()
}
