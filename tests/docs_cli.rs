//! `errcat docs`, black-box; and the generated site driven in headless
//! Chromium (tests/browser/site.mjs). `errcat diff` and `errcat lock` are in
//! diff_cli.rs.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::cli::{docs, errcat, root, show, text, tmp, write};

const SEEDS: [&str; 5] = [
    "000-dxtra",
    "001-error-codes",
    "002-extole",
    "003-saas",
    "004-dual",
];

#[test]
fn every_seed_site_has_every_section_and_error() {
    let dir = tmp();
    for seed in SEEDS {
        let file = format!("examples/catalogs/{seed}.toml");
        let out_dir = dir.path().join(seed);
        let out = docs(&file, &out_dir, "html");
        assert_eq!(out.status.code(), Some(0), "{seed}: {}", show(&out));
        let html = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
        let catalog = errcat_catalog::Catalog::from_path(root().join(&file)).unwrap();
        let mut public = 0;
        for e in catalog.errors.iter().filter(|e| e.is_public()) {
            public += 1;
            let code = e.code.replace('&', "&amp;");
            assert!(
                html.contains(&format!("id=\"{code}\"")),
                "{seed}: no #{code}"
            );
            assert!(
                html.contains(&format!("href=\"#{code}\"")),
                "{seed}: no link to {code}"
            );
        }
        assert!(public > 0, "{seed} has no public errors");
        for g in &catalog.guides {
            let title = g
                .title
                .replace('&', "&amp;")
                .replace('\'', "&#39;")
                .replace('"', "&quot;");
            assert!(
                html.contains(&format!(">{title}</h")),
                "{seed}: no guide {title:?}"
            );
        }
        for cat in catalog
            .errors
            .iter()
            .filter(|e| e.is_public())
            .map(|e| &e.category)
        {
            assert!(
                html.contains(&format!("id=\"cat-{cat}\"")),
                "{seed}: no section {cat}"
            );
        }
        // What the seed pages promise: a search with this empty state, Ctrl+K.
        assert!(html.contains("No errors found matching your search."));
        assert!(html.contains("Ctrl+K"));
        assert!(!html.contains("<script src"), "{seed}: external script");
        assert!(
            !html.contains("<link rel=\"stylesheet\""),
            "{seed}: external CSS"
        );
    }
}

