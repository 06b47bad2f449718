//! "Did you mean": the nearest known id or name to a word that matched nothing. Two
//! measures, one per kind of list: edit distance for short ids and keys (model ids,
//! platforms, schema keys), similarity for long names (ATT&CK groups and techniques).

/// The candidate nearest to `word` by edit distance (case-insensitive), when within
/// max(2, a third of its length); the first such candidate on a tie, so callers pass
/// candidates in a stable order (sorted, or the schema's).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&word, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Platform names ATT&CK has retired, with the name that replaced them (v9 merged the
/// cloud providers into IaaS; v15 renamed Azure AD and merged Office 365 and Google
/// Workspace; v16 renamed Network; v17 named ESXi).
pub const RETIRED_PLATFORMS: &[(&str, &str)] = &[
    ("Azure AD", "Identity Provider"),
    ("Entra ID", "Identity Provider"),
    ("Office 365", "Office Suite"),
    ("Microsoft 365", "Office Suite"),
    ("Google Workspace", "Office Suite"),
    ("VMware ESXi", "ESXi"),
    ("Network", "Network Devices"),
    ("AWS", "IaaS"),
    ("Azure", "IaaS"),
    ("GCP", "IaaS"),
];

/// The platform of `known` that `word` (which matched none) most likely means: the
/// current name of a retired platform name, else the nearest by edit distance.
pub fn platform<'a, S: AsRef<str>>(word: &str, known: &'a [S]) -> Option<&'a str> {
    let w = word.trim();
    let renamed = RETIRED_PLATFORMS
        .iter()
        .find(|(old, _)| old.eq_ignore_ascii_case(w))
        .and_then(|(_, new)| known.iter().find(|k| k.as_ref().eq_ignore_ascii_case(new)));
    match renamed {
        Some(k) => Some(k.as_ref()),
        None => nearest(w, known.iter().map(AsRef::as_ref)),
    }
}

/// Below this similarity (0–1) a name is not offered as a suggestion.
pub const SIMILARITY_THRESHOLD: f64 = 0.7;

/// Similarity of two strings, 0–1 (the better of Jaro-Winkler and normalised
/// Damerau-Levenshtein).
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b).max(strsim::normalized_damerau_levenshtein(a, b))
}

/// Up to `n` items whose best-matching name (lower-cased) is at least
/// [`SIMILARITY_THRESHOLD`] similar to `query` (trimmed, lower-cased), best first, then by
/// `key`.
pub fn ranked<'a, T, N, K>(
    query: &str,
    items: impl Iterator<Item = &'a T>,
    names: N,
    key: K,
    n: usize,
) -> Vec<&'a T>
where
    T: 'a,
    N: Fn(&'a T) -> Vec<&'a str>,
    K: Fn(&T) -> &str,
{
    let q = query.trim().to_lowercase();
    let mut scored: Vec<(f64, &T)> = items
        .map(|x| {
            let best = names(x)
                .into_iter()
                .map(|s| similarity(&q, &s.to_lowercase()))
                .fold(0.0, f64::max);
            (best, x)
        })
        .filter(|(s, _)| *s >= SIMILARITY_THRESHOLD)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| key(a.1).cmp(key(b.1))));
    scored.into_iter().take(n).map(|(_, x)| x).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_is_case_insensitive_and_bounded() {
        assert_eq!(nearest("Windws", ["macOS", "Windows"]), Some("Windows"));
        assert_eq!(nearest("zzzzzz", ["macOS", "Windows"]), None);
    }

    #[test]
    fn nearest_takes_the_first_on_a_tie() {
        assert_eq!(nearest("ab", ["ac", "ad"]), Some("ac"));
        assert_eq!(nearest("ab", ["ad", "ac"]), Some("ad"));
    }

    #[test]
    fn ranked_orders_by_score_then_key() {
        let items = ["alpha", "alphb", "zzz"];
        let got = ranked("alpha", items.iter(), |s| vec![*s], |s| s, 5);
        assert_eq!(got, vec![&"alpha", &"alphb"]);
    }
}
