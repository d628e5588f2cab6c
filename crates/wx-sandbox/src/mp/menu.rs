//! TODO
use crate::ids::AppId;
use crate::Sandbox;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;

pub fn routes() -> Router<Sandbox> {
    Router::new()
}

pub async fn create_menu(_sb: Sandbox, _appid: AppId, _req: Request) -> Response {
    axum::response::IntoResponse::into_response(crate::errors::WxError::new(
        crate::errors::code::API_UNAUTHORIZED,
    ))
}
pub async fn get_menu(_sb: Sandbox, _appid: AppId, _req: Request) -> Response {
    axum::response::IntoResponse::into_response(crate::errors::WxError::new(
        crate::errors::code::API_UNAUTHORIZED,
    ))
}
pub async fn delete_menu(_sb: Sandbox, _appid: AppId, _req: Request) -> Response {
    axum::response::IntoResponse::into_response(crate::errors::WxError::new(
        crate::errors::code::API_UNAUTHORIZED,
    ))
}
