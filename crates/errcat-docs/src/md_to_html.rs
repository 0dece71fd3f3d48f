//! Catalog text → safe HTML: the one escaping function and a Markdown
//! renderer that never lets raw HTML or script links through.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Escapes text for HTML element content and double-quoted attributes.
#[cfg(test)]
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    esc_into(&mut out, s);
    out
}

/// Escapes text for HTML element content (quotes need no escaping there,
/// which keeps JSON examples small).
pub(crate) fn esc_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends `s` to `out`, HTML-escaped for text and for quoted attribute
/// values; control characters other than tab and newline become U+FFFD.
pub fn escape_html_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

pub(crate) use escape_html_into as esc_into;

/// Whether a link target is safe to put in `href`: http(s), mailto,
/// relative paths and fragments; never `javascript:`, `data:`, `vbscript:`
/// or any other scheme.
pub(crate) fn safe_url(url: &str) -> bool {
    // Browsers ignore ASCII whitespace and control characters inside the
    // scheme (`java\tscript:`), so judge the URL without them.
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if cleaned.as_bytes()[i] == b':' => {
            let scheme = &cleaned[..i];
            matches!(scheme, "http" | "https" | "mailto")
        }
        _ => true,
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Renders Markdown to HTML. Raw HTML is shown as text, links and images
/// with unsafe targets lose their target, images become their alt text.
pub(crate) fn to_html(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() * 3 / 2 + 16);
    html::push_html(&mut out, sanitize(Parser::new_ext(markdown, options())));
    out
}

/// Renders one paragraph of Markdown without the `<p>` wrapper (for list
/// items and short texts).
pub(crate) fn inline_html(markdown: &str) -> String {
    let html = to_html(markdown);
    let t = html.trim_end();
    if let Some(inner) = t.strip_prefix("<p>").and_then(|s| s.strip_suffix("</p>"))
        && !inner.contains("<p>")
    {
        return inner.to_owned();
    }
    html
}

fn sanitize<'a>(parser: Parser<'a>) -> impl Iterator<Item = Event<'a>> {
    // Which opened links were dropped, so that their end is dropped too.
    let mut dropped: Vec<bool> = Vec::new();
    let mut in_image = 0usize;
    parser.filter_map(move |ev| match ev {
        Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let ok = safe_url(&dest_url);
            dropped.push(!ok);
            ok.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            if dropped.pop().unwrap_or(false) {
                None
            } else {
                Some(Event::End(TagEnd::Link))
            }
        }
        // Images would load from the network (the site works offline) and
        // can carry unsafe targets: show their alt text.
        Event::Start(Tag::Image { .. }) => {
            in_image += 1;
            None
        }
        Event::End(TagEnd::Image) => {
            in_image = in_image.saturating_sub(1);
            None
        }
        Event::Text(t) if in_image > 0 => Some(Event::Text(t)),
        other => Some(other),
    })
}

/// Catalog Markdown made safe to publish as Markdown: raw HTML has its `<`
/// escaped, and links or images with unsafe targets become their text.
pub(crate) fn safe_markdown(src: &str) -> String {
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    // The open unsafe link: where it starts and the text seen inside it.
    let mut open: Option<(std::ops::Range<usize>, String, usize)> = None;
    for (ev, range) in Parser::new_ext(src, options()).into_offset_iter() {
        match ev {
            Event::Start(Tag::Link { ref dest_url, .. } | Tag::Image { ref dest_url, .. })
                if open.is_none() && !safe_url(dest_url) =>
            {
                open = Some((range, String::new(), 0));
            }
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => {
                if let Some(o) = &mut open {
                    o.2 += 1;
                }
            }
            Event::End(TagEnd::Link | TagEnd::Image) => match &mut open {
                Some(o) if o.2 > 0 => o.2 -= 1,
                Some(_) => {
                    let (r, text, _) = open.take().expect("open");
                    edits.push((r, text.replace(['[', ']', '<'], "")));
                }
                None => {}
            },
            Event::Text(t) | Event::Code(t) if open.is_some() => {
                if let Some(o) = &mut open {
                    o.1.push_str(&t);
                }
            }
            Event::Html(h) | Event::InlineHtml(h) if open.is_none() => {
                let _ = h;
                edits.push((range.clone(), src[range].replace('<', "&lt;")));
            }
            _ => {}
        }
    }
    edits.sort_by_key(|e| e.0.start);
    let mut out = String::with_capacity(src.len() + 16);
    let mut at = 0;
    for (r, text) in edits {
        if r.start < at {
            continue;
        }
        out.push_str(&src[at..r.start]);
        out.push_str(&text);
        at = r.end;
    }
    out.push_str(&src[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_escaped() {
        let h = to_html("Hi <script>alert(1)</script> &lt;b&gt;");
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(!h.contains("<b>"), "{h}");
    }

    #[test]
    fn script_links_are_dropped() {
        for md in [
            "[x](javascript:alert(1))",
            "[x](JavaScript:alert(1))",
            "[x](data:text/html,hi)",
            "<javascript:alert(1)>",
            "[x](java\tscript:alert(1))",
            "![x](javascript:alert(1))",
        ] {
            let h = to_html(md);
            assert!(
                !h.to_ascii_lowercase().contains("href=\"javascript"),
                "{md} → {h}"
            );
            assert!(!h.contains("data:"), "{md} → {h}");
            assert!(!h.contains("<img"), "{md} → {h}");
        }
        assert!(to_html("[ok](https://e.com/a)").contains("href=\"https://e.com/a\""));
        assert!(to_html("[ok](#CODE)").contains("href=\"#CODE\""));
    }

    #[test]
    fn markdown_stays_markdown_but_safe() {
        let m = safe_markdown(
            "a [x](javascript:alert(1)) b <script>x</script> [ok](https://e.com) `c`",
        );
        assert!(!m.contains("javascript") && !m.contains("<script"), "{m}");
        assert!(
            m.contains("[ok](https://e.com)") && m.contains("a x b") && m.contains("`c`"),
            "{m}"
        );
    }

    #[test]
    fn inline_drops_paragraph() {
        assert_eq!(inline_html("a *b*"), "a <em>b</em>");
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
