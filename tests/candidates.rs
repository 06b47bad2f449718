//! Candidate rules (issue 15, point 4): `candidates:` names rule libraries that never
//! count as coverage; each gap lists the best few per asset it is uncovered on.

mod common;

use common::{codes, shared, stdout, threatc, InlineModel};

/// Two assets (Windows with Sysmon process creation, Linux without telemetry), one actor,
/// one inline rule; `candidates` is spliced in.
fn model(candidates: &str) -> String {
    format!(
        r#"threatc: 1
model:
  name: cands
actors:
  - id: x
    techniques: [T1059.001, T1059.004, T1003.001, T1105]
assets:
  - id: ws
    platforms: [Windows]
  - id: lnx
    platforms: [Linux]
telemetry:
  - log_source: WinEventLog:Sysmon
    event_codes: [1]
    assets: [ws]
rules:
  - id: PS-1
    techniques: [T1059.001]
    platforms: [Windows]
{candidates}
"#
    )
}

const LIBRARY: &str = "candidates:\n  - import: sigma\n    path: lib\n";

/// A sigma rule file.
fn sigma(
    id: &str,
    tag: &str,
    product: &str,
    category: &str,
    status: &str,
    level: &str,
    fps: &str,
) -> String {
    format!(
        "title: Rule {id}\nid: {id}\nstatus: {status}\nlevel: {level}\nfalsepositives: {fps}\nlogsource:\n  product: {product}\n  category: {category}\ntags: [attack.{tag}]\ndetection:\n  sel: {{a: b}}\n  condition: sel\n"
    )
}

fn library() -> Vec<(String, String)> {
    vec![
        // T1003.001 on Windows: ranks by telemetry, status, level, false positives.
        (
            "lib/a_lsass_access.yml",
            sigma(
                "a",
                "t1003.001",
                "windows",
                "process_access",
                "stable",
                "critical",
                "[]",
            ),
        ),
        (
            "lib/b_lsass_proc.yml",
            sigma(
                "b",
                "t1003.001",
                "windows",
                "process_creation",
                "test",
                "high",
                "[Admin tools, Unknown]",
            ),
        ),
        (
            "lib/c_lsass_proc.yml",
            sigma(
                "c",
                "t1003.001",
                "windows",
                "process_creation",
                "test",
                "high",
                "[Unknown]",
            ),
        ),
        (
            "lib/d_lsass_proc.yml",
            sigma(
                "d",
                "t1003.001",
                "windows",
                "process_creation",
                "stable",
                "medium",
                "[]",
            ),
        ),
        (
            "lib/e_deprecated.yml",
            sigma(
                "e",
                "t1003.001",
                "windows",
                "process_creation",
                "deprecated",
                "critical",
                "[]",
            ),
        ),
        // T1059.004 on Linux only; one on the parent (not a cover under `exact`).
        (
            "lib/f_lnx_shell.yml",
            sigma(
                "f",
                "t1059.004",
                "linux",
                "process_creation",
                "experimental",
                "low",
                "[]",
            ),
        ),
        (
            "lib/g_parent.yml",
            sigma(
                "g",
                "t1059",
                "linux",
                "process_creation",
                "stable",
                "high",
                "[]",
            ),
        ),
        // The covered technique T1059.001: a candidate for it must change nothing.
        (
            "lib/h_ps.yml",
            sigma(
                "h",
                "t1059.001",
                "linux",
                "process_creation",
                "stable",
                "high",
                "[]",
            ),
        ),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t))
    .collect()
}

fn with_library(extra: &str) -> InlineModel {
    let text = model(extra);
    let lib = library();
    let mut files: Vec<(&str, &str)> = vec![("model.yaml", text.as_str())];
    files.extend(lib.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    InlineModel::new(&files)
}

fn gap<'a>(a: &'a threatc::analysis::Analysis, id: &str) -> &'a threatc::analysis::Gap {
    a.gaps.iter().find(|g| g.technique == id).unwrap()
}

/// The candidates proposed for gap `id` on the `lnx` asset.
fn lnx_candidates<'a>(
    a: &'a threatc::analysis::Analysis,
    id: &str,
) -> &'a threatc::analysis::GapCandidates {
    gap(a, id)
        .candidates
        .iter()
        .find(|c| c.asset.as_deref() == Some("lnx"))
        .unwrap()
}

