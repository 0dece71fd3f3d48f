use super::*;

#[test]
fn policy_and_limit_headers() {
    let ip = Policy::per_ip("per-ip", Quota::per_minute(100));
    let key = Policy::per_key("key \"x\"", Quota::per_hour(5000), header("x-api-key"));
    let checked = vec![
        (
            &ip,
            Decision {
                allowed: true,
                remaining: 99,
                reset: Duration::from_millis(600),
            },
        ),
        (
            &key,
            Decision {
                allowed: true,
                remaining: 4999,
                reset: Duration::from_secs(7200),
            },
        ),
    ];
    let (policy, limit) = headers(&checked);
    assert_eq!(policy, r#""per-ip";q=100;w=60, "key \"x\"";q=5000;w=3600"#);
    // `t` is rounded up and never past the window.
    assert_eq!(limit, r#""per-ip";r=99;t=1, "key \"x\"";r=4999;t=3600"#);
}

#[test]
fn quotas() {
    let q = Quota::per_minute(100);
    assert_eq!(q.interval(), Duration::from_millis(600));
    assert_eq!(q.window_secs(), 60);
    assert_eq!(Quota::new(3, Duration::from_millis(1500)).window_secs(), 2);
    assert!(std::panic::catch_unwind(|| Quota::per_minute(0)).is_err());
    assert!(std::panic::catch_unwind(|| Quota::new(1, Duration::from_millis(10))).is_err());
    assert!(std::panic::catch_unwind(|| Policy::per_ip("a\nb", q)).is_err());
}

#[test]
fn ipv6_is_grouped_by_prefix() {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert_eq!(mask(ip("2001:db8:1:2:3:4:5:6"), 64), ip("2001:db8:1:2::"));
    assert_eq!(
        mask(ip("2001:db8:1:2:3:4:5:6"), 128),
        ip("2001:db8:1:2:3:4:5:6")
    );
    assert_eq!(mask(ip("2001:db8::1"), 0), ip("::"));
    assert_eq!(mask(ip("::ffff:192.0.2.7"), 64), ip("192.0.2.7"));
    assert_eq!(mask(ip("192.0.2.7"), 64), ip("192.0.2.7"));
}

#[test]
fn fingerprints_are_stable_and_secret_dependent() {
    let plain = Fingerprint::new(b"");
    let a = plain.of(b"sk_live_123");
    assert_eq!(a, Fingerprint::new(b"").of(b"sk_live_123"));
    assert_ne!(a, plain.of(b"sk_live_124"));
    assert_ne!(a, Fingerprint::new(b"s3cret").of(b"sk_live_123"));
    // Every build names a bucket the same way (processes share Redis).
    assert_eq!(
        BucketKey::Key(a).to_string(),
        "key:4185a751e01c81db05b7d1fd5b0975f3",
    );
    assert!(!BucketKey::Key(a).to_string().contains("sk_live"));
}

#[test]
fn key_extractors() {
    let (parts, ()) = Request::builder()
        .header("x-api-key", "  k1 ")
        .header("authorization", "Bearer  tok ")
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(header("X-Api-Key")(&parts).as_deref(), Some("k1"));
    assert_eq!(header("x-other")(&parts), None);
    assert_eq!(bearer_token()(&parts).as_deref(), Some("tok"));
    let (parts, ()) = Request::builder()
        .header("authorization", "Basic abc")
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(bearer_token()(&parts), None);
}
