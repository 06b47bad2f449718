//! README stays true: its two set-up commands, and a documented meaning for every
//! diagnostic code the code can emit.

mod common;
use common::*;

#[test]
fn every_diagnostic_code_is_documented_and_emitted() {
    use threatc::diag::Code;
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for c in Code::iter() {
        assert!(
            readme.contains(&format!(
                "| `{c}` | {} | {} |",
                c.severity().as_str(),
                c.meaning()
            )),
            "README's table lacks (or disagrees on) diagnostic code `{c}`"
        );
    }
    // Every code is emitted somewhere in the source (written as `Code::Variant` outside
    // the registry), or this list says why not.
    let not_emitted: &[(&str, &str)] = &[];
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("diag/codes.rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    let source: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let mut missing = Vec::new();
    for c in Code::iter() {
        let variant = format!("Code::{c:?}");
        let used = source.match_indices(&variant).any(|(i, _)| {
            // `Code::Foo` but not `Code::FooBar`.
            !source[i + variant.len()..]
                .starts_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '_')
        });
        let excused = not_emitted.iter().any(|(n, _)| *n == c.as_str());
        if used == excused {
            missing.push(format!("{c} (emitted: {used}, excused: {excused})"));
        }
    }
    assert!(
        missing.is_empty(),
        "codes never emitted (or emitted but still excused): {missing:?}"
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

/// Every `](#anchor)` link in README leads to a heading (GitHub's slug: lowercase, spaces to
/// hyphens, punctuation dropped); the contents once linked to sections that did not exist.
#[test]
fn readme_links_lead_to_headings() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut in_code = false;
    let mut slugs = std::collections::BTreeSet::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        slugs.insert(slug);
    }
    let mut missing = Vec::new();
    for (i, _) in readme.match_indices("](#") {
        let rest = &readme[i + 3..];
        let anchor = &rest[..rest.find(')').unwrap()];
        if !slugs.contains(anchor) {
            missing.push(anchor.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "README links to missing sections: {missing:?}"
    );
}
