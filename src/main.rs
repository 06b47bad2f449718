//! The `threatc` binary: parse arguments, run the library, map the result to an exit code.

fn main() {
    let code = threatc::cli::main();
    std::process::exit(code);
}
