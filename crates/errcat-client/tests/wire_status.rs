//! An API that answers errors with 200 and `ok: false` (Slack's envelope,
//! `status = 200`): the client reads such a response, returns a success
//! with its body intact, and turns an error into `ClientError::Api`, retried
//! by the error's own status.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use errcat_catalog::Catalog;
use errcat_client::retry::{FixedJitter, RecordingSleeper};
use errcat_client::{Client, ClientError, Parser, RetryPolicy};
use errcat_render::Error;

fn catalog() -> Catalog {
    common::example_catalog("envelopes/slack-web.toml")
}

async fn serve(app: Router) -> SocketAddr {
    common::serve_with(catalog(), app).await
}

#[tokio::test]
async fn errors_sent_with_200_are_errors_and_successes_keep_their_body() {
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let app = Router::new()
        .route("/ok", get(|| async { r#"{"ok":true,"channel":"C1"}"# }))
        .route(
            "/missing",
            get(|| async { Err::<&str, _>(Error::new("channel_not_found")) }),
        )
        .route(
            "/busy",
            get(move || {
                let n = c.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        Err(Error::standard("rate_limited").with_retry_after(3))
                    } else {
                        Ok(r#"{"ok":true}"#)
                    }
                }
            }),
        );
    let addr = serve(app).await;
    let sleeper = Arc::new(RecordingSleeper::new());
    let client = Client::new(
        format!("http://{addr}"),
        Parser::new(&catalog()),
        RetryPolicy::default(),
    )
    .with_sleeper(sleeper.clone())
    .with_jitter(Arc::new(FixedJitter(1.0)));

    let res = client.send(client.get("/ok")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), r#"{"ok":true,"channel":"C1"}"#);

    match client.send(client.get("/missing")).await {
        Err(ClientError::Api(e)) => {
            assert_eq!(e.status, 200);
            assert_eq!(e.code.as_deref(), Some("channel_not_found"));
        }
        other => panic!("{other:?}"),
    }

    // A rate limit sent with 200 is retried after Retry-After, as a 429 is.
    let res = client.send(client.get("/busy")).await.unwrap();
    assert_eq!(res.text().await.unwrap(), r#"{"ok":true}"#);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(sleeper.waits(), [Duration::from_secs(3)]);
}
