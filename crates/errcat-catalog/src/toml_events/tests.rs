use super::*;

/// The tree as plain data: keys, spans and values.
fn shape(node: &Node<'_>) -> String {
    match &node.kind {
        Kind::Table(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|e| format!("{}@{:?}={}", e.key, e.key_span, shape(&e.value)))
                .collect();
            format!("{{{}}}@{:?}", inner.join(","), node.span)
        }
        Kind::Array(items) => {
            let inner: Vec<String> = items.iter().map(shape).collect();
            format!("[{}]@{:?}", inner.join(","), node.span)
        }
        other => format!("{other:?}@{:?}", node.span),
    }
}

const SAME: &[&str] = &[
    "",
    "a = 1\nb = 'x'\n",
    "[api]\nname = \"x\"\n[[errors]]\ncode = \"A\"\n[[errors]]\ncode = \"B\"\n",
    "a.b.c = 1\na.b.d = 2\na.e = { f = 1, g.h = [1, 2.5, true] }\n",
    "[x.y]\nz = 1\n[x]\nw = 2\n",
    "[x.y]\nz = 1\n[x.v]\nw = 2\n",
    "[[a.b]]\nc = 1\n[a.b.d]\ne = 1\n[[a.b]]\nc = 2\n",
    "[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n",
    "t = 1979-05-27T07:32:00Z\nd = 1979-05-27\nn = 0xff_ff\no = 0o17\nm = 1_000\nbig = 9_223_372_036_854_775_807\ni = -inf\nf = 6.02e+23\n",
    "s = \"tab\\tquote\\\"\"\nm = '''\nmulti\n'''\n\"quoted key\" = 1\n'lit.key' = 2\n",
    "a = [ { b = 1 }, { c = [ [ ] ] } ]\n[t]\nx.y = 1\nx.z = 2\n",
    "[a]\nb.c = 1\n[a.d]\ne = 1\n",
    "k = {}\nl = []\n",
    "a . b = 1\n[ c . d ]\ne = 1 # comment\n[[ f ]]\n",
    "x = [\n  1, # one\n  2,\n]\ny = { a = 1, b = { c = 2 } }\n",
    crate::resolve::STANDARD_TOML,
];

const ERRORS: &[&str] = &[
    "a = 1\na = 2\n",
    "[a]\n[a]\n",
    "[a]\nb = 1\n[a.b]\n",
    "a = {b = 1}\na.c = 2\n",
    "a = [1]\n[[a]]\n",
    "[[a]]\n[a]\n",
    "a.b = 1\n[a]\n",
    "[a.b]\n[a]\nb = 1\n",
    "a = { b = 1, b = 2 }\n",
    "a = { b.c = 1, b = {} }\n",
    "[api\nname = 1",
    "a = 1979-13-45\n",
    "a = \"\\q\"\n",
    "a = 1 b = 2\n",
    "[a]\nb = 1\n[c]\nd = 2\n[a]\ne = 3\n",
    "[a]\nb = 1\n[c]\nd = 2\n\n[[c]]\n",
    "[a]\nb = [\n[1]\n,\n[c]\nd = 1\n",
    "[a]\nb = 1\n[c]\nd = 2\n[e]\nf = \"\\x\"\n",
    "n = 0x_ff\n",
];

#[test]
fn same_tree_as_detable() {
    for text in SAME {
        let fast = parse(text).unwrap_or_else(|| panic!("fast path refused {text:?}"));
        let slow = crate::node::parse_detable(text).unwrap();
        assert_eq!(shape(&fast), shape(&slow), "{text}");
    }
}

#[test]
fn errors_are_left_to_detable() {
    for text in ERRORS {
        assert!(parse(text).is_none(), "fast path accepted {text:?}");
        assert!(
            crate::node::parse_detable(text).is_err(),
            "DeTable accepted {text:?}"
        );
    }
}

/// Lines that mix every table rule: headers, array tables, dotted keys,
/// inline tables, redefinitions.
const LINES: &[&str] = &[
    "[a]",
    "[a.b]",
    "[ a . c ]",
    "[[a]]",
    "[[a.b]]",
    "[[d]]",
    "[d.e]",
    "[b]",
    "x = 1",
    "y = 'y'",
    "a.b = 2",
    "b.c.d = true",
    "c = { e = 1, f.g = 2 }",
    "e = [1, { h = 3 }]",
    "b = {}",
    "x.y = 1979-05-27",
    "\"a\".\"b\" = 1.5",
    "# comment",
    "",
];

proptest::proptest! {
    #[test]
    fn random_documents_match_detable(
        lines in proptest::collection::vec(proptest::sample::select(LINES), 0..10)
    ) {
        let text = lines.join("\n") + "\n";
        let fast = parse(&text);
        let slow = crate::node::parse_detable(&text);
        proptest::prop_assert_eq!(fast.is_some(), slow.is_ok(), "{}", text);
        if let (Some(fast), Ok(slow)) = (fast, slow) {
            proptest::prop_assert_eq!(shape(&fast), shape(&slow), "{}", text);
        }
    }
}

#[test]
fn long_tables_are_left_to_detable() {
    let text: String = (0..MAX_LINEAR_TABLE + 1)
        .map(|i| format!("k{i} = {i}\n"))
        .collect();
    assert!(parse(&text).is_none());
    assert!(crate::node::parse_toml(&text).is_ok());
}
