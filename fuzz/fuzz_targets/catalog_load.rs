//! Fuzzes catalog loading: arbitrary bytes read as `errors.toml` and as
//! `errors.json` must give a catalog or a report, never a panic; the report
//! must print; `Catalog::from_str` (the fast path) must load exactly the
//! catalogs the full analysis accepts; and every error of a catalog that loads must render, in every
//! envelope of the catalog, to a body that is valid JSON.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use errcat_catalog::Catalog;
use errcat_render::{RenderOptions, Renderer, example_error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["errors.toml", "errors.json"] {
        let analysis = Catalog::analyze_bytes(data, name);
        // The fast loading path agrees with the full analysis.
        if let Ok(text) = std::str::from_utf8(data) {
            let loaded = Catalog::from_str(text, name);
            assert_eq!(
                loaded.is_ok(),
                !analysis.report.has_errors() && analysis.catalog.is_some(),
                "from_str and analyze disagree"
            );
        }
        // Diagnostics locate their spans in the text: printing them must not panic.
        let _ = analysis.report.to_string();
        let _ = analysis.report.to_json();
        for located in analysis.report.miette_reports() {
            let _ = located.to_string();
        }
        if let Some(catalog) = analysis.catalog {
            render_all(catalog);
        }
    }
});

fn render_all(catalog: Catalog) {
    let mut envelopes = vec![None, Some("problem".to_owned()), Some("google".to_owned())];
    envelopes.extend(catalog.envelopes.iter().map(|e| Some(e.name.clone())));
    let renderer = Renderer::new(catalog);
    for def in &renderer.catalog().errors {
        let err = example_error(def);
        for envelope in &envelopes {
            let opts = RenderOptions {
                envelope: envelope.as_deref(),
                error_id: Some("01JQ4ZK6N7V3M0X8T2R5Y9C1DW"),
                request_id: Some("req_1"),
                instance: Some("/fuzz"),
                timestamp: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
                ..RenderOptions::default()
            };
            let out = renderer.render(&err, &opts);
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out.body) {
                panic!(
                    "`{}` in envelope {envelope:?} renders invalid JSON ({e}): {}",
                    def.code,
                    String::from_utf8_lossy(&out.body)
                );
            }
        }
    }
}
