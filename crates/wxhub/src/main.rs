//! The `wxhub` binary: everything is in `wxhub::cli`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    wxhub::cli::main()
}
