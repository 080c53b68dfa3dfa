//! Counts read from reports, summed and printed alike by the report readers
//! ([`crate::dmarc::aggregate`], [`crate::tlsrpt`]) and their verbs: sums that saturate rather
//! than overflow (the numbers come from strangers), the earliest of two optional times,
//! percentages and plurals.
//!
//! Pure: imports only `std`.

/// Adds `n` into `into`; a sum that would overflow stays at the maximum.
pub fn add(into: &mut u64, n: u64) {
    *into = into.saturating_add(n);
}

/// The earlier of two times, either of which may be unknown.
pub fn min_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `12.3%` of `whole` (`0%` of nothing).
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// The `s` of a plural: `1 report`, `2 reports`.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_saturate_and_texts_read_right() {
        let mut n = u64::MAX - 1;
        add(&mut n, 5);
        assert_eq!(n, u64::MAX);
        assert_eq!(min_some(Some(3), None), Some(3));
        assert_eq!(min_some(Some(3), Some(2)), Some(2));
        assert_eq!(min_some(None, None), None);
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "0%");
        assert_eq!((plural(1), plural(0), plural(2)), ("", "s", "s"));
    }
}
