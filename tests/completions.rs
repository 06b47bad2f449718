//! `threatc completions SHELL` and `threatc man`: clap's own generators, for every shell
//! and every subcommand.

mod common;
use common::*;

#[test]
fn completions_for_every_shell() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = threatc(&["completions", shell], tmp.path());
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains("threatc"), "{shell}");
        for sub in ["check", "build", "init", "completions", "man"] {
            assert!(script.contains(sub), "{shell} completes `{sub}`");
        }
    }
    // The bash script is valid bash.
    let o = threatc(&["completions", "bash"], tmp.path());
    let file = tmp.path().join("threatc.bash");
    std::fs::write(&file, &o.stdout).unwrap();
    let st = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .unwrap();
    assert!(st.success());
    let o = threatc(&["completions", "fishy"], tmp.path());
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("'fish'"), "{}", stderr(&o));
}

#[test]
fn man_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let o = threatc(&["man"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH threatc 1"), "{page}");
    assert!(page.contains("\\-\\-attack\\-data"), "{page}");
    for sub in ["check", "build", "diff", "init"] {
        let o = threatc(&["man", sub], tmp.path());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let page = stdout(&o);
        assert!(
            page.contains(&format!(".TH threatc-{sub} 1")),
            "{sub}: {page}"
        );
        assert!(page.contains(env!("CARGO_PKG_VERSION")), "{sub}");
    }
    let o = threatc(&["man", "biuld"], tmp.path());
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("'build'"), "{}", stderr(&o));
}
