//! Prints the diagnostic-code table of README.md.
fn main() {
    println!("| code | severity | meaning |\n|---|---|---|");
    for c in threatc::diag::CODES {
        println!("| `{}` | {} | {} |", c.code, c.severity.as_str(), c.meaning);
    }
}
