mod errors {
    errcat::catalog!("../data/errors.toml");
}

fn main() {
    // `WIDGET_FAILED` has no HTTP status: the server never sends it, so it has no constructor.
    let _ = errors::widget_failed();
}
