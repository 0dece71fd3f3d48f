use super::*;

#[test]
fn picked_headers_come_in_the_selection_order_with_every_value() {
    use http::header;
    let selection = HeaderSelection::of(&Capture::default());
    let expected = |picked: Vec<(usize, HeaderValue)>| {
        picked
            .into_iter()
            .map(|(i, v)| (selection.0[i].0.as_str().to_owned(), v))
            .collect::<Vec<_>>()
    };
    let v = HeaderValue::from_static;
    // Few names (walked once) and more names than the selection holds
    // (looked up name by name) give the same answer.
    let mut few = HeaderMap::new();
    few.append("x-unselected", v("1"));
    few.append(header::USER_AGENT, v("ua"));
    few.append(header::ACCEPT, v("a/1"));
    few.append("x-forwarded-for", v("1.1.1.1"));
    few.append(header::ACCEPT, v("a/2"));
    few.append(header::CONTENT_TYPE, v("application/json"));
    let want = vec![
        ("content-type".to_owned(), v("application/json")),
        ("accept".to_owned(), v("a/1")),
        ("accept".to_owned(), v("a/2")),
        ("user-agent".to_owned(), v("ua")),
        ("x-forwarded-for".to_owned(), v("1.1.1.1")),
    ];
    assert!(few.keys_len() < selection.0.len());
    assert_eq!(expected(selection.pick(&few)), want);
    let mut many = few.clone();
    for i in 0..selection.0.len() {
        many.append(
            HeaderName::from_bytes(format!("x-other-{i}").as_bytes()).unwrap(),
            v("o"),
        );
    }
    assert!(many.keys_len() >= selection.0.len());
    assert_eq!(expected(selection.pick(&many)), want);
    assert!(selection.pick(&HeaderMap::new()).is_empty());
}

#[test]
fn cut_off_json_is_redacted_by_key() {
    let c = Capture::default();
    let text = r#"{"user": "ann", "api_key": "sk_live_123", "nested": {"refresh_token": {"a": [1, "x"]}, "ok": 1}, "password": "hunt"#;
    assert_eq!(
        c.redact_body(text.as_bytes(), Some("application/json"))
            .unwrap(),
        r#"{"user": "ann", "api_key":"[REDACTED]", "nested": {"refresh_token":"[REDACTED]", "ok": 1}, "password":"[REDACTED]""#
    );
}

#[test]
fn forms_and_other_bodies() {
    let c = Capture::default();
    assert_eq!(
        c.redact_body(
            b"user=ann&password=hunter2",
            Some("application/x-www-form-urlencoded")
        )
        .unwrap(),
        "user=ann&password=[REDACTED]"
    );
    assert_eq!(
        c.redact_body(b"my password is hunter2", Some("text/plain"))
            .unwrap(),
        "[REDACTED: body withheld]"
    );
    assert_eq!(
        c.redact_body(b"hello", Some("text/plain")).unwrap(),
        "hello"
    );
    assert_eq!(c.redact_body(b"", None), None);
}

#[test]
fn urls_keep_names_only() {
    for (value, want) in [
        (
            "https://app.example/cb?code=abc&api_key=sk_1#access_token=t",
            "https://app.example/cb?code=[REDACTED]&api_key=[REDACTED]#[REDACTED]",
        ),
        (
            "https://ann:pw@app.example/x?y",
            "https://[REDACTED]@app.example/x?[REDACTED]",
        ),
        (
            "/console?token=abc&&x=",
            "/console?token=[REDACTED]&&x=[REDACTED]",
        ),
        ("https://app.example/path", "https://app.example/path"),
        ("curl/8.1 (?x=1)", "curl/8.1 (?x=1)"),
    ] {
        assert_eq!(redact_url(value), want, "{value}");
    }
}

#[test]
fn card_numbers_by_luhn() {
    assert!(is_card_number("4111111111111111"));
    assert!(is_card_number("378282246310005"));
    assert!(is_card_number("5555555555554444"));
    assert!(!is_card_number("4111111111111112"), "fails Luhn");
    assert!(
        !is_card_number("1700000000000007"),
        "starts with 1 (a ms timestamp)"
    );
    assert!(!is_card_number("411111111111"), "too short");
    assert_eq!(
        redact_cards(
            "pay 4111 1111 1111 1111, or 4111-1111-1111-1111 or 5555555555554444 4012888888881881."
        ),
        "pay [REDACTED], or [REDACTED] or [REDACTED] [REDACTED]."
    );
    assert_eq!(
        redact_cards("order 4111111111111112"),
        "order 4111111111111112"
    );
    assert_eq!(redact_cards("short 12"), "short 12");
    // Digit groups inside a UUID or a hex id (here 2364886647302866 and
    // 4111111111111111, which pass Luhn) are not card numbers.
    for id in [
        r#"{"error_id":"01a23648-8664-7302-866a-da65cee0791f"}"#,
        "trace 4bf4111111111111111a3ce929d0e0e4736",
    ] {
        assert_eq!(redact_cards(id), id);
    }
}

#[test]
fn escaped_keys_nested_json_and_cards_in_bodies() {
    let c = Capture::default();
    let json = Some("application/json");
    // Whole JSON: JSON inside a string, a card under any name.
    assert_eq!(
        c.redact_body(
            br#"{"data": "{\"password\": \"p1\", \"x\": \"[{\\\"token\\\": 1}]\"}", "pan": 4111111111111111, "cc": "4111 1111 1111 1111"}"#,
            json
        )
        .unwrap(),
        r#"{"data":"{\"password\":\"[REDACTED]\",\"x\":\"[{\\\"token\\\":\\\"[REDACTED]\\\"}]\"}","pan":"[REDACTED]","cc":"[REDACTED]"}"#
    );
    // Cut off: an escaped key, JSON in a string cut inside, a card.
    let cut = br#"{"pass\u0077ord": "p2", "credit_card": "4111111111111111", "data": "{\"secret\": \"p3\", \"more\": \"p"#;
    let out = c.redact_body(cut, json).unwrap();
    for secret in ["p2", "p3", "4111111111111111"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    assert_eq!(
        out,
        r#"{"pass\u0077ord":"[REDACTED]", "credit_card": "[REDACTED]", "data": "{\"secret\":\"[REDACTED]\", \"more\": \"p"#
    );
    // Forms: JSON in a value, a card in a value.
    assert_eq!(
        c.redact_body(
            b"data=%7B%22password%22%3A%22p4%22%7D&cc_number=4111111111111111",
            Some("application/x-www-form-urlencoded")
        )
        .unwrap(),
        r#"data={"password":"[REDACTED]"}&cc_number=[REDACTED]"#
    );
}

#[test]
fn secret_headers_are_redacted() {
    let c = Capture::default();
    let mut h = HeaderMap::new();
    h.insert("authorization", "Bearer eyJ.secret".parse().unwrap());
    h.insert("x-api-key", "key_123".parse().unwrap());
    h.insert("user-agent", "curl/8".parse().unwrap());
    h.insert("x-private", "not recorded".parse().unwrap());
    assert_eq!(
        c.select_headers(&h),
        [
            ("user-agent".to_owned(), "curl/8".to_owned()),
            ("authorization".to_owned(), REDACTED.to_owned()),
            ("x-api-key".to_owned(), REDACTED.to_owned()),
        ]
    );
}
