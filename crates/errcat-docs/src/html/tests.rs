//! The site's sections, cards and texts, rendered from small catalogs.

use errcat_catalog::Catalog;

fn site_of(toml: &str) -> String {
    let catalog = Catalog::from_str(toml, "errors.toml").unwrap_or_else(|r| panic!("{r:?}"));
    super::site(&catalog)
}

/// The text from `start` up to and including the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in\n{html}"));
    let j = html[i..].find(end).unwrap_or_else(|| panic!("no {end:?}")) + i + end.len();
    &html[i..j]
}

const SHOP: &str = r#"
[api]
name = "Shop"
standard_errors = "internal"
[categories]
ORDERS = "Orders: the order book"
[[guides]]
title = "Start here"
body = "Read me first."
[[guides]]
title = "Orders guide"
category = "ORDERS"
body = "About orders."
[[guides]]
title = "Support"
body = "Mail us."
[[errors]]
code = "ORDER_NOT_FOUND"
status = 404
category = "ORDERS"
title = "Order not found"
message = "Order {id} not found"
params = { id = "string" }
[[errors]]
code = "SLOW_DOWN"
status = 429
category = "RATE_LIMIT"
title = "Slow down"
message = "Slow down"
retry_after = 1
[[errors]]
code = "ORDER_GONE"
status = 404
category = "ORDERS"
title = "Order gone"
message = "The order was archived"
"#;

#[test]
fn the_overview_groups_by_category_by_default() {
    let html = site_of(SHOP);
    let ov = between(&html, "<section class=\"guide ov\"", "</section>");
    assert_eq!(
        ov,
        "<section class=\"guide ov\" id=\"ec-overview\" aria-labelledby=\"ec-overview-h\">\n\
<h2 id=\"ec-overview-h\">Overview</h2>\n\
<h3>Orders</h3>\n\
<table><thead><tr><th>Code</th><th>Status</th><th>Title</th></tr></thead><tbody>\n\
<tr><td><a href=\"#ORDER_NOT_FOUND\">ORDER_NOT_FOUND</a></td><td class=\"s4\">404</td><td>Order not found</td></tr>\n\
<tr><td><a href=\"#ORDER_GONE\">ORDER_GONE</a></td><td class=\"s4\">404</td><td>Order gone</td></tr>\n\
</tbody></table>\n\
<h3>Rate limit</h3>\n\
<table><thead><tr><th>Code</th><th>Status</th><th>Title</th></tr></thead><tbody>\n\
<tr><td><a href=\"#SLOW_DOWN\">SLOW_DOWN</a></td><td class=\"s4\">429</td><td>Slow down</td></tr>\n\
</tbody></table>\n\
</section>"
    );
}

#[test]
fn the_overview_groups_by_status_under_the_catalogs_headings() {
    let html = site_of(&format!(
        "{SHOP}[docs]\noverview = \"status\"\nstatus_headings = {{ 404 = \"Missing <things>\" }}\n"
    ));
    let ov = between(&html, "<section class=\"guide ov\"", "</section>");
    let headings: Vec<&str> = ov.lines().filter(|l| l.starts_with("<h3>")).collect();
    assert_eq!(
        headings,
        [
            "<h3>Missing &lt;things&gt; (404)</h3>",
            "<h3>429 Too Many Requests</h3>"
        ]
    );
    let none = site_of(&format!("{SHOP}[docs]\noverview = \"none\"\n"));
    assert!(!none.contains("id=\"ec-overview\""));
}

