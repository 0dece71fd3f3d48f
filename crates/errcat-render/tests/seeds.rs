//! Golden tests: every example body printed in the five seed documents,
//! rendered from the seed's catalog in `examples/catalogs/`, byte for byte.

use errcat_catalog::{Catalog, FieldViolation};
use errcat_render::{Error, RenderOptions, Renderer};

fn catalog(file: &str) -> Catalog {
    let path = format!(
        "{}/../../examples/catalogs/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let analysis = Catalog::analyze_path(&path).unwrap();
    assert!(
        analysis.report.diagnostics.is_empty(),
        "{file} should lint clean:\n{}",
        analysis.report
    );
    analysis.catalog.unwrap()
}

/// The seed's JSON, compacted with its key order kept.
fn compact(seed_json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(seed_json).unwrap();
    serde_json::to_string(&v).unwrap()
}

fn render(r: &Renderer, err: &Error, error_id: Option<&str>) -> (u16, String, String) {
    let out = r.render(
        err,
        &RenderOptions {
            error_id,
            ..RenderOptions::default()
        },
    );
    (
        out.status,
        out.content_type.to_string(),
        String::from_utf8(out.body).unwrap(),
    )
}

#[test]
fn dxtra_000() {
    let r = Renderer::new(catalog("000-dxtra.toml"));
    let cases = [
        (
            "NO_AUTHORIZATION_HEADER",
            401,
            "No authorization header provided",
        ),
        ("JWT_EXPIRED", 401, "JWT token has expired"),
        (
            "INVALID_PERSONAL_ACCESS_TOKEN",
            401,
            "Invalid personal access token",
        ),
        (
            "INSUFFICIENT_ROLE",
            403,
            "User does not have required role permissions",
        ),
        (
            "DATA_CONTROLLER_ACCESS_DENIED",
            403,
            "Access denied to data controller resources",
        ),
    ];
    for (code, status, message) in cases {
        let expected = compact(&format!(
            r#"{{
  "status": "error",
  "message": "{message}",
  "data": null
}}"#
        ));
        assert_eq!(
            render(&r, &Error::new(code), None),
            (status, "application/json".to_owned(), expected),
            "{code}"
        );
    }
    // The standard roles resolve to Dxtra's codes.
    assert_eq!(
        r.standard("missing_token").code(),
        "NO_AUTHORIZATION_HEADER"
    );
    assert_eq!(r.standard("expired_token").code(), "JWT_EXPIRED");
    // Browser-side errors are documented but have no status.
    assert_eq!(
        r.catalog()
            .get("CONSENT_WIDGET_LOAD_FAILED")
            .unwrap()
            .status,
        None
    );
}

#[test]
fn extole_002() {
    let r = Renderer::new(catalog("002-extole.toml"));
    let validation = Error::new("validation_error")
        .with_violations([FieldViolation::new("name", "must not be null")]);
    let cases = [
        (
            validation,
            r#"{
  "unique_id": "6941047907334948670",
  "http_status_code": 400,
  "code": "validation_error",
  "message": "Validation failed",
  "parameters": {
    "description": "must not be null"
  }
}"#,
        ),
        (
            Error::new("missing_access_token"),
            r#"{
  "unique_id": "6941049359794271324",
  "http_status_code": 403,
  "code": "missing_access_token",
  "message": "No access_token was provided with this request.",
  "parameters": {}
}"#,
        ),
        (
            Error::new("invalid_json"),
            r#"{
  "unique_id": "6928128588868954308",
  "http_status_code": 400,
  "code": "invalid_json",
  "message": "JSON is invalid",
  "parameters": {}
}"#,
        ),
    ];
    for (err, seed) in cases {
        let v: serde_json::Value = serde_json::from_str(seed).unwrap();
        let id = v["unique_id"].as_str().unwrap();
        let status = v["http_status_code"].as_u64().unwrap() as u16;
        assert_eq!(
            render(&r, &err, Some(id)),
            (status, "application/json".to_owned(), compact(seed))
        );
    }
    // A generated unique_id is a 63-bit decimal, like Extole's.
    let body = render(&r, &Error::new("invalid_json"), None).2;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["unique_id"].as_str().unwrap().parse::<i64>().unwrap() > 0);
    // A missing token is a 403, as Extole answers it.
    assert_eq!(r.standard("missing_token").code(), "missing_access_token");
}

#[test]
fn saas_003() {
    let r = Renderer::new(catalog("003-saas.toml"));
    let err = Error::new("VALIDATION_ERROR")
        .with_violations([FieldViolation::new("events.0.type", "Invalid enum value")]);
    let seed = r#"{
"error": {
"message": "Invalid request body",
"statusCode": 400,
"code": "VALIDATION_ERROR",
"category": "VALIDATION",
"details": [{ "path": "events.0.type", "message": "Invalid enum value" }]
}
}"#;
    assert_eq!(
        render(&r, &err, None),
        (400, "application/json".to_owned(), compact(seed))
    );
    assert_eq!(r.catalog().categories.len(), 7);
    assert_eq!(r.standard("missing_api_key").code(), "AUTH_FAILED");
    assert_eq!(r.standard("expired_token").code(), "AUTH_INVALID_TOKEN");
}

#[test]
fn dual_004() {
    let r = Renderer::new(catalog("004-dual.toml"));
    let err = Error::new("INVALID_TEMPLATE_SCHEMA").with_violations([FieldViolation::new(
        "private.price",
        "Field type must be number, got string",
    )]);
    let seed = r#"{
  "error": {
    "code": 4001,
    "message": "Invalid template schema",
    "details": {
      "field": "private.price",
      "reason": "Field type must be number, got string"
    }
  }
}"#;
    assert_eq!(
        render(&r, &err, None),
        (400, "application/json".to_owned(), compact(seed))
    );
    let nf = Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", "tpl_9");
    assert_eq!(
        render(&r, &nf, None).2,
        r#"{"error":{"code":4041,"message":"Template tpl_9 not found","details":{}}}"#
    );
}

#[test]
fn generic_001_in_problem_json() {
    let r = Renderer::new(catalog("001-error-codes.toml"));
    let out = r.render(
        &Error::new("NOTFOUND-404"),
        &RenderOptions {
            error_id: Some("e1"),
            request_id: Some("r1"),
            instance: Some("/v1/things/7"),
            ..RenderOptions::default()
        },
    );
    assert_eq!(&*out.content_type, "application/problem+json");
    assert_eq!(
        String::from_utf8(out.body).unwrap(),
        r#"{"type":"https://docs.example.com/error-codes#NOTFOUND-404","title":"Resource Not Found","status":404,"detail":"Resource Not Found","instance":"/v1/things/7","code":"NOTFOUND-404","category":"NOT_FOUND","error_id":"e1","request_id":"r1"}"#
    );
}
