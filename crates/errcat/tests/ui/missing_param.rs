mod errors {
    errcat::catalog!("../data/errors.toml");
}

fn main() {
    // `QUOTA_EXCEEDED` has two parameters: `used` and `limit`.
    let _ = errors::quota_exceeded(90);
}
