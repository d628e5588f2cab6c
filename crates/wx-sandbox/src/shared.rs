//! Paths that Official Accounts and WeCom share (`cgi-bin/user/get`, `cgi-bin/menu/*`,
//! `cgi-bin/media/*`, `cgi-bin/getcallbackip`). WeChat serves them from different hosts; the
//! sandbox serves both from one address, so the access_token decides which side answers.

use crate::auth::{Caller, WorkAuth};
use crate::ids::AppId;
use crate::tokens::TokenOwner;
use crate::Sandbox;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route(
            "/cgi-bin/user/get",
            get(|s, c, r| {
                dispatch(
                    s,
                    c,
                    r,
                    crate::mp::users::list_followers,
                    crate::work::shared::get_member,
                )
            }),
        )
        .route(
            "/cgi-bin/menu/create",
            post(|s, c, r| {
                dispatch(
                    s,
                    c,
                    r,
                    crate::mp::menu::create_menu,
                    crate::work::shared::create_menu,
                )
            }),
        )
        .route(
            "/cgi-bin/menu/get",
            get(|s, c, r| {
                dispatch(
                    s,
                    c,
                    r,
                    crate::mp::menu::get_menu,
                    crate::work::shared::get_menu,
                )
            }),
        )
        .route(
            "/cgi-bin/menu/delete",
            get(|s, c, r| {
                dispatch(
                    s,
                    c,
                    r,
                    crate::mp::menu::delete_menu,
                    crate::work::shared::delete_menu,
                )
            }),
        )
        .route(
            "/cgi-bin/media/upload",
            post(|s, c, r| {
                dispatch(
                    s,
                    c,
                    r,
                    crate::mp::media::upload_media,
                    crate::work::shared::unimplemented,
                )
            })
            .layer(DefaultBodyLimit::max(crate::mp::media::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/cgi-bin/media/get",
            get(|s, c, r| {
                dispatch(
                    s,
                    c,
                    r,
                    crate::mp::media::get_media,
                    crate::work::shared::unimplemented,
                )
            }),
        )
        .route(
            "/cgi-bin/getcallbackip",
            get(|s, c, r| {
                dispatch(
                    s,
                    c,
                    r,
                    crate::mp::callbackip::get_callback_ip,
                    crate::work::shared::get_callback_ip,
                )
            }),
        )
}

/// Calls the MP or the WeCom side's handler, by the token's owner.
async fn dispatch<M, MF, W, WF>(
    State(sb): State<Sandbox>,
    Caller(owner): Caller,
    req: Request,
    mp: M,
    work: W,
) -> Response
where
    M: FnOnce(Sandbox, AppId, Request) -> MF,
    MF: Future<Output = Response>,
    W: FnOnce(Sandbox, WorkAuth, Request) -> WF,
    WF: Future<Output = Response>,
{
    match owner {
        TokenOwner::Mp { appid } => mp(sb, appid, req).await,
        TokenOwner::Work { corpid, agentid } => work(sb, WorkAuth { corpid, agentid }, req).await,
    }
}
