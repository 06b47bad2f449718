//! Rules are named by title in gaps.md, gaps.csv, the layers and the diff (a Sigma id is a
//! UUID), and a partial-coverage list cut at 10 says how many more there are (#17, point 4).

mod common;
use common::*;

/// FIN7 with twelve planned rules on T1059.001, UUID ids and titles.
fn model(dir: &std::path::Path) {
    let rules: String = (0..12)
        .map(|i| {
            format!(
                "  - id: 0f9c{i:04}-aaaa-bbbb-cccc-000000000000\n    name: Encoded PowerShell variant {i}\n    status: planned\n    techniques: [T1059.001]\n"
            )
        })
        .collect();
    std::fs::write(
        dir.join("model.yaml"),
        format!("threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\n    weight: 6\nrules:\n{rules}"),
    )
    .unwrap();
}

#[test]
fn partial_coverage_is_named_by_title_and_counts_what_was_cut() {
    let tmp = tempfile::tempdir().unwrap();
    model(tmp.path());
    let o = threatc(&["build", "model.yaml", "--out", "out"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = tmp.path().join("out");
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();

    let md = read("gaps.md");
    let row = md.lines().find(|l| l.contains("[T1059.001]")).unwrap();
    assert!(
        row.contains(
            "Encoded PowerShell variant 0 (0f9c0000-aaaa-bbbb-cccc-000000000000) \\[planned on T1059.001\\]"
        ),
        "{row}"
    );
    assert!(row.contains("; +2 more |"), "{row}");

    let csv = read("gaps.csv");
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = r
        .records()
        .map(Result::unwrap)
        .find(|rec| &rec[1] == "T1059.001")
        .unwrap();
    let names = &row[col("partial_coverage")];
    assert!(
        names.starts_with("Encoded PowerShell variant 0 [planned on T1059.001]; "),
        "{names}"
    );
    assert!(names.ends_with("; +2 more"), "{names}");
    assert!(!names.contains("0f9c"), "{names}");
    let ids: Vec<&str> = row[col("partial_coverage_ids")].split(';').collect();
    assert_eq!(ids.len(), 10);
    assert_eq!(ids[0], "0f9c0000-aaaa-bbbb-cccc-000000000000");

    for plan in ["plan.md", "plan.html"] {
        assert!(read(plan).contains("; +2 more"), "{plan}");
    }
}

#[test]
fn coverage_layer_comments_name_rules_by_title() {
    let tmp = tempfile::tempdir().unwrap();
    model(tmp.path());
    let text = std::fs::read_to_string(tmp.path().join("model.yaml")).unwrap();
    std::fs::write(
        tmp.path().join("model.yaml"),
        text.replace("status: planned", "status: production"),
    )
    .unwrap();
    let o = threatc(&["build", "model.yaml", "--out", "out"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let layer = std::fs::read_to_string(tmp.path().join("out/layers/coverage.json")).unwrap();
    assert!(
        layer.contains("rules: Encoded PowerShell variant 0, Encoded PowerShell variant 1"),
        "{layer}"
    );
    assert!(!layer.contains("0f9c0000"), "{layer}");
}