#[test]
fn default_order_opening_guides_overview_errors_closing_guides() {
    let html = site_of(SHOP);
    let order = [
        ">Start here</h2>",
        "id=\"ec-overview\"",
        "id=\"cat-ORDERS\"",
        ">Orders guide</h3>",
        "id=\"ORDER_NOT_FOUND\"",
        "id=\"cat-RATE_LIMIT\"",
        ">Support</h2>",
    ];
    let main = html.find("<main").unwrap();
    let at: Vec<usize> = order
        .iter()
        .map(|s| main + html[main..].find(s).unwrap_or_else(|| panic!("no {s}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{order:?} at {at:?}");
}

#[test]
fn sections_follow_the_catalogs_order() {
    let html = site_of(&format!(
        "{SHOP}[docs]\nsections = [\"support\", \"categories\", \"errors\", \"format\", \"orders-guide\"]\n"
    ));
    let main = html.find("<main").unwrap();
    let order = [
        ">Support</h2>",
        "id=\"ec-categories\"",
        "id=\"cat-ORDERS\"",
        "id=\"ec-format\"",
        ">Orders guide</h2>",
        ">Start here</h2>",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|s| main + html[main..].find(s).unwrap_or_else(|| panic!("no {s}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{order:?} at {at:?}");
    // A guide placed by the list is shown there only.
    assert_eq!(html.matches(">Orders guide</h").count(), 1);
    // Listing sections without `overview` leaves the table out.
    assert!(!html.contains("id=\"ec-overview\""));
    let cats = between(&html, "<section class=\"guide cats\"", "</section>");
    assert!(
        cats.contains("<tr><td><a href=\"#cat-ORDERS\"><code>ORDERS</code></a></td><td>Orders: the order book</td></tr>\n<tr><td><a href=\"#cat-RATE_LIMIT\">"),
        "{cats}"
    );
    // No `format` guide: the fields of the example body are listed.
    let format = between(&html, "<section class=\"guide format\"", "</section>");
    assert!(format.contains("The body of <a href=\"#ORDER_NOT_FOUND\"><code>ORDER_NOT_FOUND</code></a> (404 Not Found)"), "{format}");
    assert!(
        format.contains("<tr><td><code>status</code></td><td>number</td></tr>"),
        "{format}"
    );
}

#[test]
fn a_card_says_each_sentence_once() {
    let html = site_of(
        r#"
[api]
name = "Saas"
[[errors]]
code = "RATE_LIMITED"
status = 429
category = "RATE_LIMIT"
message = "Too many requests"
retry_advice = "Check the Retry-After header."
description = "Too many requests. Check the  retry-after header"
resolution = ["Too many requests.", "Batch events in one request."]
causes = ["Too many requests"]
"#,
    );
    // The card up to its example response (which shows the body as sent).
    let card = between(&html, "<article", "<details");
    assert_eq!(card.matches("oo many requests").count(), 1, "{card}");
    assert_eq!(
        card.to_lowercase().matches("check the").count(),
        1,
        "{card}"
    );
    assert!(!card.contains("Possible causes"), "{card}");
    assert!(
        card.contains(
            "<h4>Resolution</h4>\n<div class=\"res\"><p>Batch events in one request.</p>\n</div>"
        ),
        "{card}"
    );
}

#[test]
fn counted_nouns_are_singular_for_one() {
    let html = site_of(
        "[api]\nname = \"One\"\nstandard_errors = \"internal\"\n[[errors]]\ncode = \"SLOW\"\nstatus = 429\nmessage = \"Slow\"\nretry_after = 1\n",
    );
    assert!(html.contains(">1 error</p>"), "count");
    assert!(html.contains("Default delay: 1 second (<code>Retry-After</code>)."));
    // The page's text: without its style and script.
    let text = html.replace(between(&html, "<style>", "</style>"), "");
    let text = text.replace(between(&text, "<script>\n", "</script>"), "");
    for wrong in ["(s)", "1 seconds", "1 errors"] {
        assert!(!text.contains(wrong), "{wrong}");
    }
    let many = site_of(SHOP);
    assert!(many.contains(">3 errors</p>"));
}

#[test]
fn search_and_filters_show_only_with_script() {
    let html = site_of(SHOP);
    assert!(html.contains("<div class=\"tools js-only\" role=\"search\">"));
    assert!(html.contains("html:not(.js) .js-only{display:none!important}"));
    // The script that marks the page runs in the head, before first paint.
    let head = between(&html, "<head>", "</head>");
    assert!(head.contains("document.documentElement.className+=' js'"));
}

#[test]
fn catalog_text_in_the_new_sections_is_escaped() {
    let html = site_of(
        r#"
[api]
name = "X"
[categories]
EVIL = "Evil <script>alert(1)</script>"
[docs]
sections = ["overview", "categories", "errors"]
[[guides]]
id = "overview"
title = "All <b>codes</b>"
[[errors]]
code = "BAD"
status = 400
category = "EVIL"
title = "Bad <img src=x onerror=alert(2)>"
message = "Bad"
"#,
    );
    assert_eq!(html.matches("<script>").count(), 2);
    assert!(!html.contains("<img") && !html.contains("<b>"));
    assert!(html.contains(">All &lt;b&gt;codes&lt;/b&gt;</h2>"));
    assert!(html.contains("<td>Bad &lt;img src=x onerror=alert(2)&gt;</td>"));
}

#[test]
fn the_format_section_without_a_sent_error_keeps_its_guide() {
    let html = site_of(
        r#"
[api]
name = "Browser only"
standard_errors = "internal"
[docs]
sections = ["format", "errors"]
[[guides]]
id = "format"
title = "Error Format"
body = "Errors are shown in the page."
[[errors]]
code = "OFFLINE"
category = "INTERNAL"
message = "You are offline"
"#,
    );
    let format = between(&html, "<section class=\"guide format\"", "</section>");
    assert_eq!(
        format,
        "<section class=\"guide format\" id=\"ec-format\" aria-labelledby=\"ec-format-h\">\n\
<h2 id=\"ec-format-h\">Error Format</h2>\n\
<p>Errors are shown in the page.</p>\n\
</section>"
    );
}

#[test]
fn a_section_with_nothing_to_show_is_left_out_with_its_contents_entry() {
    let html = site_of(
        "[api]\nname = \"B\"\nstandard_errors = \"internal\"\n[docs]\nsections = [\"format\", \"errors\"]\n[[errors]]\ncode = \"OFFLINE\"\ncategory = \"INTERNAL\"\nmessage = \"Offline\"\n",
    );
    assert!(!html.contains("ec-format"), "{html}");
    assert!(html.contains("id=\"OFFLINE\""));
}
