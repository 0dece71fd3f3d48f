//! What support needs besides the record itself: whose move an error is,
//! guidance for support staff, and input read the way people paste it
//! (ids with quotes or a `key:` prefix, statuses as classes, times as
//! durations). Shared by the console and `errcat lookup`.

use std::ops::RangeInclusive;

use errcat_catalog::Catalog;
use errcat_store::{ErrorRecord, parse_duration};

/// Who has to act for an error to go away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The client's request was refused: the client changes it.
    Client,
    /// The server failed: engineering looks at it.
    Server,
    /// A service the server depends on failed.
    Upstream,
}

impl Party {
    /// `client`, `server` or `upstream`.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Client => "client",
            Party::Server => "server",
            Party::Upstream => "upstream",
        }
    }

    /// Whose move it is, in words.
    pub fn whose_move(self) -> &'static str {
        match self {
            Party::Client => "the client's request",
            Party::Server => "the server",
            Party::Upstream => "an upstream service",
        }
    }
}

/// Whose move an error is, from its status, category and source.
pub fn party(r: &ErrorRecord) -> Party {
    let upstream = r.category.eq_ignore_ascii_case("EXTERNAL_SERVICE")
        || (matches!(r.status, 502 | 504) && r.source != "panic");
    if upstream {
        Party::Upstream
    } else if r.status >= 500 || r.source == "panic" || r.source == "timeout" {
        Party::Server
    } else {
        Party::Client
    }
}

/// One line saying what failed, where, and whose move it is:
/// `VALIDATION_ERROR (400) on POST /api/events — the client's request: Invalid request body`.
pub fn summary(r: &ErrorRecord) -> String {
    let place = r.route.as_deref().unwrap_or(&r.path);
    let what = match r.source.as_str() {
        "panic" => "the handler panicked".to_owned(),
        "timeout" => "the handler did not answer in time".to_owned(),
        _ => r.message.clone().unwrap_or_else(|| r.code.clone()),
    };
    format!(
        "{} ({}) on {} {} — {}: {}",
        r.code,
        r.status,
        r.method,
        place,
        party(r).whose_move(),
        what
    )
}

/// Steps for support: the catalog entry's `support` text, else a default
/// for the record's category (and status).
pub fn guidance(r: &ErrorRecord, catalog: &Catalog) -> String {
    if let Some(text) = catalog.get(&r.code).and_then(|d| d.support.as_deref()) {
        return text.trim().to_owned();
    }
    let text = match (r.category.as_str(), party(r)) {
        ("VALIDATION", _) => {
            "The client's request was refused as invalid. Show them the response above: the field \
             violations name each field and what is wrong with it. Nothing to fix on the server unless \
             the request matches the reference."
        }
        ("AUTH", _) if r.status == 403 => {
            "The caller was identified but lacks the permission or role for this operation. Check \
             the caller's role and the resource's owner (another tenant's resource answers like a \
             missing one)."
        }
        ("AUTH", _) => {
            "The request carried no valid credential. Check which credential the request headers \
             show (redacted), and whether it has expired or been revoked; the client signs in again \
             or sends the right header."
        }
        ("NOT_FOUND", _) => {
            "The resource in the path does not exist for this caller. Confirm the id with the \
             client and that it belongs to their tenant."
        }
        ("CONFLICT", _) => {
            "The resource's current state refused the change (it exists, is in use, or changed \
             meanwhile). Ask what the client expected and look at the resource's state."
        }
        ("RATE_LIMIT", _) => {
            "The client exceeded its quota. The Retry-After header above is when they may retry; \
             repeated limits mean the client should batch requests or back off."
        }
        (_, Party::Upstream) => {
            "A service the API depends on failed; the cause chain names it. Check that provider's \
             status. The client's request was fine: they can retry later."
        }
        (_, Party::Server) => {
            "A server fault: the client did nothing wrong. Escalate to engineering with the error \
             id; the panic message and cause chain above are where they start."
        }
        (_, Party::Client) => {
            "The client's request was refused. The response above is exactly what they received."
        }
    };
    text.to_owned()
}

