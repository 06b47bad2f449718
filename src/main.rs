//! The `threatc` binary: parse arguments, run the library, map the result to an exit code.
//! The command line ([`cli`]) lives here, not in the library: only the binary prints.

mod cli;

/// mimalloc rather than the system allocator: a build is millions of small allocations
/// (catalog strings, analysis rows, output text) on two or more threads, and glibc's
/// per-thread arenas made the parallel stages slower than the serial ones.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // A panic is a bug in threatc, never the user's fault: say so and exit with the
    // documented internal-error code instead of Rust's 101.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error: {info}\nthis is a bug in threatc; please report it with the input that caused it");
    }));
    let code = std::panic::catch_unwind(cli::main).unwrap_or(cli::exit::INTERNAL);
    std::process::exit(code);
}