/// Everything coverage says, as JSON: summary (without the gaps per tier), per actor,
/// tactic, asset, technique rows, gaps by technique with where they are open and their
/// states (not their priority: candidate rules make a gap more actionable, so priority
/// orders — actors' gap lists, targets' gaps to close, investments weighted by score —
/// are compared as sets or left out), rules.
fn coverage_json(a: &threatc::analysis::Analysis) -> String {
    let mut summary = a.summary.clone();
    summary.gaps_by_tier.clear();
    let mut gaps: Vec<_> = a
        .gaps
        .iter()
        .map(|g| (&g.technique, &g.covered_on, &g.uncovered_on, &g.states))
        .collect();
    gaps.sort_by(|x, y| x.0.cmp(y.0));
    let mut targets = a.targets.clone();
    for t in &mut targets {
        t.to_close.clear();
    }
    let mut actors = a.actors.clone();
    for x in &mut actors {
        x.gaps.sort();
    }
    serde_json::to_string(&(
        &summary,
        &actors,
        &a.tactics,
        &a.assets,
        &*a.techniques,
        &gaps,
        &targets,
        &*a.rules,
    ))
    .unwrap()
}

#[test]
fn candidates_never_count_as_coverage() {
    let without = InlineModel::new(&[("model.yaml", &model(""))]).analysis();
    let with = with_library(LIBRARY).analysis();
    assert!(
        with.gaps.iter().any(|g| !g.candidates.is_empty()),
        "the library yields candidates"
    );
    assert!(with.gaps.iter().all(|g| g.technique != "T1059.001"));
    assert_eq!(coverage_json(&without), coverage_json(&with));
    assert_eq!(without.summary.covered, with.summary.covered);
    assert_eq!(without.summary.rules, with.summary.rules);
    assert!(without.candidate_imports.is_empty());
    assert_eq!(with.candidate_imports.len(), 1);
    assert_eq!(with.candidate_imports[0].rules, 8);
}

#[test]
fn best_first_by_telemetry_status_level_and_false_positives() {
    let a = with_library(LIBRARY).analysis();
    let g = gap(&a, "T1003.001");
    // A Windows technique: one entry, for the Windows asset.
    let assets: Vec<Option<&str>> = g.candidates.iter().map(|c| c.asset.as_deref()).collect();
    assert_eq!(assets, [Some("ws")]);
    let ws = &g.candidates[0];
    // a, b, c, d (e is deprecated at its source and never proposed).
    assert_eq!(ws.total, 4);
    let ids: Vec<&str> = ws.best.iter().map(|r| r.id.as_str()).collect();
    // d, b, c read Process Creation, which ws collects; a reads Process Access, which it
    // lacks. Among those, d is stable; b and c are test/high, c with fewer notes.
    assert_eq!(ids, ["d", "c", "b"]);
    assert_eq!(ws.best[0].path, "lib/d_lsass_proc.yml");
    assert_eq!(ws.best[0].source_status.as_deref(), Some("stable"));
    assert_eq!(ws.best[2].false_positives, 1);
    assert_eq!(
        ws.best[0].telemetry,
        threatc::analysis::CandidateTelemetry::Collected
    );

    // Shown 4: the rule needing Process Access comes last, and says what it needs.
    let a4 = with_library(&format!("{LIBRARY}plan:\n  candidates: 4\n")).analysis();
    let ws = &gap(&a4, "T1003.001").candidates[0];
    let last = ws.best.last().unwrap();
    assert_eq!(last.id, "a");
    assert_eq!(
        last.telemetry,
        threatc::analysis::CandidateTelemetry::Missing
    );
    assert_eq!(last.needs, ["Process Access"]);

    // The parent-technique rule is no cover under the default `exact` mode; the Linux
    // asset declares no telemetry (unknown).
    let lnx = lnx_candidates(&a, "T1059.004");
    let ids: Vec<&str> = lnx.best.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["f"]);
    assert_eq!(lnx.best[0].status, threatc::resolve::RuleStatus::Planned);
    assert_eq!(
        lnx.best[0].telemetry,
        threatc::analysis::CandidateTelemetry::Unknown
    );
    // The Linux-only candidate of the covered T1059.001 is not proposed anywhere.
    assert!(a
        .gaps
        .iter()
        .flat_map(|g| &g.candidates)
        .flat_map(|c| &c.best)
        .all(|r| r.id != "h"));
}

