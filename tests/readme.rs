//! README stays true: its two set-up commands, and a documented meaning for every
//! diagnostic code the code can emit.

mod common;
use common::*;

#[test]
fn every_diagnostic_code_is_registered_and_documented() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for c in threatc::diag::CODES {
        assert!(
            readme.contains(&format!("| `{}` |", c.code)),
            "README lacks diagnostic code `{}`",
            c.code
        );
    }
    // Codes written in the source are registered.
    let mut missing = Vec::new();
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for pat in [
            "Diagnostic::error(",
            "Diagnostic::warning(",
            "Diagnostic::note(",
        ] {
            for (i, _) in text.match_indices(pat) {
                let rest = text[i + pat.len()..].trim_start();
                let Some(rest) = rest.strip_prefix('"') else {
                    continue;
                };
                let code = &rest[..rest.find('"').unwrap()];
                if !threatc::diag::CODES.iter().any(|c| c.code == code) {
                    missing.push(format!("{}: {code}", f.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "codes used but not registered in src/diag/codes.rs: {missing:?}"
    );
}

#[test]
fn readme_opens_with_the_two_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let lines: Vec<&str> = block.lines().collect();
    assert!(
        lines[0].starts_with("cargo run -- build models/financial/model.yaml --out out"),
        "{block}"
    );
    assert!(lines[1].starts_with("cargo test --locked"), "{block}");
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.contains("cargo test --locked"),
        ".ci/run must run README's test command"
    );
    assert!(ci.contains("THREATC_REQUIRE_SHARED=1"));
    // The main job itself works offline on the example (through the built binary).
    let dir = tempfile::tempdir().unwrap();
    let o = threatc(
        &[
            "build",
            "models/financial/model.yaml",
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
