mod errors {
    errcat::catalog!("../data/invalid.toml");
}

fn main() {
    // The catalog's error is reported once; the constructors it could read still exist.
    let _ = errors::template_not_found("tpl_1");
}
