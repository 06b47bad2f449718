//! Time an import of a folder of rules and print a short summary.
//!
//! `cargo run --release --example import_sigma -- [FORMAT] [PATH]`
//! (defaults: `sigma ../shared/fixtures/sigma`).

use std::time::Instant;

use threatc::import::{import, summarize, Format, ImportOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let format: Format = match args.next().unwrap_or_else(|| "sigma".into()).parse() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/fixtures/sigma".into());
    let mut opts = ImportOptions::new(".");
    // The fixtures live beside the checkout, outside its repository root.
    opts.allow_outside_root = true;

    let runs = 5;
    let mut best = f64::MAX;
    let mut res = None;
    for _ in 0..runs {
        let start = Instant::now();
        let r = import(format, &path, &opts);
        best = best.min(start.elapsed().as_secs_f64());
        res = Some(r);
    }
    let Some(res) = res else { return };
    let s = summarize(&res);
    println!(
        "{format} {path}: {} files, {} rules ({} deprecated), {} without technique, {} techniques, {} problems; best of {runs}: {:.1} ms",
        s.files,
        s.rules,
        s.deprecated,
        s.no_technique,
        s.techniques.len(),
        s.problems,
        best * 1000.0
    );
    for p in res.problems.iter().take(20) {
        println!(
            "  {}:{}:{} [{}] {}",
            p.path.display(),
            p.line.unwrap_or(0),
            p.column.unwrap_or(0),
            p.code,
            p.message
        );
    }
}