#[test]
fn parent_rules_count_under_parent_covers_sub() {
    let a = with_library(&format!(
        "{LIBRARY}coverage:\n  subtechniques: parent-covers-sub\n"
    ))
    .analysis();
    let lnx = lnx_candidates(&a, "T1059.004");
    let ids: Vec<&str> = lnx.best.iter().map(|r| r.id.as_str()).collect();
    // g (stable, high) before f (experimental, low).
    assert_eq!(ids, ["g", "f"]);
    assert_eq!(lnx.best[0].via, "T1059");
}

#[test]
fn outputs_carry_them_escaped() {
    let mut m = with_library(LIBRARY);
    let a = m.analysis();
    let csv = threatc::emit::tables::gaps_csv(&a);
    let header = csv.lines().next().unwrap();
    // Per-asset columns (#13, point 5) follow it.
    assert!(header.split(',').any(|c| c == "candidates"), "{header}");
    assert!(
        csv.contains("ws (4): Rule d <lib/d_lsass_proc.yml>"),
        "{csv}"
    );
    let json = threatc::emit::tables::gaps_json(&a);
    assert!(json.contains("\"candidates\""));
    // Without candidates the gaps say nothing of them.
    let plain = InlineModel::new(&[("model.yaml", &model(""))]).analysis();
    assert!(!threatc::emit::tables::gaps_json(&plain).contains("\"candidates\""));
    let _ = &mut m;
}

#[test]
fn bad_candidate_entries_are_reported_where_written() {
    for (entry, want) in [
        (
            "candidates:\n  - id: x\n    techniques: [T1003]\n",
            "a candidate entry needs `import:`",
        ),
        (
            "candidates:\n  - import: sigma\n    techniques: [T1003]\n    path: lib\n",
            "an import entry cannot have techniques",
        ),
        ("candidates:\n  - import: sigma\n", "needs `path`"),
    ] {
        let mut m = with_library(entry);
        let errs = match m.resolve() {
            Err(e) => e,
            Ok(_) => panic!("{entry} resolves"),
        };
        let d = errs
            .iter()
            .find(|d| d.code.as_str() == "invalid-candidate")
            .unwrap_or_else(|| panic!("{entry}: {:?}", codes(&errs)));
        assert!(d.message.contains(want), "{}", d.message);
        let (file, line, _col) = m.sources.locate(d.primary().unwrap()).unwrap();
        assert!(file.ends_with("model.yaml"));
        assert!(line > 20, "points into the candidates section: {line}");
    }
    // A broken library file: the import's own code, at the file's line and column.
    let text = model(LIBRARY);
    let mut m = InlineModel::new(&[
        ("model.yaml", text.as_str()),
        ("lib/bad.yml", "title: x\ntags: [a, b\nid: 3\n"),
    ]);
    let (_, warnings) = m.resolve().unwrap();
    let d = warnings
        .iter()
        .find(|d| d.code.as_str() == "import-parse-error")
        .unwrap();
    let (file, line, _) = m.sources.locate(d.primary().unwrap()).unwrap();
    assert!(file.ends_with("lib/bad.yml"), "{file}");
    assert!(line >= 2);
    // Candidates are not said to count on every asset (no `rule-unscoped` for them).
    let net = format!("{LIBRARY}  - import: sigma\n    path: net\n");
    let text = model(&net);
    let proxy = "title: P\nid: p\nlogsource: {category: proxy}\ntags: [attack.t1105]\n";
    let mut m = InlineModel::new(&[("model.yaml", text.as_str()), ("net/p.yml", proxy)]);
    let (_, warnings) = m.resolve().unwrap();
    assert!(
        !codes(&warnings).contains(&"rule-unscoped"),
        "{:?}",
        codes(&warnings)
    );
}

