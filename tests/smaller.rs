//! Issue #17, point 9 ("Smaller"): the small fixes, one test each.

mod common;
use common::*;

/// A valid model with one of each thing (actor, rule, target) and no asset.
const ONE: &str = "threatc: 1
model:
  name: one
actors:
  - id: a
    techniques: [T1059.001]
rules:
  - id: r1
    name: R one
    techniques: [T1059.001]
    status: production
targets:
  - id: t1
    coverage: 50%
";

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// [`ONE`] with its rule in testing (so nothing counts), built into `out` of a new
/// folder; the build must succeed (its output is returned).
fn built_testing_only() -> (tempfile::TempDir, std::process::Output) {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "model.yaml",
        &ONE.replace("status: production", "status: testing"),
    );
    let o = threatc_ok(&["build", "model.yaml", "--out", "out"], tmp.path());
    (tmp, o)
}

#[test]
fn summaries_say_one_thing_in_the_singular() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "model.yaml", ONE);
    let o = threatc_ok(&["check", "model.yaml"], tmp.path());
    assert!(
        stderr(&o).contains("valid (1 actor, 0 assets, 1 rule, 1 target;"),
        "{}",
        stderr(&o)
    );
    let o = threatc_ok(&["build", "model.yaml", "--out", "out"], tmp.path());
    let err = stderr(&o);
    assert!(err.contains(" · 1 actor · 1 rule (1 counting)"), "{err}");
    assert!(err.contains("1 of 1 in-scope technique = "), "{err}");
    assert!(err.contains(" · 0 gaps ("), "{err}");
}

#[test]
fn no_counting_rule_is_zero_percent_never_minus_zero() {
    assert_eq!(threatc::emit::pct(-0.0), "0.0%");
    assert_eq!(threatc::emit::pct(-0.00001), "0.0%");
    assert_eq!(threatc::analysis::r4(-0.0).to_string(), "0");
    let (tmp, o) = built_testing_only();
    assert!(stderr(&o).contains("(weighted 0.0%)"), "{}", stderr(&o));
    for (path, bytes) in snapshot(&tmp.path().join("out")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("-0.0"), "{path}: {text}");
    }
}

#[test]
fn a_shortened_enum_value_gets_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    for (given, meant) in [
        ("test", "testing"),
        ("prod", "production"),
        ("planed", "planned"),
    ] {
        write(
            tmp.path(),
            "model.yaml",
            &ONE.replace("status: production", &format!("status: {given}")),
        );
        let o = threatc(&["check", "model.yaml"], tmp.path());
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(&format!("`{given}` is not a valid")), "{err}");
        assert!(err.contains(&format!("did you mean `{meant}`?")), "{err}");
    }
}

#[test]
fn an_impossible_day_is_told_why() {
    use threatc::date::Date;
    assert_eq!(
        Date::impossible("2026-02-30").as_deref(),
        Some("February 2026 has 28 days")
    );
    assert_eq!(
        Date::impossible("2028-02-30").as_deref(),
        Some("February 2028 has 29 days")
    );
    assert_eq!(
        Date::impossible("2026-04-31").as_deref(),
        Some("April 2026 has 30 days")
    );
    assert!(Date::impossible("2026-13-01")
        .unwrap()
        .contains("no month 13"));
    assert_eq!(Date::impossible("2026-02-28"), None);
    assert_eq!(Date::impossible("next year"), None);

    let f = root().join("tests/check/bad-date.yaml");
    let o = threatc(&["check", f.to_str().unwrap()], &root());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("help: February 2026 has 28 days"), "{err}");
    assert!(!err.contains("write an ISO date"), "{err}");
}

#[test]
fn a_missing_model_is_a_message_without_an_empty_frame() {
    let tmp = tempfile::tempdir().unwrap();
    let o = threatc(&["check", "nonexist.yaml"], tmp.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("cannot read `nonexist.yaml`"), "{err}");
    assert!(!err.contains("╭─"), "{err}");
    assert!(!err.contains("╰────"), "{err}");
    // An empty model has no line to quote either, but still says where.
    write(tmp.path(), "empty.yaml", "");
    let o = threatc(&["check", "empty.yaml"], tmp.path());
    let err = stderr(&o);
    assert!(err.contains("empty-model"), "{err}");
    assert!(!err.contains("╭─"), "{err}");
    assert!(err.contains("see empty.yaml:1:1"), "{err}");
}

#[test]
fn several_models_each_get_a_line_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "one.yaml", ONE);
    write(
        tmp.path(),
        "bad.yaml",
        &ONE.replace("coverage: 50%", "coverage: 50%\n    by: 2026-02-30"),
    );
    write(
        tmp.path(),
        "two.yaml",
        &ONE.replace("name: one", "name: two"),
    );
    let o = threatc(&["check", "one.yaml", "bad.yaml", "two.yaml"], tmp.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| {
            l.contains(": valid (") || l.contains(": invalid (") || l.starts_with("invalid:")
        })
        .collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(lines[0].starts_with("one.yaml: valid (1 actor,"), "{err}");
    assert_eq!(lines[1], "bad.yaml: invalid (1 error, 0 warnings)", "{err}");
    assert!(lines[2].starts_with("two.yaml: valid ("), "{err}");
    assert_eq!(lines[3], "invalid: 1 error, 0 warnings", "{err}");
}

#[test]
fn the_diff_names_a_broken_target_once() {
    let (tmp, _) = built_testing_only();
    // Base: the same report with the target met at 60%; head: unmet at 0%.
    let head = std::fs::read_to_string(tmp.path().join("out/report.json")).unwrap();
    let mut base: serde_json::Value = serde_json::from_str(&head).unwrap();
    base["targets"][0]["met"] = serde_json::Value::from(true);
    base["targets"][0]["current"] = serde_json::Value::from(0.6);
    write(tmp.path(), "base.json", &base.to_string());
    let o = threatc(
        &["diff", "base.json", "out/report.json", "--format", "json"],
        tmp.path(),
    );
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let about_t1: Vec<&str> = d["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .filter(|r| r.contains("`t1`"))
        .collect();
    assert_eq!(
        about_t1,
        ["target `t1` went from met to unmet (coverage 60.0% → 0.0%)"],
        "{d:#}"
    );
    let o = threatc(&["diff", "base.json", "out/report.json"], tmp.path());
    let md = stdout(&o);
    assert_eq!(md.matches("> - target `t1`").count(), 1, "{md}");
}

#[test]
fn the_investments_weight_says_what_it_sums() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("models/financial"), tmp.path());
    let o = threatc(&["build", "model.yaml", "--out", "out"], tmp.path());
    assert!(o.status.code().unwrap() <= 1, "{}", stderr(&o));
    let out = tmp.path().join("out");
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    assert!(
        md.contains("| Pairs unlocked | Weight (share of gap scores) | Cumulative weight |"),
        "{md}"
    );
    assert!(md.contains("priority scores (0–100 each)"));
    let html = std::fs::read_to_string(out.join("plan.html")).unwrap();
    assert!(html.contains(">Weight (share of gap scores)</th>"));
    // The number is the sum of the shares of the gaps it unlocks, each at most the
    // gap's score.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let first = &report["investments"][0];
    let techniques = first["techniques"].as_array().unwrap();
    let sum: f64 = techniques
        .iter()
        .map(|t| t["weight"].as_f64().unwrap())
        .sum();
    assert!(
        (first["weight"].as_f64().unwrap() - sum).abs() < 0.06,
        "{first:#}"
    );
    for t in techniques {
        assert!(t["weight"].as_f64().unwrap() <= t["score"].as_f64().unwrap() + 1e-9);
    }
}
