//! Escaping of user-written text for each place it lands.
//!
//! Everything a model names is untrusted (DESIGN.md, "Trust boundaries"): ids, titles,
//! statuses, notes and file names of the model, its includes and imported rule files,
//! and the text of an ATT&CK bundle the model points at. A pull request writes them,
//! and CI prints and publishes what threatc makes of them. One escaper per destination:
//!
//! | destination | function |
//! |---|---|
//! | one value inside a printed line or a diagnostic | [`terminal`] |
//! | a whole printed text (last line of defence) | [`terminal_output`], [`workflow_command_guard`] |
//! | source text shown in a diagnostic snippet | [`terminal_source`] |
//! | GitHub workflow command: message / property | [`workflow_data`], [`workflow_property`] |
//! | CSV cell (spreadsheet formulas) | [`csv_cell`] |
//! | xlsx cell (length limit) | [`xlsx_cell`] |
//! | xlsx XML text (shared strings, document properties) | [`xlsx_text`] |
//! | XML / SVG text and attribute values | [`xml_text`] |
//! | Markdown (gaps.md, plan.md) | [`markdown_text`] |
//! | pull-request comment (coverage-diff.md) | [`pr_comment_text`] |
//! | URI path (SARIF artifact locations) | [`uri_path`] |
//!
//! Every function returns its input unchanged when it holds nothing to escape, so
//! ordinary text gives the same bytes as before any escaping existed.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for the Unicode bidirectional formatting characters that reorder displayed
/// text ("Trojan Source"): embeddings and overrides U+202A–U+202E, isolates
/// U+2066–U+2069, the marks U+200E, U+200F and U+061C.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// True for what a terminal or a CI log acts on rather than shows: C0 controls (line
/// breaks and tab included), DEL, C1 controls, bidi controls, the Unicode line and
/// paragraph separators, and the invisible break opportunities U+200B (zero width
/// space, which lets a renderer wrap a line right before `::`) and U+2060.
fn is_terminal_special(c: char) -> bool {
    c.is_control()
        || is_bidi_control(c)
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200B}' | '\u{2060}')
}

/// Writes the visible escape of `c`: `\n`, `\r`, `\t`, else `\uXXXX` (4 hex digits, the
/// JSON form, so an escaped JSON document stays valid and means the same).
fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
    }
}

/// One user value placed inside a printed line or a diagnostic message, label or
/// help: control characters (line breaks and tab included), DEL, C1 controls, bidi
/// controls, U+2028/U+2029 and U+200B/U+2060 become visible escapes (`\n`, `\r`,
/// `\t`, `\u001b`, `\u202e`). The value can then neither start a line of its own nor drive the
/// terminal.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_terminal_special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_terminal_special(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A whole text about to be printed (several lines): like [`terminal`] but line
/// breaks (`\n`, `\r\n`) and tabs are kept; a lone `\r` (a line break for the GitHub
/// Actions runner, and an overwrite on a terminal) is escaped. Then
/// [`workflow_command_guard`]. The escapes are JSON escapes and only characters a JSON
/// serialiser leaves raw inside strings are touched, so a JSON document printed
/// through this stays valid JSON with the same value.
pub fn terminal_output(s: &str) -> Cow<'_, str> {
    let special = |c: char, next: Option<char>| {
        is_terminal_special(c) && c != '\n' && c != '\t' && !(c == '\r' && next == Some('\n'))
    };
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if special(c, chars.peek().copied()) {
            any = true;
            break;
        }
    }
    let escaped: Cow<'_, str> = if any {
        let mut out = String::with_capacity(s.len() + 16);
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if special(c, chars.peek().copied()) {
                push_escape(&mut out, c);
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    };
    match escaped {
        Cow::Borrowed(b) => workflow_command_guard(b),
        Cow::Owned(o) => Cow::Owned(workflow_command_guard(&o).into_owned()),
    }
}

/// Length of an ANSI CSI sequence (`ESC [ … final`) at the start of `s`, if any.
fn csi_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&0x1b) || b.get(1) != Some(&b'[') {
        return None;
    }
    let mut i = 2;
    while let Some(&x) = b.get(i) {
        if (0x40..=0x7e).contains(&x) {
            return Some(i + 1);
        }
        if !(0x20..=0x3f).contains(&x) {
            return None;
        }
        i += 1;
    }
    None
}

