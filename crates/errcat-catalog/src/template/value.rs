//! What filters do to values, and how readers undo it: case, paths as
//! JSON Pointers or segment arrays, percent-encoding, and times.
//!
//! Times are formatted here rather than with a date crate: only UTC is ever
//! written, the pattern is parsed once when the catalog loads, and the whole
//! of it is a day-count conversion and a dozen fields.

use std::time::{SystemTime, UNIX_EPOCH};

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::Filter;

/// The segments of a field path: `items[0].name` and `items.0.name` are
/// both `["items", "0", "name"]`.
///
/// ```
/// use errcat_catalog::template::value::path_segments;
/// assert_eq!(path_segments("data.attributes[0].name"), ["data", "attributes", "0", "name"]);
/// ```
pub fn path_segments(path: &str) -> Vec<&str> {
    path.split(['.', '[', ']'])
        .filter(|s| !s.is_empty())
        .collect()
}

/// A dotted path as a JSON Pointer (RFC 6901): `data.attributes.name` →
/// `/data/attributes/name`, with `~` and `/` escaped; `""` for an empty path.
///
/// ```
/// use errcat_catalog::template::value::pointer;
/// assert_eq!(pointer("data.attributes.firstName"), "/data/attributes/firstName");
/// assert_eq!(pointer("a/b.c~d"), "/a~1b/c~0d");
/// ```
pub fn pointer(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    for seg in path_segments(path) {
        out.push('/');
        out.push_str(&seg.replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// A JSON Pointer back to a dotted path; `None` for text that is not one.
///
/// ```
/// use errcat_catalog::template::value::pointer_to_path;
/// assert_eq!(pointer_to_path("/data/attributes/firstName").as_deref(), Some("data.attributes.firstName"));
/// assert_eq!(pointer_to_path("name"), None);
/// ```
pub fn pointer_to_path(p: &str) -> Option<String> {
    if p.is_empty() {
        return Some(String::new());
    }
    let rest = p.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// A segment as JSON: a number for an index (digits, no leading zero), else text.
fn segment_value(seg: &str) -> serde_json::Value {
    let index = !seg.is_empty()
        && seg.bytes().all(|b| b.is_ascii_digit())
        && (seg == "0" || !seg.starts_with('0'));
    match seg.parse::<u64>() {
        Ok(n) if index => serde_json::Value::from(n),
        _ => serde_json::Value::String(seg.to_owned()),
    }
}

/// A dotted path as an array of segments after `prefix`:
/// `["body", "items", 0, "name"]`.
pub fn segments(path: &str, prefix: &[String]) -> serde_json::Value {
    serde_json::Value::Array(
        prefix
            .iter()
            .map(|s| serde_json::Value::String(s.clone()))
            .chain(path_segments(path).into_iter().map(segment_value))
            .collect(),
    )
}

/// An array of segments back to a dotted path, without the first
/// `prefix` segments when they are those; `None` for another shape.
pub fn segments_to_path(v: &serde_json::Value, prefix: &[String]) -> Option<String> {
    let items = v.as_array()?;
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        out.push(match item {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        });
    }
    if out.len() >= prefix.len() && out.iter().zip(prefix).all(|(a, b)| a == b) {
        out.drain(..prefix.len());
    }
    Some(out.join("."))
}

/// Text in the case a filter asks for; other filters leave it as it is.
///
/// ```
/// use errcat_catalog::template::{Filter, value::recase};
/// assert_eq!(recase(&Filter::Kebab, "CARD_DECLINED"), "card-declined");
/// assert_eq!(recase(&Filter::Pascal, "resource_not_found"), "ResourceNotFound");
/// ```
pub fn recase(filter: &Filter, s: &str) -> String {
    match filter {
        Filter::Lower => s.to_lowercase(),
        Filter::Upper => s.to_uppercase(),
        Filter::Kebab => s.to_kebab_case(),
        Filter::Snake => s.to_snake_case(),
        Filter::Screaming => s.to_shouty_snake_case(),
        Filter::Camel => s.to_lower_camel_case(),
        Filter::Pascal => s.to_upper_camel_case(),
        _ => s.to_owned(),
    }
}

/// Text with the text filters applied, left to right (time and
/// structure filters leave it as it is).
pub fn text_filters(filters: &[Filter], mut v: String) -> String {
    for f in filters {
        v = match f {
            Filter::Pointer => pointer(&v),
            Filter::Url => {
                let mut out = String::with_capacity(v.len());
                percent_encode(&v, &mut out);
                out
            }
            Filter::Json => serde_json::Value::String(v).to_string(),
            f if f.folds_case() => recase(f, &v),
            _ => v,
        };
    }
    v
}

/// Text folded for comparing codes whatever their case and separators
/// (`card-declined`, `CARD_DECLINED` and `CardDeclined` fold alike).
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Everything but RFC 3986's unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends `s` percent-encoded as a URL component: every byte but
/// `A-Z a-z 0-9 - . _ ~`, so a value never changes a URL's structure.
///
/// ```
/// use errcat_catalog::template::value::percent_encode;
/// let mut out = String::new();
/// percent_encode("a b/c?d#e%", &mut out);
/// assert_eq!(out, "a%20b%2Fc%3Fd%23e%25");
/// ```
pub fn percent_encode(s: &str, out: &mut String) {
    out.extend(utf8_percent_encode(s, COMPONENT));
}

/// Percent-decoding, for readers; `None` when the result is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// A `strftime`-style pattern for times, parsed once. Times are UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeFormat {
    items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Lit(String),
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    /// Fractional seconds with this many digits, with a leading `.` or not.
    Frac(u8, bool),
    /// `+0000`, or `+00:00` with a colon.
    Offset(bool),
    /// `UTC`.
    Zone,
    Unix,
    Weekday,
    MonthName,
}

/// The parts of a UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Seconds since the Unix epoch (negative before it).
    pub unix: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// The year.
    pub year: i64,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
    /// 0–23.
    pub hour: u32,
    /// 0–59.
    pub minute: u32,
    /// 0–59.
    pub second: u32,
    /// 0 (Sunday) – 6.
    pub weekday: u32,
}

impl Civil {
    /// The parts of a time.
    pub fn of(t: SystemTime) -> Civil {
        let (unix, nanos) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            ),
            Err(e) => {
                let d = e.duration();
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                match d.subsec_nanos() {
                    0 => (-secs, 0),
                    n => (-secs - 1, 1_000_000_000 - n),
                }
            }
        };
        let days = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400) as u32;
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            unix,
            nanos,
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }
}

