//! Reading errcat-console's chart back, for the tests that check it.

/// `(code, count, height)` of every bar of a chart's SVG, in order.
pub fn chart_bars(svg: &str) -> Vec<(String, i64, i64)> {
    svg.split("<rect class=\"bar\"")
        .skip(1)
        .map(|r| {
            let attr = |name: &str| {
                let start = r.find(&format!(" {name}=\"")).expect("the attribute") + name.len() + 3;
                r[start..start + r[start..].find('"').expect("its end")].to_owned()
            };
            (
                attr("data-code"),
                attr("data-count").parse().expect("a count"),
                attr("height").parse().expect("a height"),
            )
        })
        .collect()
}
