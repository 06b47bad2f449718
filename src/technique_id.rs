//! The shape of an ATT&CK technique id: `T1234` or `T1234.567`. One check, used by the
//! resolver, the migrator and the rule importers.

/// True when `s` has the shape of a technique id (T1234 or T1234.567), exactly: no
/// surrounding space, upper-case `T`.
pub fn is_technique_id(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    match b.len() {
        5 => b.first() == Some(&b'T') && digits(1..5),
        9 => b.first() == Some(&b'T') && digits(1..5) && b.get(5) == Some(&b'.') && digits(6..9),
        _ => false,
    }
}

/// A technique id, normalised: trimmed, upper-case, `T####` or `T####.###`.
pub fn normalize(raw: &str) -> Option<String> {
    let id = raw.trim().to_ascii_uppercase();
    is_technique_id(&id).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        for ok in ["T1059", "T1059.001", "T0000"] {
            assert!(is_technique_id(ok), "{ok}");
        }
        for bad in [
            "t1059",
            "T105",
            "T10599",
            "T1059.01",
            "T1059-001",
            " T1059",
            "TA0001",
            "T1059.0011",
            "",
        ] {
            assert!(!is_technique_id(bad), "{bad}");
        }
    }

    #[test]
    fn normalise() {
        assert_eq!(normalize(" t1059.001 ").as_deref(), Some("T1059.001"));
        assert_eq!(normalize("T1059.1"), None);
        assert_eq!(normalize("x"), None);
    }
}
