//! TODO
use crate::ids::AppId;
use crate::Sandbox;
use axum::extract::Request;
use axum::response::Response;

pub async fn upload_media(_sb: Sandbox, _appid: AppId, _req: Request) -> Response {
    axum::response::IntoResponse::into_response(crate::errors::WxError::new(
        crate::errors::code::API_UNAUTHORIZED,
    ))
}
pub async fn get_media(_sb: Sandbox, _appid: AppId, _req: Request) -> Response {
    axum::response::IntoResponse::into_response(crate::errors::WxError::new(
        crate::errors::code::API_UNAUTHORIZED,
    ))
}
