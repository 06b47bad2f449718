//! Timing of the catalog's hot paths: `cargo bench --bench catalog`.
//!
//! Plain `Instant` timing (median of many runs) keeps the dependency tree lean. The bundle read
//! is measured only when `../shared/attack` is present.

use std::path::Path;
use std::time::{Duration, Instant};

use threatc::catalog::{self, Domain};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs.get(runs.len() / 2).copied().unwrap_or_default()
}

fn time<T>(iterations: usize, mut f: impl FnMut() -> T) -> Duration {
    let runs = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            let out = std::hint::black_box(f());
            let elapsed = start.elapsed();
            drop(out); // freeing is not part of the work measured
            elapsed
        })
        .collect();
    median(runs)
}

fn main() {
    for domain in Domain::all() {
        let path = format!(
            "{}/data/catalog/{}",
            env!("CARGO_MANIFEST_DIR"),
            catalog::embedded_file_name(domain, catalog::EMBEDDED_RELEASE)
        );
        // The embedded catalog lives as long as the process, and its texts borrow from it:
        // the bench's copy does the same.
        let bytes: &'static [u8] =
            Box::leak(std::fs::read(&path).unwrap_or_default().into_boxed_slice());
        let t = time(50, || catalog::decode(bytes));
        println!(
            "decode embedded {domain:<10} {:>9} bytes  median {:>8.3} ms",
            bytes.len(),
            t.as_secs_f64() * 1e3
        );
    }
    // The share of the decode spent building lookup indexes.
    if let Ok(c) = catalog::embedded(Domain::Enterprise) {
        let data = c.clone().into_data();
        let runs = (0..50)
            .map(|_| {
                let d = data.clone();
                let start = Instant::now();
                let c = std::hint::black_box(catalog::Catalog::new(d));
                let elapsed = start.elapsed();
                drop(c);
                elapsed
            })
            .collect();
        println!(
            "index build enterprise  median {:>8.3} ms",
            median(runs).as_secs_f64() * 1e3
        );
    }
    let attack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/attack");
    for name in [
        "enterprise-attack-18.1.json",
        "mobile-attack-18.1.json",
        "ics-attack-18.1.json",
    ] {
        let Ok(bytes) = std::fs::read(attack.join(name)) else {
            println!("read bundle {name}: skipped (../shared/attack absent)");
            continue;
        };
        let t = time(7, || catalog::read_bundle(&bytes, Some("18.1")));
        println!(
            "read bundle {name:<28} {:>9} bytes  median {:>8.3} ms",
            bytes.len(),
            t.as_secs_f64() * 1e3
        );
    }
}
