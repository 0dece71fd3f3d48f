//! Code styles: `UPPER_SNAKE`, `lower_snake`, `PREFIX-401`, `kebab-case`, …

/// Letter case of a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Case {
    Upper,
    Lower,
    Mixed,
    /// No letters at all.
    None,
}

/// The style of one code: its letter case and its word separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CodeStyle {
    pub(crate) case: Case,
    /// `_`, `-`, `.`, or `None` for a single word.
    pub(crate) sep: Option<char>,
}

impl CodeStyle {
    pub(crate) fn of(code: &str) -> Self {
        if code.is_ascii() {
            return CodeStyle::of_ascii(code.as_bytes());
        }
        let upper = code.chars().any(|c| c.is_uppercase());
        let lower = code.chars().any(|c| c.is_lowercase());
        let case = match (upper, lower) {
            (true, false) => Case::Upper,
            (false, true) => Case::Lower,
            (true, true) => Case::Mixed,
            (false, false) => Case::None,
        };
        let sep = code.chars().find(|c| matches!(c, '_' | '-' | '.'));
        CodeStyle { case, sep }
    }

    /// [`CodeStyle::of`] in one pass, for the usual ASCII code.
    fn of_ascii(code: &[u8]) -> Self {
        let (mut upper, mut lower, mut sep) = (false, false, None);
        for &b in code {
            match b {
                b'A'..=b'Z' => upper = true,
                b'a'..=b'z' => lower = true,
                b'_' | b'-' | b'.' if sep.is_none() => sep = Some(char::from(b)),
                _ => {}
            }
        }
        let case = match (upper, lower) {
            (true, false) => Case::Upper,
            (false, true) => Case::Lower,
            (true, true) => Case::Mixed,
            (false, false) => Case::None,
        };
        CodeStyle { case, sep }
    }

    /// The name shown in the lint.
    pub(crate) fn describe(self) -> String {
        let case = match self.case {
            Case::Upper => "upper case",
            Case::Lower => "lower case",
            Case::Mixed => "mixed case",
            Case::None => "digits",
        };
        match self.sep {
            Some(s) => format!("{case} with `{s}`"),
            None => case.to_owned(),
        }
    }

    /// Whether two styles agree (a single word agrees with any separator).
    pub(crate) fn agrees(self, other: CodeStyle) -> bool {
        let case_ok =
            self.case == other.case || self.case == Case::None || other.case == Case::None;
        let sep_ok = self.sep.is_none() || other.sep.is_none() || self.sep == other.sep;
        case_ok && sep_ok
    }

    /// The style shared by all `codes`, defaulting to `UPPER_SNAKE`.
    pub(crate) fn common<'a>(codes: impl Iterator<Item = &'a str>) -> Self {
        let mut case = None;
        let mut sep = None;
        for code in codes {
            let s = CodeStyle::of(code);
            match (case, s.case) {
                (_, Case::None) => {}
                (None, c) => case = Some(c),
                (Some(a), b) if a != b => case = Some(Case::Mixed),
                _ => {}
            }
            if let Some(c) = s.sep {
                match sep {
                    None => sep = Some(Some(c)),
                    Some(Some(a)) if a != c => sep = Some(None),
                    _ => {}
                }
            }
        }
        let case = match case {
            Some(Case::Lower) => Case::Lower,
            _ => Case::Upper,
        };
        // A mixed separator, or codes like `AUTH-401` that carry a number,
        // say nothing about how the standard codes should look.
        let sep = match sep {
            Some(Some('-')) if case == Case::Lower => Some('-'),
            _ => Some('_'),
        };
        CodeStyle { case, sep }
    }

    /// Rewrites an `UPPER_SNAKE` code in this style.
    pub(crate) fn convert(self, upper_snake: &str) -> String {
        let cased = match self.case {
            Case::Lower => upper_snake.to_ascii_lowercase(),
            _ => upper_snake.to_owned(),
        };
        match self.sep {
            Some(c) if c != '_' => cased.replace('_', &c.to_string()),
            _ => cased,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_style() {
        let lower = CodeStyle::common(["invalid_json", "access_denied"].into_iter());
        assert_eq!(lower.convert("MISSING_TOKEN"), "missing_token");
        let upper = CodeStyle::common(["AUTH-401", "NOTFOUND-404"].into_iter());
        assert_eq!(upper.convert("MISSING_TOKEN"), "MISSING_TOKEN");
        let kebab = CodeStyle::common(["not-found", "bad"].into_iter());
        assert_eq!(kebab.convert("MISSING_TOKEN"), "missing-token");
        let none = CodeStyle::common(std::iter::empty());
        assert_eq!(none.convert("NOT_FOUND"), "NOT_FOUND");
    }

    #[test]
    fn ascii_fast_path_agrees() {
        for code in [
            "AUTH_FAILED",
            "auth-401",
            "a.b_c",
            "X",
            "123",
            "",
            "MixedCase_x",
        ] {
            let slow = {
                let upper = code.chars().any(|c| c.is_uppercase());
                let lower = code.chars().any(|c| c.is_lowercase());
                let sep = code.chars().find(|c| matches!(c, '_' | '-' | '.'));
                (upper, lower, sep)
            };
            let fast = CodeStyle::of(code);
            let case = match (slow.0, slow.1) {
                (true, false) => Case::Upper,
                (false, true) => Case::Lower,
                (true, true) => Case::Mixed,
                (false, false) => Case::None,
            };
            assert_eq!(fast, CodeStyle { case, sep: slow.2 }, "{code}");
        }
    }

    #[test]
    fn agreement() {
        assert!(CodeStyle::of("FORBIDDEN").agrees(CodeStyle::of("AUTH_FAILED")));
        assert!(!CodeStyle::of("auth_failed").agrees(CodeStyle::of("AUTH_FAILED")));
        assert!(!CodeStyle::of("AUTH-401").agrees(CodeStyle::of("AUTH_FAILED")));
    }
}
