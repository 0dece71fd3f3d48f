//! One card says each sentence once: catalogs often repeat the message in
//! the description, or the description in the resolution.

/// The sentences a card has shown so far, normalised.
#[derive(Default)]
pub(super) struct Shown {
    seen: Vec<String>,
}

impl Shown {
    /// Records `text` (and each of its sentences) as shown.
    pub(super) fn add(&mut self, text: &str) {
        self.seen.push(norm(text));
        if let Some(parts) = sentences(text) {
            self.seen.extend(parts.iter().map(|s| norm(s)));
        }
    }

    /// Whether every sentence of `text` was shown already.
    pub(super) fn covers(&self, text: &str) -> bool {
        let n = norm(text);
        if n.is_empty() || self.seen.contains(&n) {
            return true;
        }
        sentences(text).is_some_and(|parts| parts.iter().all(|s| self.seen.contains(&norm(s))))
    }

    /// `text` without the sentences shown already, `None` when nothing is
    /// left; what it returns is recorded as shown. Text with more than one
    /// paragraph, a list, a table or a code block is kept or dropped whole.
    pub(super) fn fresh(&mut self, text: &str) -> Option<String> {
        if self.covers(text) {
            return None;
        }
        let Some(parts) = sentences(text) else {
            self.add(text);
            return Some(text.to_owned());
        };
        let kept: Vec<&str> = parts
            .into_iter()
            .filter(|s| !self.seen.contains(&norm(s)))
            .collect();
        let out = kept.join(" ");
        self.add(&out);
        Some(out)
    }
}

/// Case, whitespace, emphasis and code marks, and a closing period do not
/// make two sentences different.
fn norm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(
            word.chars()
                .filter(|c| !matches!(c, '`' | '*'))
                .flat_map(char::to_lowercase),
        );
    }
    while out.ends_with(['.', ' ']) {
        out.pop();
    }
    out
}

/// The sentences of one paragraph of prose; `None` for structured Markdown.
fn sentences(text: &str) -> Option<Vec<&str>> {
    let t = text.trim();
    let structured = t.contains("\n\n")
        || t.contains("```")
        || t.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with(['|', '-', '*', '#', '>', '+'])
                || l.split_once(". ")
                    .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
    if structured {
        return None;
    }
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = t.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let end = matches!(b, b'.' | b'!' | b'?')
            && bytes.get(i + 1).is_some_and(u8::is_ascii_whitespace);
        if end {
            out.push(t[start..=i].trim());
            start = i + 1;
        }
    }
    let rest = t[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_sentences_are_dropped() {
        let mut s = Shown::default();
        s.add("Too many requests");
        assert_eq!(
            s.fresh("Too many requests. Check Retry-After header for when to retry"),
            Some("Check Retry-After header for when to retry".to_owned())
        );
        // Case, spacing, emphasis and the closing period do not matter.
        assert_eq!(
            s.fresh("check  `Retry-After` header for when to retry."),
            None
        );
        assert_eq!(s.fresh("TOO MANY REQUESTS."), None);
        assert_eq!(s.fresh("Wait a minute."), Some("Wait a minute.".to_owned()));
        assert_eq!(s.fresh("Wait a minute"), None);
    }

    #[test]
    fn structured_markdown_is_kept_or_dropped_whole() {
        let mut s = Shown::default();
        s.add("One.");
        let list = "One.\n\n- two\n- three";
        assert_eq!(s.fresh(list), Some(list.to_owned()));
        assert_eq!(s.fresh(list), None);
        assert_eq!(sentences("1. first\n2. second"), None);
        assert_eq!(
            sentences("A b. C d! E f? g"),
            Some(vec!["A b.", "C d!", "E f?", "g"])
        );
        // A version number or a URL does not end a sentence.
        assert_eq!(
            sentences("Use v1.2 at https://e.com/a.b now."),
            Some(vec!["Use v1.2 at https://e.com/a.b now."])
        );
    }
}
