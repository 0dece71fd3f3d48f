//! `errcat docs`, `errcat diff` and `errcat lock`, black-box; and the
//! generated site driven in headless Chromium (tests/browser/site.mjs).

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

const SEEDS: [&str; 5] = [
    "000-dxtra",
    "001-error-codes",
    "002-extole",
    "003-saas",
    "004-dual",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn errcat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

fn docs(catalog: &str, out: &Path, format: &str) -> Output {
    errcat(&[
        "docs",
        "--catalog",
        catalog,
        "--out",
        out.to_str().unwrap(),
        "--format",
        format,
    ])
}

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

const V1: &str = r#"
[api]
name = "Shop"
version = "1.0"

[[errors]]
code = "ORDER_NOT_FOUND"
status = 404
message = "Order {order_id} not found"
params = { order_id = "string" }

[[errors]]
code = "CART_EMPTY"
status = 422
category = "CONFLICT"
message = "The cart is empty"

[[errors]]
code = "OLD_LIMIT"
status = 429
message = "Slow down"
"#;

#[test]
fn diff_classifies_and_exits_1_on_breaking_changes() {
    let dir = tmp();
    let old = write(dir.path(), "v1.toml", V1);
    let v2 = V1
        .replace("version = \"1.0\"", "version = \"2.0\"")
        .replace("status = 422", "status = 409")
        .replace(
            "[[errors]]\ncode = \"OLD_LIMIT\"\nstatus = 429\nmessage = \"Slow down\"\n",
            "",
        )
        .replace("Order {order_id} not found", "No order {order_id}")
        + "\n[[errors]]\ncode = \"COUPON_EXPIRED\"\nstatus = 410\nmessage = \"Coupon expired\"\n";
    let new = write(dir.path(), "v2.toml", &v2);

    let out = errcat(&["diff", &old, &new]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let s = text(&out.stdout);
    assert!(s.contains("BREAKING    removed   OLD_LIMIT"), "{s}");
    assert!(s.contains("status 422 → 409"), "{s}");
    assert!(s.contains("compatible  added     COUPON_EXPIRED"), "{s}");
    assert!(s.contains("message reworded"), "{s}");

    let out = errcat(&["diff", &old, &new, "--allow-breaking", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["breaking"], true);
    assert_eq!(j["counts"]["breaking"], 2);

    let out = errcat(&[
        "diff",
        &old,
        &new,
        "--format",
        "markdown",
        "--allow-breaking",
    ]);
    let md = text(&out.stdout);
    assert!(md.starts_with("## Shop errors: 1.0 → 2.0\n"), "{md}");
    assert!(
        md.contains("### Breaking changes")
            && md.contains("### Added")
            && md.contains("### Changed"),
        "{md}"
    );

    // Wording only: compatible, exit 0.
    let docs_only = write(
        dir.path(),
        "v1b.toml",
        &V1.replace("Slow down", "Please slow down"),
    );
    let out = errcat(&["diff", &old, &docs_only]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("0 breaking, 1 compatible"),
        "{}",
        show(&out)
    );
}

#[test]
fn diff_refuses_bad_input_with_exit_2() {
    let dir = tmp();
    let old = write(dir.path(), "v1.toml", V1);
    let broken = write(dir.path(), "broken.toml", "[api\nname = ");
    let out = errcat(&["diff", &old, &broken]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(text(&out.stderr).contains("broken.toml"), "{}", show(&out));

    let other = write(
        dir.path(),
        "other.toml",
        &V1.replace("version = \"1.0\"", "envelope = \"google\""),
    );
    let out = errcat(&["diff", &old, &other]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("different envelopes"),
        "{}",
        show(&out)
    );

    let out = errcat(&["diff", &old, "/nonexistent/errors.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn diff_flags_an_envelope_shape_change_as_breaking() {
    let dir = tmp();
    let env = "envelope = \"e\"\n[envelopes.e]\nbody = '{\"code\": \"$code\", \"message\": \"$message\"}'\n";
    let a = write(
        dir.path(),
        "a.toml",
        &V1.replace("version = \"1.0\"\n", env),
    );
    let b = write(
        dir.path(),
        "b.toml",
        &V1.replace(
            "version = \"1.0\"\n",
            &env.replace("\"message\"", "\"detail\""),
        ),
    );
    let out = errcat(&["diff", &a, &b]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("envelope `e` body changed shape"),
        "{}",
        show(&out)
    );
}

#[test]
fn lock_is_append_only_and_diff_reports_reused_codes() {
    let dir = tmp();
    let catalog = write(dir.path(), "errors.toml", V1);
    let out = errcat(&["lock", "--catalog", &catalog]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let lock_path = dir.path().join("errors.lock");
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    assert!(
        lock.contains("\nOLD_LIMIT status=429 category=RATE_LIMIT\n"),
        "{lock}"
    );
    let out = errcat(&["lock", "--catalog", &catalog, "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    // Retire OLD_LIMIT.
    let v2 = V1.replace(
        "[[errors]]\ncode = \"OLD_LIMIT\"\nstatus = 429\nmessage = \"Slow down\"\n",
        "",
    );
    std::fs::write(&catalog, &v2).unwrap();
    let out = errcat(&["lock", "--catalog", &catalog, "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let out = errcat(&["lock", "--catalog", &catalog]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    assert!(
        lock.contains("\nOLD_LIMIT status=429 category=RATE_LIMIT retired\n"),
        "{lock}"
    );
    let published = write(dir.path(), "published.toml", &v2);

    // Reuse it for a different meaning: lock refuses, diff says so.
    let v3 = format!("{v2}\n[[errors]]\ncode = \"OLD_LIMIT\"\nstatus = 409\nmessage = \"Taken\"\n");
    std::fs::write(&catalog, &v3).unwrap();
    let out = errcat(&["lock", "--catalog", &catalog]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(text(&out.stdout).contains("retired code"), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(&lock_path).unwrap(),
        lock,
        "lock rewritten"
    );
    let out = errcat(&["diff", &published, &catalog]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("`OLD_LIMIT` is a retired code"),
        "{}",
        show(&out)
    );

    // A lock that does not parse: exit 2.
    std::fs::write(&lock_path, "OLD_LIMIT status=nope category=X\n").unwrap();
    let out = errcat(&["lock", "--catalog", &catalog]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
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
        match h {
            "Error Format" => {
                // The envelope example, then the field table.
                for part in [
                    "\"statusCode\": 400,",
                    "\"path\": \"events.0.type\",",
                    "<th>Field</th><th>Type</th><th>Description</th>",
                    "<td><code>details</code></td><td>any</td>",
                ] {
                    at = find_after(&html, part, at, "format section");
                }
            }
            "Error Categories" => {
                let table = &seed[seed.find("CategoryDescription").unwrap()..];
                for c in &catalog.categories {
                    assert!(
                        table.contains(&c.name)
                            || !html.contains(&format!("id=\"cat-{}\"", c.name))
                    );
                }
                for line in table.lines().skip(1).take_while(|l| !l.is_empty()) {
                    let name: String = line
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    // The name runs into its description (`AUTHAuthentication`).
                    let name = &name[..name.len() - 1];
                    let desc = &line[name.len()..];
                    at = find_after(
                        &html,
                        &format!("<code>{name}</code></a></td><td>{desc}</td>"),
                        at,
                        "categories table",
                    );
                }
            }
            "Common Error Codes" => at = status_groups(&seed, &html, &catalog, at),
            _ => {
                for item in [
                    "401 on SDK routes:",
                    "400 with validation details:",
                    "429 rate limited:",
                    "500 errors:",
                ] {
                    assert!(seed.contains(&format!("\n{item} ")), "{item}");
                    at = find_after(
                        &html,
                        &format!("<strong>{item}</strong>"),
                        at,
                        "troubleshooting",
                    );
                }
            }
        }
    }
    // Each error in full follows.
    find_after(
        &html,
        "<article class=\"err\" id=\"VALIDATION_ERROR\"",
        at,
        "cards",
    );
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
