//! `GET|POST /callback/{account}`, as WeChat calls it. Not under `/api/v1`: WeChat is not a
//! caller. Answers are WeChat's formats (echostr, `success`, reply XML); refusals use our
//! error envelope with a 4xx.

use axum::extract::{FromRef, Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::service::{Answer, CallbackQuery, CallbackService};
use crate::http::{ApiError, RawBody};

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    CallbackService: FromRef<S>,
{
    Router::new().route(
        "/callback/{account}",
        get(verify_url).post(receive_callback),
    )
}

fn query(
    q: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> CallbackQuery {
    // Repeated or odd parameters never reach the service: missing ones are refused there.
    q.map(|Query(q)| q).unwrap_or_default()
}

async fn verify_url(
    State(callbacks): State<CallbackService>,
    Path(account): Path<String>,
    q: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let echo = callbacks.verify_url(&account, &query(q)).await?;
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], echo).into_response())
}

async fn receive_callback(
    State(callbacks): State<CallbackService>,
    Path(account): Path<String>,
    q: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    Ok(match callbacks.receive(&account, &query(q), body).await? {
        Answer::Success => {
            ([(CONTENT_TYPE, "text/plain; charset=utf-8")], "success").into_response()
        }
        Answer::Xml(xml) => {
            ([(CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response()
        }
    })
}
