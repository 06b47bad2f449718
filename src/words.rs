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

#[cfg(test)]
mod tests {
    #[test]
    fn one_and_many() {
        assert_eq!(super::plural(1, "rule", "rules"), "rule");
        assert_eq!(super::plural(0, "rule", "rules"), "rules");
        assert_eq!(super::plural(2, "is", "are"), "are");
    }
}
