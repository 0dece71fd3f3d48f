//! The service of `docs/quickstart.md`: every error it answers is in
//! `errors.toml`, and each one is recorded in the error log. The guide below
//! is compiled as a doctest, so its code stays true.
//!
#![doc = include_str!("../../../docs/quickstart.md")]

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use errcat::axum::{ErrcatLayer, Json, Path};
use errcat::store::ErrorLog;
use serde::Deserialize;

/// Typed constructors for `errors.toml`, made at compile time.
pub mod errors {
    errcat::catalog!("errors.toml");
}

#[derive(Deserialize)]
struct NewTodo {
    title: String,
}

async fn create(Json(todo): Json<NewTodo>) -> Result<StatusCode, errcat::Error> {
    if todo.title.trim().is_empty() {
        return Err(errors::title_empty());
    }
    Ok(StatusCode::CREATED)
}

async fn show(Path(id): Path<String>) -> Result<String, errcat::Error> {
    Err(errors::todo_not_found(id))
}

/// The routes behind errcat's boundary layer, each error recorded in `log`.
pub fn app(log: ErrorLog) -> Router {
    Router::new()
        .route("/todos", post(create))
        .route("/todos/{id}", get(show))
        .layer(ErrcatLayer::new(errors::RENDERER.clone()).observer(log))
}
