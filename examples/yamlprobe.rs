use std::path::Path;
use threatc::source::SourceMap;
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let mut sm = SourceMap::new();
    let id = sm.add(p.clone(), Path::new(&p), text);
    match threatc::model::yaml::parse(id, sm.get(id).unwrap()) {
        Ok(n) => {
            fn walk(n: &threatc::model::yaml::Node, sm: &SourceMap, d: usize) {
                println!(
                    "{}{:?} {:?} {:?}",
                    " ".repeat(d),
                    sm.locate(n.span),
                    sm.snippet(n.span),
                    match &n.value {
                        threatc::model::yaml::Value::Map(_) => "map".to_string(),
                        threatc::model::yaml::Value::Seq(_) => "seq".into(),
                        v => format!("{v:?}"),
                    }
                );
                match &n.value {
                    threatc::model::yaml::Value::Map(e) => {
                        for (k, v) in e {
                            walk(k, sm, d + 1);
                            walk(v, sm, d + 2)
                        }
                    }
                    threatc::model::yaml::Value::Seq(e) => {
                        for v in e {
                            walk(v, sm, d + 1)
                        }
                    }
                    _ => {}
                }
            }
            walk(&n, &sm, 0)
        }
        Err(d) => print!("{}", threatc::diag::render_human(&[&d], &sm, false)),
    }
}
