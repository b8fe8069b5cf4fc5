// mimalloc rather than glibc's malloc: `check` makes many small, short-lived allocations
// (about a third of its time went to malloc/free at 10 MB; README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    runbook::cli::main()
}
