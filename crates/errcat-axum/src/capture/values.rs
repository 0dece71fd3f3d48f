//! Secrets in values of any field or header: user information, query
//! values and fragments of URLs, and card numbers.

use super::REDACTED;

/// The value of a URL-valued header (an absolute URL, or a path) with the
/// query's values, the fragment and any user information redacted: a
/// `Referer` of `https://app.example/cb?code=…&api_key=…` keeps the names
/// only. Any other value is returned as it is.
pub(crate) fn redact_url(value: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let scheme_end = value.find("://").filter(|&n| {
        n > 0
            && value[..n]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    });
    if scheme_end.is_none() && !value.starts_with('/') {
        return Cow::Borrowed(value);
    }
    let (before_fragment, fragment) = match value.find('#') {
        Some(n) => (&value[..n], true),
        None => (value, false),
    };
    let (base, query) = match before_fragment.find('?') {
        Some(n) => (&before_fragment[..n], Some(&before_fragment[n + 1..])),
        None => (before_fragment, None),
    };
    let mut out = String::with_capacity(value.len());
    match scheme_end {
        Some(n) => {
            let authority_start = n + 3;
            let authority_end = base[authority_start..]
                .find('/')
                .map_or(base.len(), |e| authority_start + e);
            let authority = &base[authority_start..authority_end];
            out.push_str(&base[..authority_start]);
            match authority.rfind('@') {
                Some(at) => {
                    out.push_str(REDACTED);
                    out.push_str(&authority[at..]);
                }
                None => out.push_str(authority),
            }
            out.push_str(&base[authority_end..]);
        }
        None => out.push_str(base),
    }
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) => format!("{name}={REDACTED}"),
                None if pair.is_empty() => String::new(),
                None => REDACTED.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    if fragment {
        out.push('#');
        out.push_str(REDACTED);
    }
    if out == value {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(out)
    }
}

/// `digits` (13–19 of them, the first 2–6 as every card network's) passing
/// the Luhn check. Written out: the check is six lines, not worth a crate.
pub(crate) fn is_card_number(digits: &str) -> bool {
    let len = digits.len();
    if !(13..=19).contains(&len)
        || !digits.bytes().all(|c| c.is_ascii_digit())
        || !matches!(digits.as_bytes()[0], b'2'..=b'6')
    {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `text` with every card-like run redacted: 13–19 digits, optionally in
/// groups separated by one space or `-` (`4111 1111 1111 1111`), passing the
/// Luhn check, whatever field or header holds it. Where a run of groups is
/// no card number as a whole, each group is checked alone (two card numbers
/// separated by a space).
pub(crate) fn redact_cards(text: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let b = text.as_bytes();
    if b.iter().filter(|c| c.is_ascii_digit()).count() < 13 {
        return Cow::Borrowed(text);
    }
    // Byte ranges to redact, in order.
    let mut hits: Vec<(usize, usize)> = Vec::new();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A run of digit groups joined by single separators.
        let mut k = i;
        loop {
            let g = k;
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            groups.push((g, k));
            if k + 1 < b.len() && matches!(b[k], b' ' | b'-') && b[k + 1].is_ascii_digit() {
                k += 1;
            } else {
                break;
            }
        }
        // Digits inside a word (a UUID's `01a23648-8664-…`, a hex trace
        // id) are not a card number: a run counts only standing alone.
        let alone = |s: usize, e: usize| {
            (s == 0 || !b[s - 1].is_ascii_alphanumeric())
                && (e == b.len() || !b[e].is_ascii_alphanumeric())
        };
        let digits: usize = groups.iter().map(|&(s, e)| e - s).sum();
        // Only a run of card length is joined (most runs are not: ids,
        // timestamps).
        let whole_run_is_card = (13..=19).contains(&digits)
            && alone(i, k)
            && is_card_number(&groups.iter().map(|&(s, e)| &text[s..e]).collect::<String>());
        if whole_run_is_card {
            hits.push((i, k));
        } else if groups.len() > 1 {
            hits.extend(
                groups
                    .iter()
                    .filter(|&&(s, e)| alone(s, e) && is_card_number(&text[s..e]))
                    .copied(),
            );
        }
        groups.clear();
        i = k;
    }
    if hits.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (s, e) in hits {
        out.push_str(&text[copied..s]);
        out.push_str(REDACTED);
        copied = e;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}
