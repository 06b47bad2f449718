//! The `threatc` binary: parse arguments, run the library, map the result to an exit code.

fn main() {
    // A panic is a bug in threatc, never the user's fault: say so and exit with the
    // documented internal-error code instead of Rust's 101.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error: {info}\nthis is a bug in threatc; please report it with the input that caused it");
    }));
    let code = std::panic::catch_unwind(threatc::cli::main).unwrap_or(threatc::cli::exit::INTERNAL);
    std::process::exit(code);
}
