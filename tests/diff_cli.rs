//! `errcat diff` and `errcat lock`, black-box.

mod common;

use common::cli::{errcat, show, text, tmp, write};

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