/// The bank example with every Sigma rule of ../shared as candidates: coverage unchanged,
/// candidates listed with repository-relative paths.
#[test]
fn bank_with_sigma_candidates() {
    let Some(shared) = shared() else {
        return;
    };
    let sigma = std::fs::canonicalize(shared.join("fixtures/sigma")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // Two copies of the bank, the second with the library as candidates.
    for name in ["plain-bank", "with-bank"] {
        common::copy_dir(
            &common::root().join("models/financial"),
            &tmp.path().join(name),
        );
    }
    let plain = tmp.path().join("plain-bank/model.yaml");
    let with = tmp.path().join("with-bank/model.yaml");
    let text = std::fs::read_to_string(&with).unwrap();
    std::fs::write(
        &with,
        format!(
            "{text}\ncandidates:\n  - import: sigma\n    path: {}\n",
            sigma.display()
        ),
    )
    .unwrap();
    let run = |model: &std::path::Path, out: &str| {
        let o = threatc(
            &[
                "build",
                model.to_str().unwrap(),
                "--allow-outside-root",
                "-o",
                out,
                "--format",
                "json",
            ],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", common::stderr(&o));
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(tmp.path().join(out).join("report.json")).unwrap(),
        )
        .unwrap();
        (stdout(&o), report)
    };
    let (_, a) = run(&plain, "plain");
    let (_, b) = run(&with, "with");
    // Coverage never moves; priorities may (candidates make gaps more actionable).
    let (mut a, mut b) = (a, b);
    for r in [&mut a, &mut b] {
        r["summary"]["gaps_by_tier"] = serde_json::Value::Null;
        for t in r["targets"].as_array_mut().unwrap() {
            t["to_close"] = serde_json::Value::Null;
        }
        for x in r["actors"].as_array_mut().unwrap() {
            x["gaps"]
                .as_array_mut()
                .unwrap()
                .sort_by_key(|g| g.to_string());
        }
    }
    for key in ["summary", "actors", "assets", "tactics", "targets", "rules"] {
        assert_eq!(a[key], b[key], "{key} differs with candidates");
    }
    let imports = b["candidate_imports"].as_array().unwrap();
    assert_eq!(imports[0]["files"].as_u64(), Some(3748));
    let gaps = b["gaps"].as_array().unwrap();
    let cmd = gaps.iter().find(|g| g["technique"] == "T1059.003").unwrap();
    let ws = cmd["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["asset"] == "workstations")
        .unwrap();
    assert!(ws["total"].as_u64().unwrap() >= 10, "{ws}");
    let best = ws["best"].as_array().unwrap();
    assert_eq!(best.len(), 3);
    for r in best {
        let path = r["path"].as_str().unwrap();
        assert!(path.starts_with("rules"), "library-relative: {path}");
        assert!(r["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "Windows"));
    }
    let plan = std::fs::read_to_string(tmp.path().join("with/plan.md")).unwrap();
    assert!(plan.contains("## Candidate rules"));
    let plain_plan = std::fs::read_to_string(tmp.path().join("plain/plan.md")).unwrap();
    assert!(!plain_plan.contains("Candidate rules"));
}

/// Issue 15, point 2: candidate rules are public analytics the team can deploy, so they
/// count in the detection half of actionability (only where they run), and the gap says
/// how many; a model without candidates reports none.
#[test]
fn candidates_make_a_gap_more_actionable() {
    let without = InlineModel::new(&[("model.yaml", &model(""))]).analysis();
    let with = with_library(LIBRARY).analysis();
    let lsass = |a: &threatc::analysis::Analysis| gap(a, "T1003.001").factors.clone();
    let (before, after) = (lsass(&without), lsass(&with));
    assert_eq!(before.candidate_rules, None);
    let n = after.candidate_rules.expect("counted with candidates");
    assert!(n >= 1, "the library has Windows rules for T1003.001");
    assert_eq!(before.analytics, after.analytics);
    assert_eq!(before.mitigations, after.mitigations);
    let expected =
        threatc::analysis::priority::actionability(after.analytics + n, after.mitigations);
    assert!((after.actionability - expected).abs() < 1e-4, "{after:?}");
    if before.analytics < threatc::analysis::priority::ACTIONABLE_ANALYTICS {
        assert!(
            after.actionability > before.actionability,
            "{before:?} → {after:?}"
        );
    }
    assert!(gap(&with, "T1003.001").score >= gap(&without, "T1003.001").score);
    // The count is of distinct rules running on the assets the gap is open on: at least
    // the most any one of those assets has, at most their sum.
    for g in with.gaps.iter() {
        let counted = g.factors.candidate_rules.expect("with candidates: counted");
        let most = g.candidates.iter().map(|c| c.total).max().unwrap_or(0);
        let sum: usize = g.candidates.iter().map(|c| c.total).sum();
        assert!(
            most <= counted && counted <= sum,
            "{}: {counted} not in {most}..={sum}",
            g.technique
        );
    }
}
