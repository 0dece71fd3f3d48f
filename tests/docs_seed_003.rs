//! Seed 003's reference rebuilt from its seed page: every section of the
//! seed document (tests/data/seeds/003-saas.txt) in the seed's order, with
//! the seed's rows in each table.

mod common;

use common::cli::{docs, root, show, tmp};

/// The position of `needle` in `hay` at or after `from`, or a failure that
/// names what is missing.
fn find_after(hay: &str, needle: &str, from: usize, what: &str) -> usize {
    match hay[from..].find(needle) {
        Some(i) => from + i,
        None => panic!("{what}: `{needle}` not found after byte {from}"),
    }
}

/// Seed 003's page, rebuilt: every section of the seed document
/// (tests/data/seeds/003-saas.txt) in the seed's order, with the seed's
/// rows in each table.
#[test]
fn seed_003_has_the_seed_sections_in_order() {
    let seed = std::fs::read_to_string(root().join("tests/data/seeds/003-saas.txt")).unwrap();
    let dir = tmp();
    let file = "examples/catalogs/003-saas.toml";
    let out = docs(file, dir.path(), "html");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    let catalog = errcat_catalog::Catalog::from_path(root().join(file)).unwrap();
    let main = find_after(&html, "<main", 0, "main");

    // The seed's headings, in the seed's order, and the same on the page.
    let headings = [
        "Error Format",
        "Error Categories",
        "Common Error Codes",
        "Troubleshooting",
    ];
    let mut in_seed = 0;
    for h in headings {
        in_seed = find_after(&seed, &format!("\n{h}\n"), in_seed, "seed") + 1;
    }
    let intro = "All API errors return a consistent JSON structure with machine-readable codes for programmatic handling.";
    assert!(seed.contains(intro));
    let mut at = find_after(&html, &format!("<p>{intro}</p>"), main, "intro");
    for h in headings {
        at = find_after(&html, &format!(">{h}</h2>"), at, "section heading");
        at = match h {
            "Error Format" => format_section(&html, at),
            "Error Categories" => categories_table(&seed, &html, at),
            "Common Error Codes" => status_groups(&seed, &html, &catalog, at),
            _ => troubleshooting(&seed, &html, at),
        };
    }
    // Each error in full follows.
    find_after(
        &html,
        "<article class=\"err\" id=\"VALIDATION_ERROR\"",
        at,
        "cards",
    );
}

/// The envelope example of seed 003's format section, then its field table.
fn format_section(html: &str, mut at: usize) -> usize {
    for part in [
        "\"statusCode\": 400,",
        "\"path\": \"events.0.type\",",
        "<th>Field</th><th>Type</th><th>Description</th>",
        "<td><code>details</code></td><td>any</td>",
    ] {
        at = find_after(html, part, at, "format section");
    }
    at
}

/// The seed's "Error Categories" rows, in order, in the categories table.
fn categories_table(seed: &str, html: &str, mut at: usize) -> usize {
    let table = &seed[seed.find("CategoryDescription").unwrap()..];
    let mut rows = 0;
    for line in table.lines().skip(1).take_while(|l| !l.is_empty()) {
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        // The name runs into its description (`AUTHAuthentication`).
        let name = &name[..name.len() - 1];
        let desc = &line[name.len()..];
        at = find_after(
            html,
            &format!("<code>{name}</code></a></td><td>{desc}</td>"),
            at,
            "categories table",
        );
        rows += 1;
    }
    assert_eq!(rows, 7, "the seed's categories");
    at
}

/// The seed's four troubleshooting entries, in order.
fn troubleshooting(seed: &str, html: &str, mut at: usize) -> usize {
    for item in [
        "401 on SDK routes:",
        "400 with validation details:",
        "429 rate limited:",
        "500 errors:",
    ] {
        assert!(seed.contains(&format!("\n{item} ")), "{item}");
        at = find_after(
            html,
            &format!("<strong>{item}</strong>"),
            at,
            "troubleshooting",
        );
    }
    at
}

/// Checks the overview's status groups against the seed's "Common Error
/// Codes": the same headings, each with the seed's codes in its order.
fn status_groups(
    seed: &str,
    html: &str,
    catalog: &errcat_catalog::Catalog,
    mut at: usize,
) -> usize {
    let codes = &seed
        [seed.find("\nCommon Error Codes\n").unwrap()..seed.find("\nTroubleshooting\n").unwrap()];
    let mut groups = 0;
    for line in codes.lines() {
        let status = line
            .strip_suffix(')')
            .and_then(|l| l.rsplit_once(" ("))
            .filter(|(_, s)| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()));
        if status.is_some() {
            groups += 1;
            at = find_after(html, &format!("<h3>{line}</h3>"), at, "status group");
            continue;
        }
        // A row: the code runs into its description; the longest code that
        // starts the line is it.
        let Some(code) = catalog
            .errors
            .iter()
            .map(|e| e.code.as_str())
            .filter(|c| line.starts_with(c))
            .max_by_key(|c| c.len())
        else {
            continue;
        };
        let row = find_after(
            html,
            &format!("<tr><td><a href=\"#{code}\">{code}</a></td>"),
            at,
            "status group row",
        );
        assert!(
            !html[at..row].contains("</h2>"),
            "{code} is not in its group"
        );
        at = row;
    }
    assert_eq!(groups, 7, "the seed's status groups");
    at
}
