//! The `zonectl` binary: parses arguments and hands over to the library's CLI layer.

use std::process::ExitCode;

fn main() -> ExitCode {
    zonectl::cli::run()
}
