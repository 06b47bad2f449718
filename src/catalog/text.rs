//! Turning ATT&CK's markdown prose into short plain text for the compact catalog.

/// Longest procedure example or mitigation note kept, in characters (ellipsis included).
pub const PROCEDURE_MAX: usize = 240;

/// A procedure example: citations and link targets removed, whitespace collapsed, shortened.
pub fn procedure(raw: &str) -> String {
    shorten(&collapse_ws(&strip_markup(raw)), PROCEDURE_MAX)
}

/// A description, whole (`threatc attack show` prints it, JSON never cut): citations and
/// link targets removed, whitespace collapsed within each paragraph, paragraphs kept apart by
/// a blank line.
pub fn description(raw: &str) -> String {
    let cleaned = strip_markup(raw);
    let paragraphs: Vec<String> = cleaned
        .split("\n\n")
        .map(collapse_ws)
        .filter(|p| !p.is_empty())
        .collect();
    paragraphs.join("\n\n")
}

/// Removes `(Citation: …)` (nested parentheses allowed) and reduces `[text](url)` to `text`.
pub fn strip_markup(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find(['(', '[']) {
        let (before, from) = rest.split_at(pos);
        out.push_str(before);
        if from.starts_with("(Citation:") {
            match closing(from, '(', ')') {
                Some(end) => rest = from.get(end..).unwrap_or_default(),
                None => {
                    // Unclosed citation: drop the remainder rather than leak half of it.
                    rest = "";
                }
            }
        } else if let Some(inner) = from.strip_prefix('[') {
            if let Some(text_end) = closing(from, '[', ']') {
                let text = inner.get(..text_end.saturating_sub(2)).unwrap_or_default();
                let after = from.get(text_end..).unwrap_or_default();
                if after.starts_with('(') {
                    if let Some(url_end) = closing(after, '(', ')') {
                        out.push_str(text);
                        rest = after.get(url_end..).unwrap_or_default();
                        continue;
                    }
                }
            }
            out.push('[');
            rest = inner;
        } else {
            out.push('(');
            rest = from.strip_prefix('(').unwrap_or_default();
        }
    }
    out.push_str(rest);
    out
}

/// Byte offset just past the bracket closing the one `s` starts with.
fn closing(s: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i + c.len_utf8());
            }
        }
    }
    None
}

/// Collapses runs of whitespace into one space and trims; also drops a space before `.` or `,`
/// left where a citation was removed.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() && !word.starts_with(['.', ',', ';', ':']) {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Shortens to at most `max` characters at a word boundary, ending with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let budget = max.saturating_sub(1);
    let cut = s.char_indices().nth(budget).map_or(s.len(), |(i, _)| i);
    let head = &s[..cut];
    // Prefer the last space in the kept part, unless that throws most of it away.
    let head = match head.rfind(' ') {
        Some(sp) if sp > head.len() / 2 => &head[..sp],
        _ => head,
    };
    let head = head.trim_end_matches([' ', ',', ';', ':', '.', '(', '-']);
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_citations_and_links() {
        let raw = "[FIN7](https://attack.mitre.org/groups/G0046) used [Carbanak](https://x/y_(z)) to steal.(Citation: A (2020))(Citation: B)  Next.";
        assert_eq!(procedure(raw), "FIN7 used Carbanak to steal. Next.");
    }

    #[test]
    fn shortens_at_word_boundary() {
        let s = "word ".repeat(100);
        let out = shorten(s.trim(), 20);
        assert!(out.chars().count() <= 20, "{out}");
        assert!(out.ends_with("word…"), "{out}");
    }

    #[test]
    fn description_is_whole() {
        assert_eq!(
            description("One.(Citation: X)\n\n\n Two  words.\n\n"),
            "One.\n\nTwo words."
        );
        let long = "word ".repeat(200);
        assert_eq!(description(&long), long.trim());
    }

    #[test]
    fn unbalanced_input_does_not_panic() {
        for s in ["[", "(Citation: x", "[a](b", "]()[", "é(Citation:é"] {
            let _ = procedure(s);
        }
    }
}