/// Byte length of what the GitHub Actions runner skips before looking for `::` (it
/// trims leading white space), plus zero-width characters and colour sequences, to be
/// safe.
fn line_lead(line: &str) -> usize {
    let mut i = 0;
    loop {
        let rest = line.get(i..).unwrap_or("");
        if let Some(n) = csi_len(rest) {
            i += n;
            continue;
        }
        match rest.chars().next() {
            Some(c) if c.is_whitespace() || matches!(c, '\u{200B}' | '\u{FEFF}') => {
                i += c.len_utf8();
            }
            _ => return i,
        }
    }
}

/// The last line of defence for anything threatc prints outside `--format github`:
/// the GitHub Actions runner reads every line of a step's output and runs it as a
/// workflow command (`::error::…`, `::add-mask::…`, `::stop-commands::…`) when it
/// starts, after white space, with `::`; and the legacy form `##[command]…` anywhere
/// in a line. So a line whose first characters after white space are `::` gets a
/// backslash before them (`\::error::…`), and every `##[` becomes `##\u005b`. Lines
/// end at `\n` or `\r`, as the runner reads them. Applied to the rendered text, this
/// also covers lines that a renderer wrapped.
pub fn workflow_command_guard(s: &str) -> Cow<'_, str> {
    if !s.contains("::") && !s.contains("##[") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for line in s.split_inclusive(['\n', '\r']) {
        let lead = line_lead(line);
        match (line.get(..lead), line.get(lead..)) {
            (Some(head), Some(rest)) if rest.starts_with("::") => {
                out.push_str(head);
                out.push('\\');
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
    }
    if out.contains("##[") {
        out = out.replace("##[", "##\\u005b");
    }
    if out == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(out)
    }
}

/// The message of a GitHub workflow command (`::error …::MESSAGE`): `%`, `\r`, `\n`
/// percent-encoded, as the runner decodes them.
pub fn workflow_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a GitHub workflow command (`file=VALUE`): as
/// [`workflow_data`], plus `:` and `,`, which end a value.
pub fn workflow_property(s: &str) -> String {
    workflow_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `-?digits(.digits)?`: a cell a spreadsheet reads as a plain number.
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// A CSV cell that a spreadsheet must not run as a formula: a cell starting (after
/// white space) with `=`, `+`, `-`, `@`, a tab or a carriage return, or their
/// full-width forms, gets a leading `'`, unless it is a plain number (`-3`, `12.5`)
/// or a lone `-`.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if is_plain_number(s) || s == "-" {
        return Cow::Borrowed(s);
    }
    let first = s
        .chars()
        .find(|c| !matches!(c, ' ' | '\n' | '\u{0B}' | '\u{0C}'));
    let risky = matches!(
        first,
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
        )
    );
    if risky {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Excel's limit on the characters of one cell (UTF-16 code units).
pub const XLSX_CELL_MAX: usize = 32_767;

/// What a cut cell ends with.
pub const TRUNCATED_MARK: &str = "… [truncated]";

/// A cell text within Excel's limit of 32,767 UTF-16 code units: longer text is cut
/// at a character boundary and ends with `… [truncated]`. (Control characters are
/// left to the xlsx writer, which writes them as Excel's `_xHHHH_` escapes.)
pub fn xlsx_cell(s: &str) -> Cow<'_, str> {
    let units = |t: &str| t.chars().map(char::len_utf16).sum::<usize>();
    if s.len() <= XLSX_CELL_MAX || units(s) <= XLSX_CELL_MAX {
        return Cow::Borrowed(s);
    }
    let budget = XLSX_CELL_MAX - units(TRUNCATED_MARK);
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    let mut out = s.get(..end).unwrap_or("").to_string();
    out.push_str(TRUNCATED_MARK);
    Cow::Owned(out)
}

