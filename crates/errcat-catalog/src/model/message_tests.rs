use super::*;
use proptest::prelude::*;

/// The parser as it was written first, char by char: the reference for
/// the faster one.
fn reference(raw: &str) -> Result<Vec<Segment>, (usize, String)> {
    let mut segments = Vec::new();
    let mut text = String::new();
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let rest = &raw[i + 1..];
                let Some(end) = rest.find('}') else {
                    return Err((i, "unclosed `{` (write `{{` for a literal brace)".into()));
                };
                let name = &rest[..end];
                if name.is_empty()
                    || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    || name.starts_with(|c: char| c.is_ascii_digit())
                {
                    return Err((
                        i,
                        format!(
                            "`{{{name}}}` is not a placeholder: names are letters, digits and `_`"
                        ),
                    ));
                }
                if !text.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut text)));
                }
                segments.push(Segment::Param(name.to_owned()));
                for _ in 0..=name.chars().count() {
                    chars.next();
                }
            }
            '}' => return Err((i, "unmatched `}` (write `}}` for a literal brace)".into())),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
    Ok(segments)
}

#[test]
fn examples_match_the_reference() {
    for raw in [
        "",
        "plain",
        "{a}",
        "x {a} y {b_1}",
        "{{literal}} {a}}}",
        "{{{a}}}",
        "é{a}ü{{ß}}",
        "{a",
        "a}",
        "{1a}",
        "{}",
        "{a b}",
        "{a{b}",
        "}}{",
    ] {
        assert_eq!(Message::segments(raw), reference(raw), "{raw:?}");
    }
}

proptest! {
    #[test]
    fn matches_the_reference(raw in "[a-z_0-9 {}é]{0,24}") {
        prop_assert_eq!(Message::segments(&raw), reference(&raw));
        if let Ok(m) = Message::parse(&raw) {
            prop_assert_eq!(m.raw, raw);
        }
    }
}
