mod errors {
    errcat::catalog!("../data/no_such_catalog.toml");
}

fn main() {}
