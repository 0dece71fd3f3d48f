//! A catalog entry's `support` text is for support staff only: no output of
//! the reference (site, Markdown, JSON export, OpenAPI) carries it.

use errcat_catalog::Catalog;

#[test]
fn support_text_stays_out_of_the_reference() {
    let catalog = Catalog::from_str(
        "[api]\nname = \"T\"\n\n[[errors]]\ncode = \"RATE_LIMITED\"\nstatus = 429\nmessage = \"Slow down\"\n\
         description = \"Too many requests.\"\nresolution = \"Wait.\"\n\
         support = \"SUPPORT-ONLY: check the key's plan in the billing admin\"\n",
        "t.toml",
    )
    .map_err(|r| r.to_string())
    .unwrap();
    assert_eq!(
        catalog
            .get("RATE_LIMITED")
            .and_then(|d| d.support.as_deref()),
        Some("SUPPORT-ONLY: check the key's plan in the billing admin")
    );
    let outputs = [
        ("site", errcat_docs::site(&catalog)),
        ("markdown", errcat_docs::markdown(&catalog)),
        (
            "markdown by category",
            format!("{:?}", errcat_docs::markdown_by_category(&catalog)),
        ),
        ("json", errcat_docs::export_json(&catalog).to_string()),
        ("openapi", errcat_docs::openapi(&catalog).to_string()),
    ];
    for (what, text) in outputs {
        assert!(text.contains("RATE_LIMITED"), "{what} lists the error");
        assert!(
            !text.contains("SUPPORT-ONLY"),
            "{what} shows the support text"
        );
        assert!(
            !text.contains("billing admin"),
            "{what} shows the support text"
        );
    }
}
