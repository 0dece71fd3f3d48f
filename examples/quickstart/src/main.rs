//! `cargo run -p errcat-quickstart`: the quickstart service on 127.0.0.1:3000,
//! its error log in `errors.db`.

use errcat::store::{ErrorLog, Store};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = ErrorLog::spawn(
        Store::connect("sqlite://errors.db").await?,
        Default::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let app = errcat_quickstart::app(log.clone());
    errcat::axum::serve::serve(listener, app, Default::default(), shutdown).await?;
    log.shutdown().await;
    Ok(())
}
