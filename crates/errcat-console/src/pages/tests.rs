use errcat_catalog::Catalog;
use errcat_store::{ErrorRecord, SentResponse, Violation};

use crate::view::{self, Frame, RecordView, Row};

fn catalog() -> Catalog {
    Catalog::from_str(
        "[api]\nname = \"T\"\n\n[[errors]]\ncode = \"AUTH_FAILED\"\nstatus = 401\nmessage = \"no\"\n\
         description = \"Bad <credentials>.\"\nresolution = [\"bad <credentials>\", \"Send `X-API-Key`.\"]\n\
         support = \"Check the key's <scope>.\"\n",
        "t.toml",
    )
    .map_err(|r| r.to_string())
    .unwrap()
}

const ATTACKS: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "javascript:alert(3)",
];

fn hostile() -> ErrorRecord {
    let mut r = ErrorRecord::new("e\"1", "r<1>", "AUTH_FAILED", 401);
    r.path = format!("/{}", ATTACKS[0]);
    r.route = Some(ATTACKS[2].to_owned());
    r.user_agent = Some(ATTACKS[1].to_owned());
    r.headers = vec![
        ("x-evil".to_owned(), ATTACKS[1].to_owned()),
        ("<h>".to_owned(), ATTACKS[2].to_owned()),
    ];
    r.body_excerpt = Some(format!("</pre>{}", ATTACKS[0]));
    r.causes = vec!["<iframe>".to_owned()];
    r.panic_message = Some("<b>boom</b>".to_owned());
    r.tenant = Some("t&co".to_owned());
    r.message = Some(ATTACKS[1].to_owned());
    r.response = Some(SentResponse {
        status: 401,
        headers: vec![("www-authenticate".into(), ATTACKS[1].into())],
        body: format!("{{\"m\":\"{}\"}}", ATTACKS[0]),
        body_bytes: 40,
    });
    r.violations = vec![Violation {
        path: ATTACKS[1].into(),
        message: ATTACKS[0].into(),
        reason: None,
    }];
    r
}

fn frame() -> Frame<'static> {
    Frame {
        api: "A<pi>",
        title: "t<",
        nav: "lookup",
        lookup_value: "\"><script>",
    }
}

fn lookup_page(r: &ErrorRecord) -> String {
    let records = [RecordView::of(r, &catalog(), 0)];
    view::render(
        "lookup.html",
        &frame(),
        minijinja::context! { records => view::ser(&records) },
    )
}

/// No markup from the log reaches a page: every attack string appears only
/// escaped, and the page carries no script or inline style.
fn assert_inert(page: &str) {
    for bad in [
        "<script",
        "<img",
        "<iframe",
        "<b>boom",
        "<h>",
        "href=\"javascript",
    ] {
        assert!(!page.contains(bad), "unescaped {bad} in\n{page}");
    }
    assert!(!page.contains("style=\""), "no inline style (CSP)");
}

#[test]
fn lookup_page_escapes_everything_from_the_log() {
    let b = lookup_page(&hostile());
    assert_inert(&b);
    for good in [
        "<code>GET /&lt;script&gt;alert(1)&lt;/script&gt;</code>",
        "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;",
        "<th scope=\"row\">&lt;h&gt;</th>",
        "<a href=\"/console/lookup?id=r%3C1%3E\"><code>r&lt;1&gt;</code></a>",
        "<dd>t&amp;co</dd>",
        "<a class=\"code\" href=\"/errors#AUTH_FAILED\">",
        "<p>Bad &lt;credentials&gt;.</p>",
        "id=\"e-e%221\"",
        "value=\"&quot;&gt;&lt;script&gt;\"",
        "<span>A&lt;pi&gt;</span>",
    ] {
        assert!(b.contains(good), "missing {good} in\n{b}");
    }
}

#[test]
fn lookup_page_reads_in_support_order() {
    let b = lookup_page(&hostile());
    let order = [
        "class=\"oneline\"",
        "What the client received",
        "Field violations",
        "Server-side cause",
        "Panicked:",
        "The request",
        "Guidance for support",
        "Check the key&#39;s &lt;scope&gt;.",
        "What the reference tells the client",
    ];
    let mut at = 0;
    for s in order {
        let i = b[at..]
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing or out of order in\n{b}"));
        at += i + s.len();
    }
    // The resolution step repeating the description is shown once.
    assert_eq!(b.matches("Bad &lt;credentials&gt;").count(), 1, "{b}");
    assert!(b.contains("<li>Send <code>X-API-Key</code>.</li>"), "{b}");
    assert!(b.contains("HTTP 401 Unauthorized"), "{b}");
}

#[test]
fn a_record_without_a_response_says_so() {
    let mut r = ErrorRecord::new("e1", "r1", "UNKNOWN_CODE", 400);
    r.category = "VALIDATION".into();
    let b = lookup_page(&r);
    assert!(
        b.contains("Not recorded: this error was logged before errcat kept responses."),
        "{b}"
    );
    assert!(
        b.contains("This code is not in the console's catalog."),
        "{b}"
    );
    assert!(
        b.contains("None recorded: the API refused the request as designed."),
        "{b}"
    );
}

#[test]
fn table_escapes_and_encodes_links() {
    let rows = [Row::of(&hostile(), 0)];
    let b = view::render(
        "home.html",
        &frame(),
        minijinja::context! { rows => view::ser(&rows) },
    );
    assert_inert(&b);
    assert!(
        b.contains("href=\"/console/lookup?id=e%221\"><code>e&quot;1</code>"),
        "{b}"
    );
    assert!(b.contains("<a class=\"skip\" href=\"#main\">"), "{b}");
}
