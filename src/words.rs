//! Small helpers for generated English text.

/// The word for `n` things: `one` when `n` is 1, else `many`
/// (`plural(n, "rule", "rules")`).
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The first `shown` ids as inline code, then "N more" when there are others: how a
/// diagnostic names a list of rules.
pub fn id_list<'a>(ids: impl ExactSizeIterator<Item = &'a str>, shown: usize) -> Vec<String> {
    let n = ids.len();
    let mut out: Vec<String> = ids.take(shown).map(|id| format!("`{id}`")).collect();
    if n > shown {
        out.push(format!("{} more", n - shown));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_and_many() {
        assert_eq!(super::plural(1, "rule", "rules"), "rule");
        assert_eq!(super::plural(0, "rule", "rules"), "rules");
        assert_eq!(super::plural(2, "is", "are"), "are");
    }
}
