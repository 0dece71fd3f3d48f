//! Keeps `schema/errors.schema.json`, the JSON Schema editors use for
//! completion, in step with the keys and names the decoder accepts.

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::decode::{
        API_KEYS, BUILTIN_ENVELOPES, CATEGORY_KEYS, ENVELOPE_KEYS, ERROR_KEYS, EXAMPLE_KEYS,
        GUIDE_KEYS, LINK_KEYS, PARAM_KEYS, TOP_KEYS, TRANSLATION_KEYS, VIOLATION_KEYS,
    };
    use crate::{IdScheme, ParamType};

    const SCHEMA: &str = include_str!("../../../schema/errors.schema.json");

    fn schema() -> Value {
        serde_json::from_str(SCHEMA).expect("schema/errors.schema.json is valid JSON")
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        v.sort();
        v
    }

    /// The value at `pointer`, which must exist.
    fn at<'a>(schema: &'a Value, pointer: &str) -> &'a Value {
        schema
            .pointer(pointer)
            .unwrap_or_else(|| panic!("the schema has nothing at {pointer}"))
    }

    /// The strings of the array at `pointer`, sorted.
    fn strings(schema: &Value, pointer: &str) -> Vec<String> {
        let mut v: Vec<String> = at(schema, pointer)
            .as_array()
            .unwrap_or_else(|| panic!("{pointer} is not an array"))
            .iter()
            .map(|s| {
                s.as_str()
                    .unwrap_or_else(|| panic!("{pointer} holds a non-string"))
                    .to_owned()
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn properties_match_the_decoder_keys() {
        let schema = schema();
        let tables: [(&str, &[&str]); 12] = [
            ("", TOP_KEYS),
            ("/$defs/api", API_KEYS),
            ("/$defs/categoryTable", CATEGORY_KEYS),
            ("/$defs/error", ERROR_KEYS),
            ("/$defs/paramTable", PARAM_KEYS),
            ("/$defs/link", LINK_KEYS),
            ("/$defs/example", EXAMPLE_KEYS),
            ("/$defs/violation", VIOLATION_KEYS),
            ("/$defs/translation", TRANSLATION_KEYS),
            ("/$defs/guide", GUIDE_KEYS),
            ("/$defs/envelope", ENVELOPE_KEYS),
            ("/$defs/docs", crate::docs::DOCS_KEYS),
        ];
        for (pointer, keys) in tables {
            let table = at(&schema, pointer);
            let mut names: Vec<String> = at(table, "/properties")
                .as_object()
                .unwrap_or_else(|| panic!("{pointer}/properties is not an object"))
                .keys()
                .cloned()
                .collect();
            names.sort();
            assert_eq!(names, sorted(keys), "properties of `{pointer}`");
            assert_eq!(
                table.get("additionalProperties"),
                Some(&Value::Bool(false)),
                "`{pointer}` must reject unknown keys, as the decoder does"
            );
        }
    }

    #[test]
    fn standard_roles_match_the_standard_catalog() {
        let mut roles: Vec<String> = crate::standard_roles().collect();
        roles.sort();
        assert_eq!(strings(&schema(), "/$defs/role/enum"), roles);
    }

    #[test]
    fn standard_categories_match_the_standard_catalog() {
        let mut names: Vec<String> = crate::resolve::standard_raw()
            .categories
            .iter()
            .map(|c| c.name.clone())
            .collect();
        names.sort();
        assert_eq!(
            strings(&schema(), "/$defs/categoryName/anyOf/0/enum"),
            names
        );
    }

    #[test]
    fn fixed_names_match_the_model() {
        let schema = schema();
        assert_eq!(
            strings(&schema, "/$defs/api/properties/error_id/enum"),
            sorted(IdScheme::NAMES)
        );
        assert_eq!(
            strings(&schema, "/$defs/docs/properties/overview/enum"),
            sorted(crate::docs::Overview::NAMES)
        );
        assert_eq!(
            strings(&schema, "/$defs/paramType/enum"),
            sorted(ParamType::NAMES)
        );
        assert_eq!(
            strings(&schema, "/$defs/api/properties/envelope/anyOf/0/enum"),
            sorted(BUILTIN_ENVELOPES)
        );
        assert_eq!(
            strings(&schema, "/properties/envelopes/propertyNames/not/enum"),
            sorted(BUILTIN_ENVELOPES)
        );
    }
}
