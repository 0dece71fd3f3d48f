//! Loader and lint tests: each compares the whole list of findings.

use crate::{Catalog, Origin, Severity, Visibility};

/// `line:col severity[code] message` for every diagnostic.
fn findings(text: &str) -> Vec<String> {
    let report = Catalog::lint_str(text, "errors.toml");
    report
        .diagnostics
        .iter()
        .map(|d| {
            let at = d.span.as_ref().map_or_else(
                || "-".to_owned(),
                |s| {
                    let (l, c) = report.source.line_col(s.start);
                    format!("{l}:{c}")
                },
            );
            format!("{at} {}[{}] {}", d.severity.as_str(), d.code, d.message)
        })
        .collect()
}

const HEAD: &str = "[api]\nname = \"t\"\n";

fn documented(extra: &str) -> String {
    format!(
        "{HEAD}[[errors]]\ncode = \"A_B\"\nstatus = 404\nmessage = \"m\"\ndescription = \"d\"\nresolution = \"r\"\n{extra}"
    )
}

#[test]
fn standard_catalog_is_clean() {
    assert_eq!(findings(HEAD), Vec::<String>::new());
    let c = Catalog::from_str(HEAD, "errors.toml").unwrap();
    let roles: Vec<String> = crate::standard_roles().collect();
    assert_eq!(roles.len(), 27);
    for role in roles {
        let e = c.standard(&role).unwrap();
        assert_eq!(e.origin, Origin::Standard);
        assert!(e.status.is_some(), "{role}");
    }
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    let text =
        format!("{HEAD}[[errors]]\ncode = \"X_Y\"\nstauts = 404\nmessage = \"m\"\nfoo = 1\n");
    let report = Catalog::lint_str(&text, "errors.toml");
    let unknown: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "unknown-key")
        .collect();
    assert_eq!(unknown.len(), 2);
    assert_eq!(unknown[0].message, "unknown key `stauts` in an error entry");
    assert_eq!(unknown[0].help.as_deref(), Some("did you mean `status`?"));
    assert_eq!(
        report
            .source
            .line_col(unknown[0].span.clone().unwrap().start),
        (5, 1)
    );
    assert!(
        unknown[1]
            .help
            .as_deref()
            .unwrap()
            .starts_with("the keys of an error entry are: `code`")
    );
    assert!(report.has_errors());
}

#[test]
fn invalid_status_and_mismatch() {
    let text = format!(
        "{HEAD}[[errors]]\ncode = \"A\"\nstatus = 200\nmessage = \"m\"\n\n[[errors]]\ncode = \"B\"\nstatus = 503\ncategory = \"VALIDATION\"\nmessage = \"m\"\ndescription = \"d\"\nresolution = \"r\"\n"
    );
    assert_eq!(
        findings(&text),
        [
            "5:10 error[invalid-status] status 200 is not an error status",
            "4:8 warning[undocumented] public error `A` has no description or resolution",
            "10:10 warning[status-category-mismatch] `B` has status 503, but category VALIDATION expects 4xx",
        ]
    );
}

#[test]
fn duplicates_and_unknown_category() {
    let text = documented(
        "numeric_code = 7\ncategory = \"NOTFOUND\"\n\n[[errors]]\ncode = \"A_B\"\nnumeric_code = 7\nstatus = 404\nmessage = \"m\"\ndescription = \"d\"\nresolution = \"r\"\n",
    );
    assert_eq!(
        findings(&text),
        [
            "10:12 error[unknown-category] unknown category `NOTFOUND`",
            "13:8 error[duplicate-code] duplicate code `A_B`",
            "14:16 error[duplicate-numeric-code] numeric code 7 is used by `A_B` and `A_B`",
        ]
    );
    let report = Catalog::lint_str(&text, "errors.toml");
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some("did you mean `NOT_FOUND`?")
    );
    assert_eq!(
        report.diagnostics[1].help.as_deref(),
        Some("first defined at errors.toml:4:8")
    );
}

#[test]
fn placeholders_must_be_declared_and_used() {
    let text = documented("message = \"Template {templat_id} not found\"\nparams = { template_id = \"string\", extra = \"integer\" }\n")
        .replace("message = \"m\"\n", "");
    let f = findings(&text);
    assert_eq!(
        f,
        [
            "8:11 error[undeclared-param] the message of `A_B` uses `{templat_id}`, which is not a declared parameter",
            "9:10 warning[unused-param] parameter `template_id` of `A_B` is never used",
            "9:10 warning[unused-param] parameter `extra` of `A_B` is never used",
        ]
    );
    let report = Catalog::lint_str(&text, "errors.toml");
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some("did you mean `{template_id}`?")
    );
}

