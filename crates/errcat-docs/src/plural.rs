//! Counted nouns: "1 error", "2 errors", "1 second" — never "error(s)".

/// `n` and the noun, singular for exactly one: `count(1, "error", "errors")`
/// is "1 error", `count(0, "error", "errors")` is "0 errors".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// [`count`] for nouns that take an `s`: "1 error", "3 errors".
pub(crate) fn count_s(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_only_for_one() {
        assert_eq!(count_s(0, "error"), "0 errors");
        assert_eq!(count_s(1, "error"), "1 error");
        assert_eq!(count_s(2, "second"), "2 seconds");
        assert_eq!(count(1, "change", "changes"), "1 change");
        assert_eq!(count(11, "change", "changes"), "11 changes");
    }
}
