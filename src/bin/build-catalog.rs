//! Regenerates the embedded ATT&CK catalogs:
//! `cargo run --release --bin build-catalog -- ../shared/attack [data/catalog]`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(attack_dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: build-catalog ATTACK_DIR [OUT_DIR]   (OUT_DIR defaults to data/catalog)");
        return ExitCode::from(2);
    };
    let out_dir = args
        .next()
        .map_or_else(|| PathBuf::from("data/catalog"), PathBuf::from);
    match threatc::catalog::build_embedded(&attack_dir, &out_dir) {
        Ok(paths) => {
            for p in paths {
                println!("wrote {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