impl TimeFormat {
    /// Parses a pattern; the error is the byte offset and what is wrong.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use errcat_catalog::template::TimeFormat;
    ///
    /// let f = TimeFormat::parse("%Y-%m-%dT%H:%M:%S%.3f%:z").unwrap();
    /// let t = UNIX_EPOCH + Duration::from_millis(1_714_557_600_042);
    /// assert_eq!(f.format(t), "2024-05-01T10:00:00.042+00:00");
    /// assert!(TimeFormat::parse("%Q").is_err());
    /// ```
    pub fn parse(pattern: &str) -> Result<TimeFormat, (usize, String)> {
        let mut items = Vec::new();
        let mut lit = String::new();
        let mut chars = pattern.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '%' {
                lit.push(c);
                continue;
            }
            let mut spec = String::new();
            while let Some(&(_, n)) = chars.peek() {
                spec.push(n);
                chars.next();
                if n.is_ascii_alphabetic() || n == '%' {
                    break;
                }
            }
            let item = match spec.as_str() {
                "%" => {
                    lit.push('%');
                    continue;
                }
                "Y" => Item::Year,
                "m" => Item::Month,
                "d" => Item::Day,
                "H" => Item::Hour,
                "M" => Item::Minute,
                "S" => Item::Second,
                "3f" => Item::Frac(3, false),
                "6f" => Item::Frac(6, false),
                "9f" => Item::Frac(9, false),
                ".3f" | ".f" => Item::Frac(3, true),
                ".6f" => Item::Frac(6, true),
                ".9f" => Item::Frac(9, true),
                "z" => Item::Offset(false),
                ":z" => Item::Offset(true),
                "Z" => Item::Zone,
                "s" => Item::Unix,
                "a" => Item::Weekday,
                "b" => Item::MonthName,
                other => return Err((i, format!("unknown time field `%{other}`"))),
            };
            if !lit.is_empty() {
                items.push(Item::Lit(std::mem::take(&mut lit)));
            }
            items.push(item);
        }
        if !lit.is_empty() {
            items.push(Item::Lit(lit));
        }
        Ok(TimeFormat { items })
    }

    /// Formats a time (in UTC).
    pub fn format(&self, t: SystemTime) -> String {
        let mut out = String::with_capacity(32);
        self.format_into(Civil::of(t), &mut out);
        out
    }

    /// Appends a time's text to `out`.
    pub fn format_into(&self, c: Civil, out: &mut String) {
        use std::fmt::Write as _;
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        for item in &self.items {
            // Writing into a String cannot fail.
            let _ = match item {
                Item::Lit(s) => {
                    out.push_str(s);
                    Ok(())
                }
                Item::Year => write!(out, "{:04}", c.year),
                Item::Month => write!(out, "{:02}", c.month),
                Item::Day => write!(out, "{:02}", c.day),
                Item::Hour => write!(out, "{:02}", c.hour),
                Item::Minute => write!(out, "{:02}", c.minute),
                Item::Second => write!(out, "{:02}", c.second),
                Item::Frac(digits, dot) => {
                    if *dot {
                        out.push('.');
                    }
                    let scaled = c.nanos / 10u32.pow(9 - u32::from(*digits));
                    write!(out, "{scaled:0width$}", width = usize::from(*digits))
                }
                Item::Offset(colon) => {
                    out.push_str(if *colon { "+00:00" } else { "+0000" });
                    Ok(())
                }
                Item::Zone => {
                    out.push_str("UTC");
                    Ok(())
                }
                Item::Unix => write!(out, "{}", c.unix),
                Item::Weekday => {
                    out.push_str(DAYS[c.weekday as usize % 7]);
                    Ok(())
                }
                Item::MonthName => {
                    out.push_str(MONTHS[(c.month as usize + 11) % 12]);
                    Ok(())
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        let at = |s: u64| Civil::of(UNIX_EPOCH + Duration::from_secs(s));
        let c = at(0);
        assert_eq!((c.year, c.month, c.day, c.weekday), (1970, 1, 1, 4));
        let c = at(951_782_400); // 2000-02-29
        assert_eq!((c.year, c.month, c.day), (2000, 2, 29));
        let c = at(1_714_557_600);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (2024, 5, 1, 10, 0, 0)
        );
        let c = Civil::of(UNIX_EPOCH - Duration::from_millis(1));
        assert_eq!(
            (c.year, c.month, c.day, c.second, c.nanos),
            (1969, 12, 31, 59, 999_000_000)
        );
        // Every day for 600 years round-trips against a day-by-day count.
        let (mut y, mut m, mut d) = (1970i64, 1u32, 1u32);
        for day in 0..(600 * 366) {
            let c = at(day * 86_400);
            assert_eq!((c.year, c.month, c.day), (y, m, d), "day {day}");
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            d += 1;
            if d > len[m as usize - 1] {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn patterns() {
        let t = UNIX_EPOCH + Duration::from_millis(1_714_557_600_042);
        let f = |p: &str| TimeFormat::parse(p).unwrap().format(t);
        assert_eq!(f("%Y-%m-%dT%H:%M:%S"), "2024-05-01T10:00:00");
        assert_eq!(f("%Y-%m-%dT%H:%M:%S%.3f%z"), "2024-05-01T10:00:00.042+0000");
        assert_eq!(
            f("%a, %d %b %Y %H:%M:%S %Z"),
            "Wed, 01 May 2024 10:00:00 UTC"
        );
        assert_eq!(f("%s.%6f 100%%"), "1714557600.042000 100%");
        assert_eq!(TimeFormat::parse("x %q").unwrap_err().0, 2);
    }

    #[test]
    fn paths() {
        assert_eq!(pointer(""), "");
        assert_eq!(
            pointer_to_path(&pointer("a.b~c/d.0")).as_deref(),
            Some("a.b~c/d.0")
        );
        let v = segments("items.0.name", &["body".to_owned()]);
        assert_eq!(v, serde_json::json!(["body", "items", 0, "name"]));
        assert_eq!(
            segments_to_path(&v, &["body".to_owned()]).as_deref(),
            Some("items.0.name")
        );
        assert_eq!(segments("a.007", &[]), serde_json::json!(["a", "007"]));
    }
}