/// True for characters XML 1.0 does not allow: C0 controls other than tab, line feed
/// and carriage return, and U+FFFE, U+FFFF.
fn xml_forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Text for an XML (SVG) element or a quoted attribute value: `& < > " '` as
/// references, characters XML 1.0 forbids replaced by U+FFFD, bidi controls dropped.
pub fn xml_text(s: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\'') || xml_forbidden(c) || is_bidi_control(c)
    };
    if !s.chars().any(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if xml_forbidden(c) => out.push('\u{FFFD}'),
            c if is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A text in plan.xlsx's XML (shared strings, document properties) as Excel writes it:
/// `& < >` as references; C0 controls other than tab and line feed, and U+FFFE, U+FFFF,
/// as Excel's `_xHHHH_`; and a literal `_xHHHH_` in the text as `_x005F_xHHHH_`, so that
/// it reads back as written and not as an escaped character.
pub fn xlsx_text(s: &str) -> Cow<'_, str> {
    let plain = |c: char| {
        !matches!(c, '&' | '<' | '>' | '\u{FFFE}' | '\u{FFFF}')
            && (c >= ' ' || c == '\t' || c == '\n')
    };
    if s.chars().all(plain) && !s.contains("_x") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, c) in s.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '_' if is_excel_escape(s.get(i..).unwrap_or_default()) => out.push_str("_x005F_"),
            c if plain(c) => out.push(c),
            c => {
                let _ = write!(out, "_x{:04X}_", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// True when `s` starts with `_xHHHH_` (four hex digits).
fn is_excel_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 7
        && b.starts_with(b"_x")
        && b.get(6) == Some(&b'_')
        && b.get(2..6)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
}

/// A YAML double-quoted scalar holding `s` exactly: `"` and `\` backslash-escaped, and
/// every character a reader could take for structure or that a terminal would act on
/// (C0 and C1 controls, DEL, bidi controls, U+2028/U+2029, U+FEFF, U+200B, U+2060)
/// written as an escape (`\n`, `\t`, `\u202e`). Always quoted, so that `yes`, `1.2`,
/// `null`, `- x`, `#` or `: ` in user text stay text (the DeTT&CT export).
pub fn yaml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_terminal_special(c) || c == '\u{FEFF}' => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes one character of Markdown text.
fn push_markdown(out: &mut String, ch: char) {
    match ch {
        '|' => out.push_str("\\|"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '\\' => out.push_str("\\\\"),
        '`' => out.push_str("\\`"),
        '*' | '_' | '[' | ']' => {
            out.push('\\');
            out.push(ch);
        }
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push(' '),
        c if is_bidi_control(c) => {}
        c if c.is_control() && c != '\t' => out.push('\u{FFFD}'),
        c => out.push(c),
    }
}

/// Text for Markdown, also inside a table cell: `|` and Markdown punctuation
/// (`\`, `` ` ``, `*`, `_`, `[`, `]`) backslash-escaped, `<`, `>`, `&` as HTML entities
/// (no HTML can be injected, no `<details>` closed), line breaks as spaces, bidi
/// controls dropped, other control characters as U+FFFD.
pub fn markdown_text(s: &str) -> String {
    markdown_text_cow(s).into_owned()
}

/// [`markdown_text`], borrowed when there is nothing to escape (the plan's templates print
/// thousands of ids and names, most of them plain).
pub fn markdown_text_cow(s: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(
            c,
            '|' | '<'
                | '>'
                | '&'
                | '\\'
                | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '\n'
                | '\r'
                | '\u{2028}'
                | '\u{2029}'
        ) || is_bidi_control(c)
            || (c.is_control() && c != '\t')
    };
    if !s.chars().any(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        push_markdown(&mut out, ch);
    }
    Cow::Owned(out)
}

/// Does this word make GitHub notify someone or link somewhere: a mention (`@user`,
/// `@org/team`, an e-mail address), an issue or pull-request reference (`#123`,
/// `owner/repo#1`, `GH-123`), or a URL GitHub links by itself (`https://…`, `www.…`)?
fn pings_or_links(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    let b = lower.as_bytes();
    let digit_after = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    lower.contains('@')
        || lower.contains('\u{FF20}')
        || lower.match_indices('#').any(|(i, _)| digit_after(i + 1))
        || lower.match_indices("gh-").any(|(i, _)| digit_after(i + 3))
        || lower.contains("://")
        || lower.contains("www.")
}

/// Text for a pull-request comment (coverage-diff.md): as [`markdown_text`], and a
/// word (a run without white space, `` ` `` or `|`) that would ping or link (a mention,
/// an e-mail address, an issue reference, a bare URL) is shown as inline code,
/// exactly as written: GitHub neither notifies, nor cross-references, nor links
/// inside code. Bidi controls are dropped, other controls shown as U+FFFD.
pub fn pr_comment_text(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| {
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    let is_sep = |c: char| c.is_whitespace() || c == '`' || c == '|';
    let mut out = String::with_capacity(clean.len());
    let mut rest = clean.as_str();
    while !rest.is_empty() {
        let word_end = rest.find(is_sep).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(word_end);
        if !word.is_empty() {
            if pings_or_links(word) {
                out.push('`');
                out.push_str(word);
                out.push('`');
            } else {
                out.push_str(&markdown_text(word));
            }
        }
        let mut chars = tail.chars();
        if let Some(sep) = chars.next() {
            push_markdown(&mut out, sep);
        }
        rest = chars.as_str();
    }
    out
}

/// A path as a URI reference (RFC 3986) for SARIF `artifactLocation.uri`: unreserved
/// characters, sub-delimiters, `@` and `/` stay; `:` stays only in a leading drive
/// letter (`C:/`); everything else (space, `%`, `#`, `?`, `[`, `]`, controls,
/// non-ASCII) is percent-encoded as UTF-8 bytes. Backslashes become `/`.
pub fn uri_path(s: &str) -> String {
    let s = s.replace('\\', "/");
    let drive = {
        let b = s.as_bytes();
        b.first().is_some_and(u8::is_ascii_alphabetic)
            && b.get(1) == Some(&b':')
            && b.get(2) == Some(&b'/')
    };
    let mut out = String::with_capacity(s.len());
    for (i, byte) in s.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
            || (byte == b':' && i == 1 && drive);
        if keep {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Where the escapes of [`terminal_source`] moved the bytes of a text.
#[derive(Debug, Clone, Default)]
pub struct OffsetMap {
    /// Per escaped character: its start and end in the original text, and the bytes
    /// added by escapes up to and including it.
    moves: Vec<(usize, usize, usize)>,
}

impl OffsetMap {
    /// The offset in the escaped text of an offset in the original (an offset inside
    /// an escaped character goes to the start of its escape).
    pub fn map(&self, offset: usize) -> usize {
        let i = self.moves.partition_point(|m| m.1 <= offset);
        let before = i
            .checked_sub(1)
            .and_then(|j| self.moves.get(j))
            .map_or(0, |m| m.2);
        match self.moves.get(i) {
            Some(m) if m.0 < offset => m.0 + before,
            _ => offset + before,
        }
    }
}

/// Source text shown in a diagnostic snippet: like [`terminal_output`] without the
/// workflow-command guard (the renderer's own prefixes start each line): control
/// characters other than line feed, tab and the `\r` of `\r\n`, DEL, C1, bidi controls
/// and U+2028/U+2029 become visible escapes. `None` when the text holds none; else the
/// escaped text and where its offsets moved, to move spans with it.
pub fn terminal_source(text: &str) -> Option<(String, OffsetMap)> {
    let special = |c: char, next: Option<char>| {
        is_terminal_special(c) && c != '\n' && c != '\t' && !(c == '\r' && next == Some('\n'))
    };
    let needs = {
        let mut it = text.chars().peekable();
        let mut found = false;
        while let Some(c) = it.next() {
            if special(c, it.peek().copied()) {
                found = true;
                break;
            }
        }
        found
    };
    if !needs {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut map = OffsetMap::default();
    let mut added = 0usize;
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if special(c, it.peek().map(|x| x.1)) {
            let before = out.len();
            push_escape(&mut out, c);
            added += (out.len() - before).saturating_sub(c.len_utf8());
            map.moves.push((i, i + c.len_utf8(), added));
        } else {
            out.push(c);
        }
    }
    Some((out, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_line_breaks_controls_and_bidi() {
        assert_eq!(terminal("plain `T1059` text"), "plain `T1059` text");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(terminal("a\n::error::x"), "a\\n::error::x");
        assert_eq!(terminal("a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(terminal("\u{1b}[2Jx"), "\\u001b[2Jx");
        assert_eq!(terminal("\u{85}\u{7f}"), "\\u0085\\u007f");
        assert_eq!(
            terminal("ab\u{202e}cd\u{2066}\u{200f}"),
            "ab\\u202ecd\\u2066\\u200f"
        );
        assert_eq!(terminal("x\u{2028}y"), "x\\u2028y");
        assert_eq!(terminal("pad \u{200b}::error::x"), "pad \\u200b::error::x");
        // Non-ASCII text that is not a control stays.
        assert_eq!(terminal("Émile → 東京"), "Émile → 東京");
    }

    #[test]
    fn guard_neutralises_workflow_commands_at_line_starts() {
        assert_eq!(workflow_command_guard("a::b\nc"), "a::b\nc");
        assert_eq!(workflow_command_guard("::error::x"), "\\::error::x");
        assert_eq!(
            workflow_command_guard("ok\n   ::add-mask::s\n"),
            "ok\n   \\::add-mask::s\n"
        );
        assert_eq!(
            workflow_command_guard("a\r::stop-commands::t"),
            "a\r\\::stop-commands::t"
        );
        assert_eq!(
            workflow_command_guard("\u{a0}\u{3000}::warning::w"),
            "\u{a0}\u{3000}\\::warning::w"
        );
        assert_eq!(
            workflow_command_guard("\u{1b}[31m::error::red"),
            "\u{1b}[31m\\::error::red"
        );
        assert_eq!(
            workflow_command_guard("text ##[error]boom"),
            "text ##\\u005berror]boom"
        );
        for out in [
            workflow_command_guard("x\n\t ::error::y"),
            workflow_command_guard("::a::\r\n::b::"),
        ] {
            for line in out.split(['\n', '\r']) {
                assert!(!line.trim_start().starts_with("::"), "{line}");
            }
        }
    }

    #[test]
    fn terminal_output_keeps_layout_and_json() {
        let text = "line one\r\n\tline two\n";
        assert_eq!(terminal_output(text), text);
        assert_eq!(terminal_output("a\rb"), "a\\rb");
        assert_eq!(
            terminal_output("a\u{1b}]0;title\u{7}"),
            "a\\u001b]0;title\\u0007"
        );
        // JSON stays valid and keeps its value.
        let v = serde_json::json!({"k": "a\u{202e}b ##[add-mask]x \u{85}", "n": 1});
        let s = serde_json::to_string_pretty(&v).unwrap_or_default();
        let out = terminal_output(&s);
        assert_ne!(out, s);
        assert!(!out.contains("##["));
        let back: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(back, v);
    }

    #[test]
    fn workflow_escapes() {
        assert_eq!(workflow_data("50%\r\nx"), "50%25%0D%0Ax");
        assert_eq!(workflow_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn csv_cells() {
        for (cell, want) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-x", "'-x"),
            ("-3+3+cmd|' /C calc'!A0", "'-3+3+cmd|' /C calc'!A0"),
            ("  =1", "'  =1"),
            ("\u{FF1D}1+1", "'\u{FF1D}1+1"),
            ("-3", "-3"),
            ("-12.5", "-12.5"),
            ("12.5", "12.5"),
            ("-", "-"),
            ("", ""),
            ("T1059.001", "T1059.001"),
            ("a=b", "a=b"),
            ("-3.", "'-3."),
            ("-.5", "'-.5"),
        ] {
            assert_eq!(csv_cell(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn xlsx_cells_fit() {
        assert_eq!(xlsx_cell("short"), "short");
        let long = "é".repeat(40_000);
        let cut = xlsx_cell(&long);
        assert!(cut.ends_with(TRUNCATED_MARK));
        assert!(cut.chars().map(char::len_utf16).sum::<usize>() <= XLSX_CELL_MAX);
        // Characters outside the BMP count twice (UTF-16) and are never split.
        let astral = "𝄞".repeat(20_000);
        let cut = xlsx_cell(&astral);
        let units: usize = cut.chars().map(char::len_utf16).sum();
        assert!(
            units <= XLSX_CELL_MAX && units > XLSX_CELL_MAX - 20,
            "{units}"
        );
        assert!(cut
            .trim_end_matches(TRUNCATED_MARK)
            .chars()
            .all(|c| c == '𝄞'));
        let exact = "a".repeat(XLSX_CELL_MAX);
        assert_eq!(xlsx_cell(&exact), exact);
    }

    #[test]
    fn markdown_text_borrows_plain_text() {
        assert!(matches!(
            markdown_text_cow("T1003 OS Credential Dumping"),
            Cow::Borrowed(_)
        ));
        for s in [
            "a|b",
            "x_y",
            "*",
            "line\nbreak",
            "bidi \u{202e}",
            "bell\u{7}",
        ] {
            assert!(matches!(markdown_text_cow(s), Cow::Owned(_)), "{s:?}");
            assert_eq!(markdown_text_cow(s), markdown_text(s));
        }
        assert_eq!(markdown_text("a|b_c"), "a\\|b\\_c");
    }

    #[test]
    fn xlsx_texts_are_escaped_as_excel_does() {
        assert_eq!(xlsx_text("plain"), "plain");
        assert_eq!(xlsx_text("a & <b>"), "a &amp; &lt;b&gt;");
        assert_eq!(xlsx_text("bell\u{7}\ttab\nline"), "bell_x0007_\ttab\nline");
        assert_eq!(
            xlsx_text("_x0041_ and _xZZZZ_"),
            "_x005F_x0041_ and _xZZZZ_"
        );
        assert_eq!(xlsx_text("_x00é_ _x12"), "_x00é_ _x12");
        assert_eq!(xlsx_text("\u{FFFF}"), "_xFFFF_");
    }

    #[test]
    fn xml_is_well_formed() {
        assert_eq!(xml_text("Command & Control"), "Command &amp; Control");
        assert_eq!(
            xml_text("<script>'\"\u{1}\u{b}\u{ffff}\u{202e}\t"),
            "&lt;script&gt;&#39;&quot;\u{fffd}\u{fffd}\u{fffd}\t"
        );
    }

    #[test]
    fn markdown_text_escapes() {
        assert_eq!(
            markdown_text("a|b <img src=x> *c* _d_ [e](f) `g` \\ &"),
            "a\\|b &lt;img src=x&gt; \\*c\\* \\_d\\_ \\[e\\](f) \\`g\\` \\\\ &amp;"
        );
        assert_eq!(markdown_text("a\nb\u{202e}c\u{1b}"), "a bc\u{fffd}");
        assert_eq!(markdown_text("soc@acme.example"), "soc@acme.example");
    }

    #[test]
    fn pr_comment_neutralises_pings_and_links() {
        // Ordinary text: exactly markdown_text.
        for s in [
            "Exfiltration Over C2 Channel",
            "cmd.exe spawned by an Office application",
            "pipe | <script>alert(1)</script> *bold*",
            "C# loader, 100% sure",
            "",
        ] {
            assert_eq!(pr_comment_text(s), markdown_text(s), "{s}");
        }
        assert_eq!(pr_comment_text("cc @octocat now"), "cc `@octocat` now");
        assert_eq!(pr_comment_text("@org/team"), "`@org/team`");
        assert_eq!(pr_comment_text("fixes #123"), "fixes `#123`");
        assert_eq!(pr_comment_text("owner/repo#1"), "`owner/repo#1`");
        assert_eq!(pr_comment_text("see GH-42"), "see `GH-42`");
        assert_eq!(
            pr_comment_text("https://evil.example/a_b?c=d"),
            "`https://evil.example/a_b?c=d`"
        );
        assert_eq!(
            pr_comment_text("(www.evil.example)"),
            "`(www.evil.example)`"
        );
        assert_eq!(pr_comment_text("x@y|z"), "`x@y`\\|z");
        assert_eq!(pr_comment_text("a`@b`c"), "a\\``@b`\\`c");
        assert_eq!(pr_comment_text("\u{202e}@x\u{2066}"), "`@x`");
        assert_eq!(pr_comment_text("a\n@b"), "a `@b`");
        let out = pr_comment_text("</details><img src=x onerror=alert(1)>");
        assert!(!out.contains('<'), "{out}");
    }

    #[test]
    fn uri_paths() {
        assert_eq!(uri_path("models/bank/model.yaml"), "models/bank/model.yaml");
        assert_eq!(uri_path("/tmp/.tmpA1/m.yaml"), "/tmp/.tmpA1/m.yaml");
        assert_eq!(uri_path("my rules/a#1.yaml"), "my%20rules/a%231.yaml");
        assert_eq!(uri_path("a?b%c"), "a%3Fb%25c");
        assert_eq!(uri_path("é.yaml"), "%C3%A9.yaml");
        assert_eq!(uri_path("a:b\n"), "a%3Ab%0A");
        assert_eq!(uri_path("C:\\work\\m.yaml"), "C:/work/m.yaml");
    }

    #[test]
    fn source_escapes_move_offsets() {
        assert!(terminal_source("a: b\r\nc\td\n").is_none());
        let text = "ab\u{1b}cd\u{202e}e";
        let Some((out, map)) = terminal_source(text) else {
            panic!("nothing escaped");
        };
        assert_eq!(out, "ab\\u001bcd\\u202ee");
        assert_eq!(map.map(0), 0);
        assert_eq!(map.map(2), 2);
        // `c` moved by 5 (1 byte became 6).
        assert_eq!(out.get(map.map(3)..map.map(5)), Some("cd"));
        assert_eq!(out.get(map.map(8)..map.map(9)), Some("e"));
        assert_eq!(map.map(text.len()), out.len());
        // Inside the 3-byte U+202E: the start of its escape.
        assert_eq!(map.map(6), map.map(5));
    }
}
