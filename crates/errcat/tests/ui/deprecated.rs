#![deny(deprecated)]

mod errors {
    errcat::catalog!("../data/errors.toml");
}

fn main() {
    let _ = errors::old_thing();
}
