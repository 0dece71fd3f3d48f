use super::*;

fn catalog() -> Catalog {
    Catalog::from_str(
        "[api]\nname = \"T\"\n\n[[errors]]\ncode = \"AUTH_FAILED\"\nstatus = 401\nmessage = \"no\"\n\
         description = \"Bad <credentials>.\"\n",
        "t.toml",
    )
    .map_err(|r| r.to_string())
    .unwrap()
}

fn hostile() -> ErrorRecord {
    let mut r = ErrorRecord::new("e\"1", "r<1>", "AUTH_FAILED", 401);
    r.path = "/<script>alert(1)</script>".to_owned();
    r.route = Some("/x/{id}".to_owned());
    r.user_agent = Some("\"><img src=x onerror=alert(2)>".to_owned());
    r.headers = vec![
        ("x-evil".to_owned(), "\"><img onerror=alert(3)>".to_owned()),
        ("<h>".to_owned(), "v".to_owned()),
    ];
    r.body_excerpt = Some("</pre><script>alert(4)</script>".to_owned());
    r.causes = vec!["<iframe>".to_owned()];
    r.panic_message = Some("<b>boom</b>".to_owned());
    r.tenant = Some("t&co".to_owned());
    r
}

#[test]
fn record_page_escapes_everything_from_the_log() {
    let mut b = String::new();
    record_into(&mut b, &hostile(), &catalog(), unix_ms(SystemTime::now()));
    for bad in [
        "<script", "<img", "<iframe", "<b>boom", "<h>", "\"><img", "</pre><",
    ] {
        assert!(!b.contains(bad), "unescaped {bad} in\n{b}");
    }
    for good in [
        "<code>/&lt;script&gt;alert(1)&lt;/script&gt;</code>",
        "<code>&quot;&gt;&lt;img onerror=alert(3)&gt;</code>",
        "<dd>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</dd>",
        "<th scope=\"row\">&lt;h&gt;</th>",
        "&lt;/pre&gt;&lt;script&gt;alert(4)&lt;/script&gt;</pre>",
        "<a href=\"/console/lookup?id=r%3C1%3E\"><code>r&lt;1&gt;</code></a>",
        "<dd>t&amp;co</dd>",
        "<a class=\"code\" href=\"/errors#AUTH_FAILED\"",
        "<p>Bad &lt;credentials&gt;.</p>",
        "id=\"e-e%221\"",
    ] {
        assert!(b.contains(good), "missing {good} in\n{b}");
    }
}

#[test]
fn table_escapes_and_encodes_links() {
    let mut b = String::new();
    table_into(&mut b, &[hostile()], unix_ms(SystemTime::now()));
    assert!(!b.contains("<script"), "{b}");
    assert!(
        b.contains("href=\"/console/lookup?id=e%221\"><code>e&quot;1</code>"),
        "{b}"
    );
    assert!(
        b.contains("<code>GET /&lt;script&gt;alert(1)&lt;/script&gt;</code>"),
        "{b}"
    );
}

#[test]
fn whole_page_escapes_the_lookup_value() {
    let p = page("A<pi>", "t<", Nav::Lookup, "\"><script>", "");
    assert!(!p.contains("<script>"), "{p}");
    assert!(p.contains("value=\"&quot;&gt;&lt;script&gt;\""), "{p}");
    assert!(p.contains("<span>A&lt;pi&gt;</span>"), "{p}");
    assert!(!p.contains("<script"), "pages carry no script");
    assert!(!p.contains("style=\""), "no inline style (CSP)");
}

#[test]
fn catalog_prose_gets_code_spans() {
    assert_eq!(
        inline_code("Send `X-API-Key: <k>` & retry"),
        "Send <code>X-API-Key: &lt;k&gt;</code> &amp; retry"
    );
    assert_eq!(inline_code("a ` b <"), "a ` b &lt;");
}

#[test]
fn parses_times() {
    let now = 1_800_000_000_000;
    assert_eq!(parse_time("1h", now).ok(), Some(now - 3_600_000));
    // 2027-01-15T08:00:00Z is 1_800_000_000_000.
    assert_eq!(parse_time("2027-01-15T08:00", now).ok(), Some(now));
    assert_eq!(parse_time("2027-01-15 08:00", now).ok(), Some(now));
    assert_eq!(parse_time("2027-01-15T08:00:00Z", now).ok(), Some(now));
    assert_eq!(
        parse_time("2027-01-15", now).ok(),
        Some(now - 8 * 3_600_000)
    );
    assert!(parse_time("yesterday", now).is_err());
    assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
    assert_eq!(parse_duration("15"), None);
    assert_eq!(parse_duration("x1h"), None);
}
