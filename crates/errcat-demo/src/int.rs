//! JSON Schema's `integer` for serde: any JSON number whose fractional part
//! is zero (`3`, `3.0`, `3e2`), as the OpenAPI 3.1 document declares these
//! fields; serde's own integers refuse `3.0`, which would make a
//! schema-valid request a 400.
//!
//! Written out (a number visitor and a range check) because no serde helper
//! crate has these semantics.

use serde::de::{Deserialize, Deserializer, Error, Unexpected};

/// The number as an integer, if it is one within `i128`.
fn integral(n: &serde_json::Number) -> Option<i128> {
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    let f = n.as_f64()?;
    // Beyond ±2^100 no f64 is needed here; the range checks refuse it.
    (f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
}

fn convert<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
    n: &serde_json::Number,
) -> Result<T, D::Error> {
    let Some(i) = integral(n) else {
        return Err(D::Error::invalid_type(
            Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
            &"an integer",
        ));
    };
    T::try_from(i).map_err(|_| {
        D::Error::invalid_value(
            Unexpected::Other("an integer out of range"),
            &"a smaller integer",
        )
    })
}

/// An optional `u64` field (`null` is `None`).
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => convert::<D, u64>(&n).map(Some),
    }
}

/// An `i64` field.
pub(crate) fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    convert::<D, i64>(&serde_json::Number::deserialize(d)?)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    struct T {
        #[serde(default, deserialize_with = "super::opt_u64")]
        a: Option<u64>,
        #[serde(default, deserialize_with = "super::i64")]
        b: i64,
    }

    fn parse(s: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn integral_numbers_are_integers() {
        let t = parse(r#"{"a": 3.0, "b": -2e2}"#).unwrap();
        assert_eq!((t.a, t.b), (Some(3), -200));
        assert_eq!(parse(r#"{"a": null}"#).unwrap().a, None);
        assert_eq!(
            parse(r#"{"a": 18446744073709551615}"#).unwrap().a,
            Some(u64::MAX)
        );
        assert!(parse(r#"{"a": 3.5}"#).is_err());
        assert!(parse(r#"{"a": -1}"#).is_err());
        assert!(parse(r#"{"a": 1e40}"#).is_err());
        assert!(parse(r#"{"a": "3"}"#).is_err());
        assert!(parse(r#"{"b": 9.3e18}"#).is_err(), "beyond i64");
    }
}
