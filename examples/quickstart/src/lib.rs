//! The service of `docs/quickstart.md`: every error it answers is in
//! `errors.toml`, and each one is recorded in the error log. The guide below
//! is compiled as a doctest, so its code stays true.
//!
#![doc = include_str!("../../../docs/quickstart.md")]

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use errcat::axum::{ErrcatLayer, Json, Path};
use errcat::docs::utoipa::ErrorResponses;
use errcat::store::ErrorLog;
use serde::Deserialize;
use utoipa::{Modify, OpenApi};

/// `docs/tracing.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/tracing.md")]
pub struct TracingGuide;

/// Typed constructors for `errors.toml`, made at compile time.
pub mod errors {
    errcat::catalog!("errors.toml");
}

/// A todo to create.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewTodo {
    /// What to do: at least one visible character.
    pub title: String,
}

/// Creates a todo.
#[utoipa::path(
    post,
    path = "/todos",
    request_body = NewTodo,
    responses(
        (status = 201, description = "Created."),
        (status = 422, description = "The title is empty."),
    )
)]
async fn create(Json(todo): Json<NewTodo>) -> Result<StatusCode, errcat::Error> {
    if todo.title.trim().is_empty() {
        return Err(errors::title_empty());
    }
    Ok(StatusCode::CREATED)
}

/// One todo.
#[utoipa::path(
    get,
    path = "/todos/{id}",
    params(("id" = String, Path, description = "The todo's id.")),
    responses((status = 404, description = "No todo has this id."))
)]
async fn show(Path(id): Path<String>) -> Result<String, errcat::Error> {
    Err(errors::todo_not_found(id))
}

/// The routes utoipa documents from their annotations.
#[derive(OpenApi)]
#[openapi(info(title = "Todos", version = "1"), paths(create, show))]
struct ApiDoc;

/// The API's OpenAPI 3.1 document: utoipa's paths and schemas, with the
/// catalog's error responses and envelope schema, and on each operation the
/// errors errcat answers it with.
///
/// # Errors
///
/// When the catalog's components do not fit utoipa's model.
pub fn openapi() -> Result<utoipa::openapi::OpenApi, errcat::docs::utoipa::ConvertError> {
    let mut doc = ApiDoc::openapi();
    ErrorResponses::new(&errors::CATALOG)?.modify(&mut doc);
    Ok(doc)
}

/// `GET /openapi.json`; a failure is the catalog's internal error, its cause
/// in the log.
async fn spec() -> Result<impl IntoResponse, errcat::Error> {
    let internal = |e: Box<dyn std::error::Error + Send + Sync>| {
        errcat::Error::standard("internal_error").with_source(e)
    };
    let json = openapi()
        .map_err(|e| internal(e.into()))?
        .to_json()
        .map_err(|e| internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}

/// The routes behind errcat's boundary layer, each error recorded in `log`.
pub fn app(log: ErrorLog) -> Router {
    Router::new()
        .route("/todos", post(create))
        .route("/todos/{id}", get(show))
        .route("/openapi.json", get(spec))
        .layer(ErrcatLayer::new(errors::RENDERER.clone()).observer(log))
}
