//! `Accept` and `Accept-Language`.

/// Media ranges of an `Accept` header with their weights.
fn ranges(accept: &str) -> impl Iterator<Item = (&str, f32)> {
    accept.split(',').filter_map(|part| {
        let mut pieces = part.split(';');
        let range = pieces.next()?.trim();
        if range.is_empty() {
            return None;
        }
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        Some((range, q))
    })
}

/// The weight the `Accept` header gives `media_type` (`type/subtype`),
/// counting wildcards; 1.0 without a header.
pub(crate) fn weight(accept: Option<&str>, media_type: &str) -> f32 {
    let Some(accept) = accept else { return 1.0 };
    let (ty, _) = media_type.split_once('/').unwrap_or((media_type, ""));
    let mut best: Option<(u8, f32)> = None;
    for (range, q) in ranges(accept) {
        let specificity = if range.eq_ignore_ascii_case(media_type) {
            3
        } else if range
            .strip_suffix("/*")
            .is_some_and(|t| t.eq_ignore_ascii_case(ty))
        {
            2
        } else if range == "*/*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// Chooses `problem` over the catalog's default envelope when the client
/// prefers `application/problem+json` to the default's media type.
pub(crate) fn envelope(accept: Option<&str>, default_media_type: &str) -> Option<&'static str> {
    let accept = accept?;
    if default_media_type == "application/problem+json" {
        return None;
    }
    let problem = weight(Some(accept), "application/problem+json");
    let default = weight(Some(accept), default_media_type);
    (problem > default).then_some("problem")
}

/// The language tag with the highest weight in `Accept-Language` (not `*`).
pub(crate) fn locale(accept_language: &str) -> Option<&str> {
    let mut best: Option<(&str, f32)> = None;
    for (tag, q) in ranges(accept_language) {
        if tag == "*"
            || q <= 0.0
            || tag.len() > 35
            || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            continue;
        }
        if best.is_none_or(|(_, bq)| q > bq) {
            best = Some((tag, q));
        }
    }
    best.map(|(t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights() {
        assert_eq!(weight(None, "application/json"), 1.0);
        assert_eq!(
            weight(
                Some("application/json;q=0.5, */*;q=0.1"),
                "application/json"
            ),
            0.5
        );
        assert_eq!(weight(Some("text/html"), "application/json"), 0.0);
        assert_eq!(
            weight(Some("application/*;q=0.3"), "application/problem+json"),
            0.3
        );
    }

    #[test]
    fn envelope_choice() {
        let pj = "application/problem+json";
        assert_eq!(envelope(Some(pj), "application/json"), Some("problem"));
        assert_eq!(
            envelope(
                Some("application/json, application/problem+json;q=0.9"),
                "application/json"
            ),
            None
        );
        assert_eq!(envelope(Some("*/*"), "application/json"), None);
        assert_eq!(envelope(None, "application/json"), None);
        assert_eq!(envelope(Some(pj), pj), None);
    }

    #[test]
    fn locales() {
        assert_eq!(locale("de-CH, de;q=0.9, en;q=0.8"), Some("de-CH"));
        assert_eq!(locale("en;q=0.5, fr;q=0.9"), Some("fr"));
        assert_eq!(locale("*"), None);
        assert_eq!(locale("x\u{0}y, es"), Some("es"));
    }
}