/// The ids to look up for what support pasted: surrounding quotes,
/// whitespace, commas and braces removed; then the value after a `key:` or
/// `key=` prefix (`x-request-id: …`, `"error_id": "…"`), and the whole text
/// too (an id may hold a colon itself); each as given and in lower case, and
/// a UUID written without dashes with them. Empty when nothing is left.
pub fn id_candidates(raw: &str) -> Vec<String> {
    let trim = |s: &str| {
        s.trim()
            .trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | ',' | ';' | '{' | '}'))
            .trim()
            .to_owned()
    };
    let whole = trim(raw);
    // `key: value` or `key=value`: a header line, a JSON member, a query.
    let after_key = whole.find([':', '=']).and_then(|pos| {
        let key = trim(&whole[..pos]);
        let looks_like_key = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '));
        let value = trim(&whole[pos + 1..]);
        (looks_like_key && !value.is_empty()).then_some(value)
    });
    let mut out: Vec<String> = Vec::new();
    for s in after_key.into_iter().chain([whole]) {
        for v in [s.clone(), s.to_ascii_lowercase()] {
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        }
        let lower = s.to_ascii_lowercase();
        if lower.len() == 32 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
            let dashed = format!(
                "{}-{}-{}-{}-{}",
                &lower[..8],
                &lower[8..12],
                &lower[12..16],
                &lower[16..20],
                &lower[20..]
            );
            if !out.contains(&dashed) {
                out.push(dashed);
            }
        }
    }
    out
}

/// A status filter: `404`, a class `4xx`, or a range `500-504`.
pub fn parse_status(s: &str) -> Result<RangeInclusive<u16>, String> {
    let s = s.trim();
    let bad = || {
        format!("status `{s}` is not a status, a class or a range: use `404`, `4xx` or `500-504`")
    };
    let one = |t: &str| {
        t.trim()
            .parse::<u16>()
            .ok()
            .filter(|n| (100..=599).contains(n))
    };
    let lower = s.to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx") {
        return match class.parse::<u16>() {
            Ok(c @ 1..=5) => Ok(c * 100..=c * 100 + 99),
            _ => Err(bad()),
        };
    }
    if let Some((a, b)) = s.split_once(['-', '–']) {
        return match (one(a), one(b)) {
            (Some(a), Some(b)) if a <= b => Ok(a..=b),
            _ => Err(bad()),
        };
    }
    one(s).map(|n| n..=n).ok_or_else(bad)
}

/// A time filter in ms since the epoch: a duration ago (`30m`, `2h`, `7d`)
/// or a UTC time (RFC 3339 `2026-01-31T09:00:00Z`, or `2026-01-31T09:00`,
/// `2026-01-31 09:00`, `2026-01-31`).
pub fn parse_time(s: &str, now_ms: i64) -> Result<i64, String> {
    if let Some(d) = parse_duration(s) {
        return Ok(now_ms - i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2));
    }
    let mut t = s.trim().replace(' ', "T");
    if t.len() == 10 {
        t.push_str("T00:00");
    }
    if t.len() == 16 {
        t.push_str(":00");
    }
    // humantime reads UTC only: an offset (`+01:00`) is applied here.
    let (t, offset_ms) = split_offset(&t);
    let parsed = humantime::parse_rfc3339(t)
        .or_else(|_| humantime::parse_rfc3339_weak(t.trim_end_matches(['Z', 'z'])));
    parsed.map(|p| errcat_store::unix_ms(p) - offset_ms).map_err(|_| {
        format!(
            "`{s}` is not a time: use a duration ago (`30m`, `2h`, `7d`) or a UTC time (`2026-01-31T09:00Z`)"
        )
    })
}

/// A time and its UTC offset in ms (`…T09:00:00+01:00` → `…T09:00:00`,
/// 3,600,000); a time without an offset as it is, with 0.
fn split_offset(t: &str) -> (&str, i64) {
    let b = t.as_bytes();
    if b.len() > 19 && b.len() >= 6 {
        let at = b.len() - 6;
        let (sign, rest) = (b[at], &t[at + 1..]);
        if matches!(sign, b'+' | b'-')
            && let Some((h, m)) = rest.split_once(':')
            && let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>())
            && h < 24
            && m < 60
        {
            let ms = (h * 60 + m) * 60_000;
            return (&t[..at], if sign == b'+' { ms } else { -ms });
        }
    }
    (t, 0)
}

/// Why an id may be missing: errors of its minute the log counted but did
/// not record (sampled out in an error storm, or dropped with its queue
/// full), as a heading and one line per code, status and route. `None`
/// when the log kept everything that minute.
pub fn not_kept(rows: &[errcat_store::NotKept]) -> Option<(String, Vec<String>)> {
    let first = rows.first()?;
    let minute =
        humantime::format_rfc3339_seconds(errcat_store::from_unix_ms(first.minute_ms.max(0)))
            .to_string();
    // `2026-12-02T12:01:00Z` as `2026-12-02 12:01 UTC`.
    let at = format!("{} {} UTC", &minute[..10], &minute[11..16]);
    let heading = format!(
        "Not kept: the log sampled errors in an error storm at {at}. This id's minute had errors \
         that were counted but not recorded; it is most likely one of them."
    );
    let lines = rows
        .iter()
        .map(|n| {
            let route = if n.route.is_empty() {
                "no matching route".to_owned()
            } else {
                n.route.clone()
            };
            format!(
                "{} of {} {} ({}) on {route} that minute were not recorded",
                n.count, n.total, n.code, n.status
            )
        })
        .collect();
    Some((heading, lines))
}