#[test]
fn docs_style_retry_and_replacement() {
    let text = format!(
        "{HEAD}[[errors]]\ncode = \"auth_failed\"\nstatus = 401\nmessage = \"m\"\n\n[[errors]]\ncode = \"SLOW_DOWN\"\nstatus = 429\nmessage = \"m\"\ndescription = \"d\"\nresolution = \"r\"\nreplaced_by = \"auth_faled\"\n\n[[errors]]\ncode = \"other_one\"\nstatus = 400\nmessage = \"m\"\ndescription = \"d\"\nresolution = \"r\"\n"
    );
    assert_eq!(
        findings(&text),
        [
            "14:15 error[unknown-replacement] `SLOW_DOWN` is replaced by `auth_faled`, which is not in the catalog",
            "4:8 warning[undocumented] public error `auth_failed` has no description or resolution",
            "9:8 warning[code-style] code `SLOW_DOWN` is upper case with `_`, but most codes are lower case with `_`",
            "10:10 warning[missing-retry-advice] `SLOW_DOWN` is a 429 without retry advice",
        ]
    );
}

#[test]
fn templates_are_checked() {
    let text = format!(
        "{HEAD}envelope = \"mine\"\n[envelopes.mine]\nbody = '{{\"error\": \"$mesage\"}}'\n[envelopes.broken]\nbody = '{{\"error\": '\n"
    );
    let f = findings(&text);
    assert_eq!(
        f,
        [
            "5:21 error[unknown-variable] unknown template variable `$mesage` (in the `body` template)",
            "7:8 error[invalid-template] the `body` template is not valid JSON: EOF while parsing a value at line 1 column 10",
        ]
    );
    let report = Catalog::lint_str(&text, "errors.toml");
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some("did you mean `$message`? (write `$$` for a literal `$`)")
    );
}

#[test]
fn syntax_errors_have_a_location() {
    for (text, name, at) in [
        ("[api\nname = 1", "errors.toml", (1, 5)),
        ("{\"api\": {\"name\": \"x\",}}", "errors.json", (1, 22)),
    ] {
        let report = Catalog::lint_str(text, name);
        assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
        let d = &report.diagnostics[0];
        assert_eq!((d.code, d.severity), ("syntax", Severity::Error));
        assert_eq!(
            report.source.line_col(d.span.clone().unwrap().start),
            at,
            "{}",
            d.message
        );
    }
}

#[test]
fn non_utf8_is_a_diagnostic() {
    let a = Catalog::analyze_bytes(b"[api]\nname = \"\xff\"\n", "errors.toml");
    assert!(a.catalog.is_none());
    assert_eq!(
        a.report.diagnostics[0].message,
        "the catalog is not valid UTF-8 (byte 14)"
    );
    assert_eq!(a.report.source.line_col(14), (2, 9));
}

#[test]
fn overrides_inherit_from_standard() {
    let text = r#"
[api]
name = "Extole"
[[errors]]
code = "missing_access_token"
standard = "missing_token"
status = 403
message = "No access_token was provided with this request."
[[errors]]
code = "invalid_json"
message = "JSON is invalid"
"#;
    let c = Catalog::from_str(text, "errors.toml").unwrap();
    let m = c.standard("missing_token").unwrap();
    assert_eq!(
        (m.code.as_str(), m.status, m.category.as_str()),
        ("missing_access_token", Some(403), "AUTH")
    );
    assert_eq!(m.headers.len(), 1, "inherits WWW-Authenticate");
    let j = c.standard("invalid_json").unwrap();
    assert_eq!(
        (j.code.as_str(), j.status, j.message.raw.as_str()),
        ("invalid_json", Some(400), "JSON is invalid")
    );
    // Unclaimed standard errors take the catalog's code style.
    assert_eq!(c.standard("not_found").unwrap().code, "not_found");
    assert_eq!(
        c.standard("rate_limited").unwrap().visibility,
        Visibility::Public
    );
}

#[test]
fn unknown_standard_role() {
    let text = documented("standard = \"not_fund\"\n");
    let report = Catalog::lint_str(&text, "errors.toml");
    assert_eq!(
        report.diagnostics[0].message,
        "`not_fund` is not a standard error"
    );
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some("did you mean `not_found`?")
    );
}

