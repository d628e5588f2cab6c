//! The `wxhub` binary: everything is in `wxhub::cli`.
#![forbid(unsafe_code)]

/// mimalloc instead of glibc's malloc: under load the callback path spent about a sixth of
/// its CPU in glibc's allocator and its arena locks (measured with `perf` on
/// `wxhub bench callbacks`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    wxhub::cli::main()
}
