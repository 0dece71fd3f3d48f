//! Typed codes: the `Code` enum of the `errcat::catalog!` macro, from the
//! same catalog file the server uses.

use errcat_client::Parser;
use http::HeaderMap;

mod errors {
    errcat::catalog!("../../examples/catalogs/004-dual.toml");
}

use errors::Code;

#[test]
fn codes_parse_into_the_generated_enum() {
    let parser = Parser::new(&errors::CATALOG);
    let out = errors::RENDERER.render(
        &errors::invalid_credentials(),
        &errcat::RenderOptions::default(),
    );
    let e = parser.parse(out.status, &HeaderMap::new(), &out.body);
    // DUAL's body carries only the numeric code; the catalog names it.
    assert_eq!(e.numeric_code, Some(4011));
    assert_eq!(e.code_as::<Code>(), Some(Code::InvalidCredentials));
}

#[test]
fn a_newer_servers_code_is_kept_not_lost() {
    let parser = Parser::new(&errors::CATALOG);
    let body = br#"{"error":{"code":"BRAND_NEW_CODE","message":"New","details":{}}}"#;
    let e = parser.parse(418, &HeaderMap::new(), body);
    assert_eq!(
        e.code_as::<Code>(),
        Some(Code::Unknown("BRAND_NEW_CODE".into()))
    );
    assert!(!e.retryable);

    // A numeric code this build does not know: no code, the number kept.
    let body = br#"{"error":{"code":9999,"message":"Newer","details":{}}}"#;
    let e = parser.parse(422, &HeaderMap::new(), body);
    assert_eq!((e.code_as::<Code>(), e.numeric_code), (None, Some(9999)));
    assert_eq!(e.message.as_deref(), Some("Newer"));
}
