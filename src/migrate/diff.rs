//! A small unified diff of two texts (line-based LCS, 3 lines of context).

/// Lines compared by dynamic programming at most this many cells; larger middles (after the
/// common prefix and suffix are trimmed) are shown as one replaced block.
const MAX_CELLS: usize = 16_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Del,
    Add,
}

/// The unified diff of `old` and `new` with `--- a/{path}` / `+++ b/{path}` headers; empty
/// when the texts are equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = script(&a, &b);
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    // Walk the script, gathering hunks of changes with 3 lines of context.
    let ctx = 3;
    let mut pos = Vec::with_capacity(ops.len()); // (op, old index, new index)
    let (mut i, mut j) = (0usize, 0usize);
    for op in &ops {
        pos.push((*op, i, j));
        match op {
            Op::Same => {
                i += 1;
                j += 1;
            }
            Op::Del => i += 1,
            Op::Add => j += 1,
        }
    }
    let changed: Vec<usize> = pos
        .iter()
        .enumerate()
        .filter(|(_, p)| p.0 != Op::Same)
        .map(|(k, _)| k)
        .collect();
    let mut k = 0;
    while k < changed.len() {
        let first = changed.get(k).copied().unwrap_or(0);
        let mut last = first;
        let mut m = k + 1;
        while let Some(&c) = changed.get(m) {
            if c <= last + 2 * ctx + 1 {
                last = c;
                m += 1;
            } else {
                break;
            }
        }
        let start = first.saturating_sub(ctx);
        let end = (last + ctx + 1).min(pos.len());
        let hunk = pos.get(start..end).unwrap_or(&[]);
        let (o0, n0) = hunk.first().map(|p| (p.1, p.2)).unwrap_or((0, 0));
        let ocount = hunk.iter().filter(|p| p.0 != Op::Add).count();
        let ncount = hunk.iter().filter(|p| p.0 != Op::Del).count();
        let ostart = if ocount == 0 { o0 } else { o0 + 1 };
        let nstart = if ncount == 0 { n0 } else { n0 + 1 };
        out.push_str(&format!("@@ -{ostart},{ocount} +{nstart},{ncount} @@\n"));
        for (op, i, j) in hunk {
            let (sign, line) = match op {
                Op::Same => (' ', a.get(*i)),
                Op::Del => ('-', a.get(*i)),
                Op::Add => ('+', b.get(*j)),
            };
            let line = line.copied().unwrap_or("");
            out.push(sign);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
        k = m;
    }
    out
}

fn script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
        .min(a.len() - prefix)
        .min(b.len() - prefix);
    let am = a.get(prefix..a.len() - suffix).unwrap_or(&[]);
    let bm = b.get(prefix..b.len() - suffix).unwrap_or(&[]);
    let mut ops = vec![Op::Same; prefix];
    let (n, m) = (am.len(), bm.len());
    if n.saturating_mul(m) > MAX_CELLS {
        ops.extend(std::iter::repeat_n(Op::Del, n));
        ops.extend(std::iter::repeat_n(Op::Add, m));
    } else {
        // lcs[i][j]: LCS length of am[i..] and bm[j..], row-major in one vector.
        let w = m + 1;
        let mut lcs = vec![0u32; (n + 1) * w];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                let v = if am.get(i) == bm.get(j) {
                    lcs.get((i + 1) * w + j + 1).copied().unwrap_or(0) + 1
                } else {
                    let down = lcs.get((i + 1) * w + j).copied().unwrap_or(0);
                    let right = lcs.get(i * w + j + 1).copied().unwrap_or(0);
                    down.max(right)
                };
                if let Some(c) = lcs.get_mut(i * w + j) {
                    *c = v;
                }
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && am.get(i) == bm.get(j) {
                ops.push(Op::Same);
                i += 1;
                j += 1;
            } else if i < n
                && (j == m
                    || lcs.get((i + 1) * w + j).copied().unwrap_or(0)
                        >= lcs.get(i * w + j + 1).copied().unwrap_or(0))
            {
                ops.push(Op::Del);
                i += 1;
            } else {
                ops.push(Op::Add);
                j += 1;
            }
        }
    }
    ops.extend(std::iter::repeat_n(Op::Same, suffix));
    ops
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn one_line_changed() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nX\nf\ng\nh\n";
        assert_eq!(
            unified("m.yaml", old, new),
            "--- a/m.yaml\n+++ b/m.yaml\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+X\n f\n g\n h\n"
        );
        assert_eq!(unified("m.yaml", old, old), "");
    }
}