/// The codes, statuses and numeric codes a seed document mentions:
/// `AUTH-401`, `RATE_LIMITED`, `missing_access_token`, `404`, `4001`.
fn seed_tokens(doc: &str) -> Vec<String> {
    let mut out: Vec<String> = doc
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map(|t| t.trim_matches('-'))
        .filter(|t| {
            let b = t.as_bytes();
            let upper_code = b.first().is_some_and(u8::is_ascii_uppercase)
                && t.bytes().all(|c| {
                    c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_' || c == b'-'
                })
                && t.split(['_', '-']).count() > 1
                && t.split(['_', '-']).all(|p| !p.is_empty());
            let snake = t.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
                && t.split('_').count() > 1
                && t.split('_').all(|p| !p.is_empty());
            let number = t.bytes().all(|c| c.is_ascii_digit())
                && match t.len() {
                    3 => (b'1'..=b'5').contains(&b[0]),
                    4 => (b'3'..=b'5').contains(&b[0]),
                    _ => false,
                };
            upper_code || snake || number
        })
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_code_a_seed_document_mentions_is_on_its_site() {
    let dir = tmp();
    let seeds_dir = root().join("../shared/seeds");
    let Ok(entries) = std::fs::read_dir(&seeds_dir) else {
        eprintln!("skipping: no {}", seeds_dir.display());
        return;
    };
    let mut docs_by_prefix: Vec<(String, String)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name[..3].to_owned(), std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    docs_by_prefix.sort();
    assert_eq!(docs_by_prefix.len(), SEEDS.len());
    for (prefix, doc) in docs_by_prefix {
        let seed = SEEDS.iter().find(|s| s.starts_with(&prefix)).unwrap();
        let out_dir = dir.path().join(seed);
        let out = docs(&format!("examples/catalogs/{seed}.toml"), &out_dir, "html");
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        let html = std::fs::read_to_string(out_dir.join("index.html"))
            .unwrap()
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let tokens = seed_tokens(&doc);
        assert!(tokens.len() >= 5, "{seed}: {tokens:?}");
        for t in tokens {
            // The seed texts were extracted from web pages, where a code can
            // run into the next word (`AUTH_FAILEDAPI key…`).
            let found = html.contains(&t)
                || (1..=3).any(|k| {
                    t.len() > k + 3
                        && t[t.len() - k..].bytes().all(|c| c.is_ascii_uppercase())
                        && html.contains(&t[..t.len() - k])
                });
            assert!(
                found,
                "{seed}: the seed document mentions `{t}`, the site does not"
            );
        }
    }
}

#[test]
fn seed_000_lists_the_integration_tables_and_envelope() {
    let dir = tmp();
    let out = docs("examples/catalogs/000-dxtra.toml", dir.path(), "html");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    // Guide tables render as tables; the example uses Dxtra's own envelope.
    assert!(html.contains("<table>"), "no table");
    assert!(html.contains("\"status\": \"error\""), "no dxtra envelope");
    assert!(
        html.contains("not sent by the API"),
        "browser-side errors are marked"
    );
}

#[test]
fn docs_reports_usage_and_io_problems_with_exit_2() {
    let dir = tmp();
    let out = docs("/nonexistent/errors.toml", dir.path(), "html");
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let broken = write(dir.path(), "broken.toml", "[[errors]]\ncode = 1\n");
    let out = docs(&broken, dir.path(), "html");
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(text(&out.stderr).contains("errcat lint"), "{}", show(&out));
    let out = errcat(&[
        "docs",
        "--catalog",
        "examples/catalogs/002-extole.toml",
        "--out",
        dir.path().to_str().unwrap(),
        "--split",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn markdown_openapi_and_json_exports() {
    let dir = tmp();
    let file = "examples/catalogs/004-dual.toml";
    let out = docs(file, dir.path(), "markdown");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let md = std::fs::read_to_string(dir.path().join("errors.md")).unwrap();
    let catalog = errcat_catalog::Catalog::from_path(root().join(file)).unwrap();
    for e in catalog.errors.iter().filter(|e| e.is_public()) {
        assert!(
            md.contains(&format!("### `{}`", e.code)),
            "markdown lacks {}",
            e.code
        );
    }
    assert!(md.contains("```http\nHTTP/1.1 "), "no example response");

    let split = dir.path().join("split");
    let out = errcat(&[
        "docs",
        "--catalog",
        file,
        "--out",
        split.to_str().unwrap(),
        "--format",
        "markdown",
        "--split",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(split.join("README.md").exists());
    let files = std::fs::read_dir(&split).unwrap().count();
    assert!(files >= 3, "{files} files");

    let out = docs(file, dir.path(), "openapi");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let api: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("openapi.json")).unwrap())
            .unwrap();
    assert_eq!(api["openapi"], "3.1.0");
    let schema = &api["components"]["schemas"]["Error"];
    assert_eq!(schema["type"], "object");
    assert!(
        schema["properties"]["error"]["properties"]["code"].is_object(),
        "{schema}"
    );
    let responses = api["components"]["responses"].as_object().unwrap();
    assert!(responses.contains_key("Error404") && responses.contains_key("Error422"));
    let examples = responses["Error404"]["content"]["application/json"]["examples"]
        .as_object()
        .unwrap();
    assert!(!examples.is_empty());
    let n_examples: usize = responses
        .values()
        .map(|r| {
            r["content"].as_object().unwrap().values().next().unwrap()["examples"]
                .as_object()
                .unwrap()
                .len()
        })
        .sum();
    let sent = catalog
        .errors
        .iter()
        .filter(|e| e.is_public() && e.status.is_some())
        .count();
    assert_eq!(n_examples, sent, "one example per public code");

    let out = docs(file, dir.path(), "json");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("catalog.json")).unwrap())
            .unwrap();
    assert_eq!(json["api"]["name"], catalog.api.name.as_str());
    assert_eq!(
        json["errors"].as_array().unwrap().len(),
        catalog.errors.len()
    );
}

#[test]
fn catalog_text_cannot_inject_script() {
    let dir = tmp();
    let file = write(
        dir.path(),
        "errors.toml",
        r#"
[api]
name = "Evil <script>alert('name')</script>"

[[guides]]
title = "Hi <img src=x onerror=alert(1)>"
body = """
<script>alert('guide')</script> &lt;script&gt;alert(2)&lt;/script&gt;
[click](javascript:alert(3)) [data](data:text/html;base64,PHNjcmlwdD4=) [ok](https://example.com/ok)
<a href="javascript:alert(4)">raw</a>
"""

[[errors]]
code = "BAD_THING"
status = 400
title = "Bad </article><script>alert(5)</script>"
message = "Bad <b>{x}</b>"
params = { x = "string" }
description = "See [here](JaVaScRiPt:alert(6)) and <iframe src=\"x\"></iframe>"
causes = ["<script>alert(7)</script>"]
resolution = ["[fix](javascript:alert(8))"]
links = [{ title = "<b>Help</b>", url = "javascript:alert(9)" }]
translations.de = { title = "Schlecht <script>alert(10)</script>", message = "Schlecht {x}" }
translations.'x" onmouseover="alert(11)' = { title = "t" }
"#,
    );
    let out = docs(&file, dir.path(), "html");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    // The only scripts are errcat's own two.
    assert_eq!(html.matches("<script>").count(), 2, "{html}");
    let lower = html.to_ascii_lowercase();
    // Every real link goes to the web or into the page.
    for (i, _) in lower.match_indices("<a href=\"") {
        let url = &lower[i + 9..];
        assert!(
            url.starts_with("https://") || url.starts_with('#'),
            "unsafe link: {}",
            &url[..url.len().min(40)]
        );
    }
    // Raw HTML stays text.
    assert!(lower.contains("&lt;a href=\"javascript:alert(4)\"&gt;"));
    assert!(!lower.contains("<img") && !lower.contains("<iframe") && !lower.contains("<b>"));
    assert!(html.contains("href=\"https://example.com/ok\""));
    assert!(html.contains("&lt;script&gt;alert('guide')&lt;/script&gt;"));
    assert!(html.contains("<li lang=\"de\"><code>de</code> Schlecht &lt;script&gt;"));
    assert!(!html.contains("\" onmouseover"), "attribute injection");

    let out = docs(&file, dir.path(), "markdown");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let md = std::fs::read_to_string(dir.path().join("errors.md")).unwrap();
    // Outside code blocks (where text is shown as it is), no raw HTML.
    let mut in_code = false;
    for line in md.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            // `\<` is an escaped, literal `<`.
            let raw = line.replace("\\<", "");
            assert!(
                !raw.contains("<script") && !raw.contains("<iframe"),
                "{line}"
            );
        }
    }
    assert!(
        !md.to_ascii_lowercase().contains("](javascript:alert(9)"),
        "{md}"
    );
}

