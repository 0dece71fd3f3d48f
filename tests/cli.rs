//! Black-box tests of the `errcat` binary: output and exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn errcat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn lint_passes_every_seed_catalog() {
    for seed in [
        "000-dxtra",
        "001-error-codes",
        "002-extole",
        "003-saas",
        "004-dual",
    ] {
        let file = format!("examples/catalogs/{seed}.toml");
        let out = errcat(&["lint", "--catalog", &file]);
        assert_eq!(out.status.code(), Some(0), "{seed}: {}", text(&out.stdout));
        assert!(
            text(&out.stdout).starts_with(&format!("{file}: ok (")),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn lint_reports_errors_with_locations_and_exits_1() {
    let out = errcat(&[
        "lint",
        "--catalog",
        "tests/data/bad.toml",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{} {} {}",
                d["line"],
                d["column"],
                d["severity"].as_str().unwrap(),
                d["code"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "6:21 error unknown-variable",
            "10:1 error unknown-key",
            "11:11 error undeclared-param",
            "13:12 error unknown-category",
            "9:8 warning undocumented",
            "12:10 warning unused-param",
        ]
    );
    let human = errcat(&["lint", "--catalog", "tests/data/bad.toml"]);
    assert_eq!(human.status.code(), Some(1));
    let stdout = text(&human.stdout);
    assert!(stdout.contains("tests/data/bad.toml:10:1\n"), "{stdout}");
    assert!(stdout.contains("help: did you mean `status`?"), "{stdout}");
    assert!(
        stdout.ends_with("tests/data/bad.toml: 4 errors, 2 warnings\n"),
        "{stdout}"
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let out = errcat(&["lint", "--catalog", "tests/data/missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "errcat: cannot read tests/data/missing.toml: no such file (create it, or pass --catalog FILE)\n"
    );
    let out = errcat(&[
        "render",
        "NOT_FUND",
        "--catalog",
        "examples/catalogs/003-saas.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "errcat: no error `NOT_FUND` in the catalog; did you mean `NOT_FOUND`?\n"
    );
    let out = errcat(&["render", "RATE_LIMITED", "-p", "retry_after=abc"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "errcat: note: no errors.toml here; using errcat's standard catalog\nerrcat: parameter `retry_after` is an integer; got `abc`\n"
    );
    let out = errcat(&["lint", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn render_prints_the_exact_response() {
    let out = errcat(&[
        "render",
        "TEMPLATE_NOT_FOUND",
        "--catalog",
        "examples/catalogs/004-dual.toml",
        "-p",
        "template_id=tpl \"x\"",
        "--headers",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "HTTP/1.1 404 Not Found\ncontent-type: application/json\n\n{\"error\":{\"code\":4041,\"message\":\"Template tpl \\\"x\\\" not found\",\"details\":{}}}\n"
    );
    let out = errcat(&[
        "render",
        "validation_error",
        "--catalog",
        "examples/catalogs/002-extole.toml",
        "--violation",
        "name=must not be null",
        "--error-id",
        "6941047907334948670",
    ]);
    assert_eq!(
        text(&out.stdout),
        "{\"unique_id\":\"6941047907334948670\",\"http_status_code\":400,\"code\":\"validation_error\",\"message\":\"Validation failed\",\"parameters\":{\"description\":\"must not be null\"}}\n"
    );
}

#[test]
fn render_in_google_envelope_with_retry_headers() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args([
            "render",
            "RATE_LIMITED",
            "-p",
            "retry_after=30",
            "--envelope",
            "google",
            "--error-id",
            "E",
            "--headers",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "errcat: note: no errors.toml here; using errcat's standard catalog\n"
    );
    assert_eq!(
        text(&out.stdout),
        "HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\nretry-after: 30\n\n{\"error\":{\"code\":429,\"message\":\"Too many requests, retry after 30 seconds\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"RATE_LIMITED\",\"domain\":\"API\",\"metadata\":{\"retry_after\":\"30\",\"category\":\"RATE_LIMIT\",\"error_id\":\"E\"}},{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"30s\"},{\"@type\":\"type.googleapis.com/google.rpc.LocalizedMessage\",\"locale\":\"en\",\"message\":\"Too many requests, retry after 30 seconds\"}]}}\n"
    );
}

#[test]
fn explain_prints_a_page() {
    let out = errcat(&[
        "explain",
        "JWT_EXPIRED",
        "--catalog",
        "examples/catalogs/000-dxtra.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected = r#"JWT_EXPIRED: JWT token expired

  status      401 Unauthorized
  category    AUTH — API Authentication Errors: your credentials are missing, invalid, or expired (401), or valid but lacking permission (403)
  message     JWT token has expired
  standard    expired_token

JWT tokens expire after 1 hour for security.

Resolution:
  1. Exchange your API key for a fresh JWT token: `curl -X POST https://auth.dxtra.ai/v1/signin/pat -H "Content-Type: application/json" -d '{"personalAccessToken": "YOUR_API_KEY"}'`.
  2. Use the new accessToken from the response.

See also:
  https://docs.dxtra.ai/errors#JWT_EXPIRED
  Authentication Guide: https://docs.dxtra.ai/authentication

Example response:
  HTTP/1.1 401 Unauthorized
  content-type: application/json
  www-authenticate: Bearer error="invalid_token", error_description="expired"

  {
    "status": "error",
    "message": "JWT token has expired",
    "data": null
  }
"#;
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn explain_lists_standard_roles() {
    let out = errcat(&[
        "explain",
        "--standard",
        "--catalog",
        "examples/catalogs/002-extole.toml",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "\nmissing_token              missing_access_token                  403  AUTH\n"
        ),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 28);
}

#[test]
fn lint_reports_a_changed_meaning_of_a_locked_code() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("errors.toml");
    let entry = |status: u16| {
        format!(
            "[api]\nname = \"t\"\n[[errors]]\ncode = \"GONE_THING\"\nstatus = {status}\nmessage = \"m\"\ndescription = \"d\"\nresolution = \"r\"\n"
        )
    };
    std::fs::write(&catalog, entry(410)).unwrap();
    let c = catalog.to_str().unwrap();
    let out = errcat(&["lock", "--catalog", c]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(errcat(&["lint", "--catalog", c]).status.code(), Some(0));

    std::fs::write(&catalog, entry(404)).unwrap();
    let out = errcat(&["lint", "--catalog", c, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conflict = v
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "lock-conflict")
        .expect("a lock conflict");
    assert_eq!(
        (conflict["line"].as_u64(), conflict["column"].as_u64()),
        (Some(5), Some(10))
    );
}

#[test]
fn render_takes_every_input_from_the_command_line() {
    let out = errcat(&[
        "render",
        "Request_ResourceNotFound",
        "--catalog",
        "examples/envelopes/microsoft-graph.toml",
        "-p",
        "id=a1b2c3",
        "--request-id",
        "b5a1c4e2",
        "-H",
        "Client-Request-Id=7e0f",
        "--time",
        "2024-05-01T10:00:00.000Z",
        "--headers",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "HTTP/1.1 404 Not Found\ncontent-type: application/json\nrequest-id: b5a1c4e2\nclient-request-id: 7e0f\n\n\
         {\"error\":{\"code\":\"Request_ResourceNotFound\",\"message\":\"Resource 'a1b2c3' does not exist or one of its queried reference-property objects are not present.\",\
         \"innerError\":{\"date\":\"2024-05-01T10:00:00\",\"request-id\":\"b5a1c4e2\",\"client-request-id\":\"7e0f\"}}}\n"
    );
}

/// Violations as PATH=MESSAGE or JSON, the request's method and path, in
/// an envelope sent with 200.
#[test]
fn render_takes_violations_and_the_request_from_the_command_line() {
    let out = errcat(&[
        "render",
        "invalid_arguments",
        "--catalog",
        "examples/envelopes/slack-web.toml",
        "--violation",
        "channel=missing required field",
        "--violation",
        r#"{"path": "text", "message": "missing required field", "reason": "missing"}"#,
        "--method",
        "POST",
        "--path",
        "/api/chat.postMessage",
        "--headers",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "HTTP/1.1 200 OK\ncontent-type: application/json\n\n\
         {\"ok\":false,\"error\":\"invalid_arguments\",\"response_metadata\":{\"messages\":[\"[ERROR] missing required field: channel\",\"[ERROR] missing required field: text\"]}}\n"
    );
}

#[test]
fn render_refuses_a_violation_without_a_message() {
    let out = errcat(&[
        "render",
        "invalid_arguments",
        "--catalog",
        "examples/envelopes/slack-web.toml",
        "--violation",
        r#"{"path": "text"}"#,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("write PATH=MESSAGE or {"),
        "{}",
        text(&out.stderr)
    );
}

/// Whether `errcat lint` on a bad catalog writes an ESC byte, with these
/// flags and environment.
fn lint_colors(flags: &[&str], env: &[(&str, &str)]) -> bool {
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(flags)
        .args(["lint", "--catalog", "tests/data/bad.toml"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "", "nothing logged at the default level");
    out.stdout.contains(&0x1b)
}

#[test]
fn lint_colors_as_no_color_and_the_color_flag_say() {
    let force = ("CLICOLOR_FORCE", "1");
    let no_color = ("NO_COLOR", "1");
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&[&str], Env); 6] = [
        (&[], &[]),
        (&[], &[force]),
        (&[], &[force, no_color]),
        (&["--color", "always"], &[no_color]),
        (&["--color", "never"], &[force]),
        (&["--color", "auto"], &[no_color]),
    ];
    let colored: Vec<bool> = cases.iter().map(|(f, e)| lint_colors(f, e)).collect();
    assert_eq!(colored, [false, true, false, true, false, false]);
}

/// On a terminal (a pseudo-terminal from `script`), `auto` colors unless
/// `NO_COLOR` is set.
#[test]
fn lint_on_a_terminal_honors_no_color() {
    let on_terminal = |no_color: bool| {
        let cmd = format!(
            "{} lint --catalog tests/data/bad.toml",
            env!("CARGO_BIN_EXE_errcat")
        );
        let mut script = Command::new("script");
        script
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        if no_color {
            script.env("NO_COLOR", "1");
        }
        let out = script.output().expect("`script` (util-linux) runs");
        assert!(text(&out.stdout).contains("error"), "{}", text(&out.stdout));
        out.stdout.contains(&0x1b)
    };
    assert_eq!([on_terminal(false), on_terminal(true)], [true, false]);
}

#[test]
fn an_invalid_rust_log_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(["lint", "--catalog", "tests/data/bad.toml"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("RUST_LOG", "errcat=loud")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("errcat: RUST_LOG: error parsing level filter"),
        "{}",
        text(&out.stderr)
    );
}
