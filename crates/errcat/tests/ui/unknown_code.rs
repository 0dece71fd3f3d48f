mod errors {
    errcat::catalog!("../data/errors.toml");
}

fn main() {
    // A typo in a code is a typo in a function name.
    let _ = errors::templat_not_found("tpl_1");
}