#[test]
fn retain_is_sampled_unless_always() {
    let plain = Catalog::from_str(&documented(""), "errors.toml").unwrap();
    assert_eq!(plain.errors[0].retain, crate::Retain::Sampled);
    let always = Catalog::from_str(&documented("retain = \"always\"\n"), "errors.toml").unwrap();
    assert_eq!(always.errors[0].retain, crate::Retain::Always);
    let text = documented("retain = \"allways\"\n");
    let report = Catalog::lint_str(&text, "errors.toml");
    let d = &report.diagnostics[0];
    let (line, col) = report.source.line_col(d.span.clone().unwrap().start);
    assert_eq!(
        (line, col, d.code, d.help.as_deref()),
        (
            9,
            10,
            "unknown-value",
            Some("did you mean `always`? (one of `sampled`, `always`)")
        ),
        "{}",
        d.message
    );
}

#[test]
fn json_catalogs_are_equivalent() {
    let toml = documented("params = { x = \"integer\" }\nmessage = \"n {x}\"\n")
        .replace("message = \"m\"\n", "");
    let json = r#"{"api": {"name": "t"}, "errors": [{"code": "A_B", "status": 404, "description": "d", "resolution": "r", "params": {"x": "integer"}, "message": "n {x}"}]}"#;
    let a = Catalog::from_str(&toml, "errors.toml").unwrap();
    let b = Catalog::from_str(json, "errors.json").unwrap();
    let strip = |c: &Catalog| {
        let mut e = c.errors[0].clone();
        e.spans = Default::default();
        e
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn wrong_types_are_reported_not_fatal() {
    let text = format!(
        "{HEAD}[[errors]]\ncode = 5\nstatus = \"404\"\nretryable = \"yes\"\nmessage = \"m\"\n"
    );
    let f = findings(&text);
    assert_eq!(
        f,
        [
            "4:8 error[invalid-type] `code` must be a string, found an integer",
            "5:10 error[invalid-type] `status` must be an integer, found a string",
            "6:13 error[invalid-type] `retryable` must be a boolean, found a string",
        ]
    );
}

mod props {
    use proptest::prelude::*;

    use crate::Catalog;

    proptest! {
        /// Any text gives a report, never a panic; a catalog only without errors.
        #[test]
        fn any_text_is_handled(text in ".{0,300}") {
            let a = Catalog::analyze(crate::Source::new("errors.toml", text.as_str()));
            prop_assert_eq!(a.catalog.is_some(), !a.report.has_errors());
        }

        #[test]
        fn any_bytes_are_handled(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let a = Catalog::analyze_bytes(&bytes, "errors.json");
            prop_assert_eq!(a.catalog.is_some(), !a.report.has_errors());
        }
    }
}

#[test]
fn inherited_fields_point_at_the_overriding_entry() {
    // The standard `invalid_json` declares `{reason}`; this override drops it from the message.
    let text = format!(
        "{HEAD}[[errors]]\ncode = \"invalid_json\"\nmessage = \"JSON is invalid\"\ndescription = \"d\"\nresolution = \"r\"\n"
    );
    assert_eq!(
        findings(&text),
        ["4:8 warning[unused-param] parameter `reason` of `invalid_json` is never used"]
    );
}

#[test]
fn a_code_taken_from_another_standard_error_is_located() {
    let text = documented("").replace(
        "code = \"A_B\"",
        "code = \"NOT_FOUND\"\nstandard = \"forbidden\"",
    );
    let report = Catalog::lint_str(&text, "errors.toml");
    assert_eq!(
        findings(&text),
        [
            "4:8 error[duplicate-code] code `NOT_FOUND` is also the code of the standard error `not_found`",
            "6:10 warning[status-category-mismatch] `NOT_FOUND` has status 404, but category AUTH expects 401, 403, 407",
        ]
    );
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some(
            "rename this code, or make this entry the `not_found` error with `standard = \"not_found\"`"
        )
    );
}

#[test]
fn json_templates_may_hold_null() {
    let json = r#"{"api": {"name": "Dxtra", "envelope": "dxtra"},
        "envelopes": {"dxtra": {"body": {"status": "error", "message": "$message", "data": null}}}}"#;
    let c = Catalog::from_str(json, "errors.json").unwrap();
    assert_eq!(
        c.envelope("dxtra").unwrap().body,
        serde_json::json!({"status": "error", "message": "$message", "data": null})
    );
    let report = Catalog::lint_str(r#"{"api": {"name": null}}"#, "errors.json");
    assert_eq!(
        report.diagnostics[0].message,
        "`api.name` must be a string, found null"
    );
}

#[test]
fn lone_surrogates_in_json_are_a_diagnostic() {
    let report = Catalog::lint_str(r#"{"api": {"name": "\ud800"}}"#, "errors.json");
    assert_eq!(report.diagnostics.len(), 1);
    let d = &report.diagnostics[0];
    assert_eq!(
        (
            d.code,
            report.source.line_col(d.span.clone().unwrap().start)
        ),
        ("syntax", (1, 18))
    );
    assert_eq!(
        d.message,
        "invalid JSON: invalid string: unexpected end of hex escape"
    );
}

#[test]
fn oversized_files_are_refused_before_reading() {
    let dir = std::env::temp_dir().join(format!("errcat-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("errors.toml");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(50 * 1024 * 1024).unwrap();
    let a = Catalog::analyze_path(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(a.catalog.is_none());
    assert_eq!(a.report.diagnostics[0].code, "too-large");
    assert_eq!(
        a.report.diagnostics[0].message,
        "the catalog is 52428800 bytes; errcat reads catalogs up to 33554432 bytes"
    );
}

#[test]
fn loading_skips_only_warnings() {
    let warnings_only = format!(
        "{HEAD}[[errors]]\ncode = \"auth_failed\"\nstatus = 401\nmessage = \"m\"\n\n[[errors]]\ncode = \"SLOW_DOWN\"\nstatus = 429\nmessage = \"m\"\nparams = {{ x = \"string\" }}\nexample = {{ params = {{ y = 1 }} }}\n\n[[guides]]\ntitle = \"G\"\ncategory = \"NOPE\"\n"
    );
    let with_errors = format!(
        "{warnings_only}\n[[errors]]\ncode = \"auth_failed\"\nstatus = 400\nmessage = \"{{undeclared}}\"\n"
    );
    let dir = std::env::temp_dir().join(format!("errcat-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (text, errors) in [
        (warnings_only.as_str(), false),
        (with_errors.as_str(), true),
        ("[api\nname = 1", true),
    ] {
        let analysis = Catalog::analyze(crate::Source::new("errors.toml", text));
        let (e, w) = analysis.report.counts();
        assert_eq!(e > 0, errors, "{text}");
        assert!(w > 0 || text.starts_with("[api\n"), "{text}");
        let path = dir.join("errors.toml");
        std::fs::write(&path, text).unwrap();
        let from_path = Catalog::from_path(&path);
        match Catalog::from_str(text, "errors.toml") {
            Ok(c) => {
                let full = analysis.catalog.unwrap();
                assert_eq!(c.errors, full.errors);
                assert_eq!(c.categories, full.categories);
                assert_eq!(c.guides, full.guides);
                assert_eq!(c.api, full.api);
                assert_eq!(from_path.unwrap().errors, full.errors);
            }
            Err(report) => {
                assert!(errors);
                // The whole report, warnings included, as `lint_str` gives it.
                assert_eq!(report.diagnostics, analysis.report.diagnostics);
                match from_path {
                    Err(crate::LoadError::Invalid(r)) => {
                        let full = Catalog::analyze_path(&path).unwrap().report;
                        assert_eq!(r.diagnostics, full.diagnostics);
                        assert_eq!(r.diagnostics.len(), analysis.report.diagnostics.len());
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn template_mistakes_point_into_the_template() {
    let text = format!(
        r#"{HEAD}envelope = "e"
doc_url = "https://docs.test/${{message}}"

[envelopes.e]
status = 200
body = '''
{{"a": "[x] ${{mesage}}",
 "b": "x ${{code",
 "c": "see ${{details}}",
 "d": {{"$each": "violations", "key": "$status", "group": true, "do": "$message"}},
 "e": "${{code}}${{title}}",
 "f": "$code|kebap"}}
'''
headers = {{ "bad header" = "x", "X-Code" = "${{code}}" }}
codes_by_status = {{ 404 = "NOT_FOUND", 499 = "NOPE" }}
"#
    );
    let f = findings(&text);
    assert_eq!(
        f,
        [
            "4:32 error[unknown-variable] `$message` cannot be used in `api.doc_url`",
            "9:14 error[unknown-variable] unknown template variable `$mesage` (in the `body` template)",
            "10:10 error[invalid-template] `${` without its closing `}` (in the `body` template)",
            "11:14 error[invalid-template] `${details}` is an object or a list: it cannot be part of a string (in the `body` template)",
            "12:39 error[invalid-template] `$status` is not text: a key, a header or a URL must be a string (in the `body` template)",
            "14:14 error[invalid-template] unknown filter `kebap` (in the `body` template)",
            "16:13 error[invalid-header] `bad header` is not a valid header name",
            "17:46 error[unknown-code] `codes_by_status` names `NOPE`, which is not in the catalog",
            "13:17 warning[ambiguous-template] `${code}` and `${title}` touch: a client reading the text back cannot tell where one ends (in the `body` template)",
        ]
    );
}
