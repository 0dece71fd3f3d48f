//! The envelope's shape: its body and violation templates and its media
//! type, every change of which breaks clients.

use errcat_catalog::Catalog;

/// What changed in the shape of the envelope both catalogs use.
pub(super) fn changes(old: &Catalog, new: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (
        old.envelope(&old.api.envelope),
        new.envelope(&new.api.envelope),
    ) {
        if a.body != b.body {
            out.push(format!(
                "envelope `{}` body changed shape: {} → {}",
                a.name, a.body, b.body
            ));
        }
        if a.violation != b.violation {
            out.push(format!(
                "envelope `{}` field-violation shape changed: {} → {}",
                a.name, a.violation, b.violation
            ));
        }
        if a.media_type != b.media_type {
            out.push(format!(
                "envelope `{}` Content-Type {} → {}",
                a.name, a.media_type, b.media_type
            ));
        }
    }
    out
}