/// A catalog of `n` varied errors across statuses and categories.
fn big_catalog(n: usize) -> String {
    const THINGS: [&str; 24] = [
        "order",
        "invoice",
        "customer",
        "webhook",
        "token",
        "session",
        "payment",
        "refund",
        "coupon",
        "subscription",
        "plan",
        "export",
        "report",
        "upload",
        "template",
        "project",
        "member",
        "role",
        "device",
        "region",
        "quota",
        "bucket",
        "pipeline",
        "schedule",
    ];
    const PROBLEMS: [(&str, u16, &str); 10] = [
        ("INVALID", 400, "is not valid"),
        ("UNAUTHORIZED", 401, "needs a valid credential"),
        ("FORBIDDEN", 403, "is not allowed for this role"),
        ("NOT_FOUND", 404, "does not exist"),
        ("CONFLICT", 409, "conflicts with the current state"),
        ("LOCKED", 423, "is locked by another request"),
        ("RATE_LIMITED", 429, "was requested too often"),
        ("FAILED", 500, "failed unexpectedly"),
        (
            "UPSTREAM_TIMEOUT",
            504,
            "timed out waiting for the upstream service",
        ),
        ("UNAVAILABLE", 503, "is temporarily unavailable"),
    ];
    let mut s = String::from(
        "[api]\nname = \"Big API\"\nversion = \"3.2\"\nstandard_errors = \"internal\"\n\n[[guides]]\ntitle = \"Error format\"\nbody = \"Every error has a `code`.\"\n",
    );
    for i in 0..n {
        let thing = THINGS[i % THINGS.len()];
        let (p, status, says) = PROBLEMS[(i / THINGS.len()) % PROBLEMS.len()];
        let code = format!("{}_{p}_{i:05}", thing.to_ascii_uppercase());
        let _ = write!(
            s,
            "\n[[errors]]\ncode = \"{code}\"\nnumeric_code = {num}\nstatus = {status}\ntitle = \"The {thing} {says}\"\nmessage = \"The {thing} {{id}} {says}\"\nparams = {{ id = \"string\" }}\ndescription = \"Returned when the {thing} named in the request {says}. Variant {i}.\"\ncauses = [\"The {thing} id is wrong or was deleted.\", \"A client sent the request before the {thing} was ready.\"]\nresolution = [\"Check the {thing} id in the dashboard.\", \"Retry after fixing the {thing}.\"]\n",
            num = 100_000 + i,
        );
    }
    s
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

#[test]
fn hundred_error_site_is_small() {
    let dir = tmp();
    let file = write(dir.path(), "errors.toml", &big_catalog(100));
    let out = docs(&file, &dir.path().join("site"), "html");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let bytes = dir_size(&dir.path().join("site"));
    println!("page weight, 100 errors: {bytes} bytes");
    assert!(bytes < 200 * 1024, "{bytes} bytes");
}

/// Loads seed sites (001, and 003 also with script off) and a 10,000-error
/// site in headless Chromium through
/// tests/browser/site.mjs (playwright-core). Needs `chromium`, `node` and
/// `npm ci` in tests/browser; under CI=true a missing piece fails the test.
#[test]
fn browser_site_works_in_chromium() {
    let Some(chromium) = common::browser::tools("the docs browser test") else {
        return;
    };
    let browser_dir = common::browser::dir();
    let target = root().join("target");
    let sites = target.join("browser-sites");
    let shots = target.join("browser-screenshots");
    let _ = std::fs::remove_dir_all(&sites);
    std::fs::create_dir_all(&sites).unwrap();

    let seed = sites.join("001-error-codes");
    let out = docs("examples/catalogs/001-error-codes.toml", &seed, "html");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    let saas = sites.join("003-saas");
    let out = docs("examples/catalogs/003-saas.toml", &saas, "html");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    let big_file = write(&sites, "big.toml", &big_catalog(10_000));
    let big = sites.join("big");
    let start = Instant::now();
    let out = docs(&big_file, &big, "html");
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    println!(
        "10,000-error site: {} bytes, `errcat docs` took {took:.2?} (this build profile)",
        dir_size(&big)
    );
    // The budget is for release builds; debug builds are several times slower.
    if !cfg!(debug_assertions) {
        assert!(took.as_secs_f64() < 2.0, "10,000 errors took {took:.2?}");
    }

    let out = Command::new("node")
        .arg(browser_dir.join("site.mjs"))
        .arg(&seed)
        .arg(&big)
        .arg(&shots)
        .arg(&saas)
        .env("CHROMIUM", &chromium)
        .current_dir(&browser_dir)
        .output()
        .unwrap();
    println!("{}", text(&out.stdout));
    eprintln!("{}", text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "browser checks failed:\n{}",
        show(&out)
    );
}

#[test]
fn an_envelope_sent_with_one_status_says_so_in_the_reference() {
    let dir = tmp();
    let catalog = root().join("examples/envelopes/slack-web.toml");
    for format in ["markdown", "html"] {
        let out = docs(catalog.to_str().unwrap(), dir.path(), format);
        assert!(out.status.success(), "{}", show(&out));
    }
    let md = std::fs::read_to_string(dir.path().join("errors.md")).unwrap();
    assert!(
        md.contains("**Status:** 404 Not Found (sent with HTTP 200) · **Category:** NOT\\_FOUND"),
        "{md}"
    );
    assert!(md.contains("HTTP/1.1 200 OK\ncontent-type: application/json\n\n{\n  \"ok\": false,\n  \"error\": \"channel_not_found\"\n}"), "{md}");
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(html.contains(
        "<span class=\"b s4 st\">404 Not Found</span><span class=\"b\">sent with HTTP 200</span>"
    ));
}
