mod errors {
    errcat::catalog!("../data/errors.toml");
}

fn main() {
    // `used` and `limit` are integers.
    let _ = errors::quota_exceeded("ninety", 100);
}
