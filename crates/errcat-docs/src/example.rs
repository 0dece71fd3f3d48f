//! Example responses, rendered the way the server sends them.

use std::time::{Duration, SystemTime};

use errcat_catalog::{Catalog, ErrorDef, IdScheme};
use errcat_render::{RenderOptions, Renderer, example_error, reason_phrase};

/// An error's example response.
#[derive(Clone, Debug)]
pub(crate) struct Example {
    /// The status.
    pub(crate) status: u16,
    /// The Content-Type.
    pub(crate) content_type: String,
    /// Headers other than Content-Type.
    pub(crate) headers: Vec<(String, String)>,
    /// The body as JSON.
    pub(crate) body: serde_json::Value,
}

impl Example {
    /// The response as text: status line, headers, blank line, indented body.
    pub(crate) fn http_text(&self) -> String {
        let mut s = format!("HTTP/1.1 {} {}\n", self.status, reason_phrase(self.status));
        s.push_str("content-type: ");
        s.push_str(&self.content_type);
        s.push('\n');
        for (n, v) in &self.headers {
            s.push_str(&n.to_ascii_lowercase());
            s.push_str(": ");
            s.push_str(v);
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&serde_json::to_string_pretty(&self.body).unwrap_or_default());
        s
    }
}

/// Renders example responses for one catalog.
pub(crate) struct Examples {
    renderer: Renderer,
    error_id: &'static str,
}

impl Examples {
    pub(crate) fn new(catalog: &Catalog) -> Self {
        let error_id = match catalog.api.error_id {
            IdScheme::UuidV7 => "0190b6c2-5f3a-7c1e-9a4b-3d2e1f0a9b8c",
            IdScheme::Ulid => "01J2Z8X4TQ6YV3N5K7M9P1R2S3",
            IdScheme::Decimal63 => "6941047907334948670",
        };
        Examples {
            renderer: Renderer::new(catalog.clone()),
            error_id,
        }
    }

    /// The example response of `def`, `None` for errors the server never sends.
    pub(crate) fn of(&self, def: &ErrorDef) -> Option<Example> {
        def.status?;
        let r = self.renderer.render(
            &example_error(def),
            &RenderOptions {
                error_id: Some(self.error_id),
                request_id: Some("req_01J2Z8X4TQ6YV3N5K7M9P1R2S3"),
                timestamp: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)),
                ..Default::default()
            },
        );
        let body = serde_json::from_slice(&r.body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&r.body).into_owned())
        });
        Some(Example {
            status: r.status,
            content_type: r.content_type.to_string(),
            headers: r.headers,
            body,
        })
    }
}