/// The catalog's spelling of a code typed in any case; else as typed.
pub fn catalog_code(catalog: &Catalog, typed: &str) -> String {
    let typed = typed.trim();
    catalog
        .errors
        .iter()
        .find(|e| e.code.eq_ignore_ascii_case(typed))
        .map_or_else(|| typed.to_owned(), |e| e.code.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_not_kept_are_told_with_their_minute() {
        let row = errcat_store::NotKept {
            minute_ms: 1_796_212_860_000,
            code: "NOT_FOUND".into(),
            route: String::new(),
            status: 404,
            count: 4_812,
            total: 5_000,
        };
        let (heading, lines) = not_kept(&[row]).unwrap();
        assert!(
            heading.starts_with(
                "Not kept: the log sampled errors in an error storm at 2026-12-02 12:01 UTC."
            ),
            "{heading}"
        );
        assert_eq!(
            lines,
            ["4812 of 5000 NOT_FOUND (404) on no matching route that minute were not recorded"]
        );
        assert_eq!(not_kept(&[]), None);
    }

    #[test]
    fn ids_are_read_as_pasted() {
        let id = "0190b6c2-7c1e-7d2a-9f3b-2f6e4c1a9b10";
        for pasted in [
            id.to_owned(),
            format!("  \"{id}\"  "),
            format!("\"error_id\": \"{id}\","),
            format!("x-request-id: {id}"),
            format!("X-Request-Id:{id}"),
            format!("error_id={id}"),
            id.to_uppercase(),
            id.replace('-', ""),
            format!("'{}'", id.replace('-', "").to_uppercase()),
        ] {
            assert!(
                id_candidates(&pasted).contains(&id.to_owned()),
                "{pasted}: {:?}",
                id_candidates(&pasted)
            );
        }
        assert!(id_candidates("  \"\" ").is_empty());
        // A value that only looks like `key:` is kept whole when nothing follows.
        assert_eq!(id_candidates("req:")[0], "req:");
        // An id holding a colon is looked up whole as well.
        assert!(id_candidates("req:42").contains(&"req:42".to_owned()));
        assert_eq!(id_candidates("req:42")[0], "42");
    }

    #[test]
    fn statuses_classes_and_ranges() {
        assert_eq!(parse_status("404"), Ok(404..=404));
        assert_eq!(parse_status("4xx"), Ok(400..=499));
        assert_eq!(parse_status("5XX"), Ok(500..=599));
        assert_eq!(parse_status("500-504"), Ok(500..=504));
        for bad in ["4x", "9xx", "600", "504-500", "abc", ""] {
            assert!(parse_status(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_as_durations_or_utc() {
        let now = 1_800_000_000_000;
        assert_eq!(parse_time("30m", now), Ok(now - 1_800_000));
        assert_eq!(parse_time("2h", now), Ok(now - 7_200_000));
        assert_eq!(parse_time("7d", now), Ok(now - 7 * 86_400_000));
        // 2027-01-15T08:00:00Z is 1_800_000_000_000.
        for t in [
            "2027-01-15T08:00:00Z",
            "2027-01-15T08:00",
            "2027-01-15 08:00",
            "2027-01-15T09:00:00+01:00",
            "2027-01-15T07:30:00-00:30",
        ] {
            assert_eq!(parse_time(t, now), Ok(now), "{t}");
        }
        assert_eq!(parse_time("2027-01-15", now), Ok(now - 8 * 3_600_000));
        assert!(parse_time("yesterday", now).is_err());
    }

    #[test]
    fn whose_move_it_is() {
        let mut r = ErrorRecord::new("e", "r", "VALIDATION_ERROR", 400);
        r.category = "VALIDATION".into();
        r.method = "POST".into();
        r.route = Some("/api/events".into());
        r.message = Some("Invalid request body".into());
        assert_eq!(party(&r), Party::Client);
        assert_eq!(
            summary(&r),
            "VALIDATION_ERROR (400) on POST /api/events — the client's request: Invalid request body"
        );
        r.status = 500;
        r.source = "panic".into();
        assert_eq!(party(&r), Party::Server);
        assert!(summary(&r).ends_with("the server: the handler panicked"));
        r.status = 502;
        r.source = "raised".into();
        r.category = "EXTERNAL_SERVICE".into();
        assert_eq!(party(&r), Party::Upstream);
    }
}
