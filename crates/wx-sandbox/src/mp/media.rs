//! Temporary media: `cgi-bin/media/upload` (multipart field `media`, `type` =
//! image|voice|video|thumb) and `cgi-bin/media/get`. Both are routed by `crate::shared`.
//! Media lives 3 days, as WeChat documents; sizes are capped per type (40009/40004).

use crate::errors::{code, WxError, WxResult};
use crate::extract::WxQuery;
use crate::ids::{random_alnum, AppId};
use crate::mp::model::Media;
use crate::Sandbox;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::mp::model::MEDIA_TTL;
/// The largest upload body: the 10 MB media limit plus multipart overhead.
pub const UPLOAD_BODY_LIMIT: usize = 10 * 1024 * 1024 + 64 * 1024;

/// WeChat's per-type size limits.
fn max_size(kind: &str) -> Option<usize> {
    match kind {
        "image" => Some(10 * 1024 * 1024),
        "voice" => Some(2 * 1024 * 1024),
        "video" => Some(10 * 1024 * 1024),
        "thumb" => Some(64 * 1024),
        _ => None,
    }
}

#[derive(Deserialize)]
struct UploadQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub async fn upload_media(sb: Sandbox, appid: AppId, req: Request) -> Response {
    upload(sb, appid, req).await.into_response()
}

async fn upload(sb: Sandbox, appid: AppId, req: Request) -> WxResult {
    let q: UploadQuery = WxQuery::try_from_query(req.uri().query())?;
    let kind = q.kind.unwrap_or_default();
    let max = max_size(&kind).ok_or_else(|| WxError::new(code::INVALID_MEDIA_TYPE))?;
    let mut mp = Multipart::from_request(req, &())
        .await
        .map_err(|_| WxError::new(code::MEDIA_DATA_MISSING))?;
    let mut file = None;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() != Some("media") {
            continue;
        }
        let filename = field.file_name().unwrap_or("media").to_owned();
        let ct = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let data = field
            .bytes()
            .await
            .map_err(|_| WxError::new(code::MEDIA_DATA_MISSING))?;
        file = Some((filename, ct, data));
        break;
    }
    let (filename, content_type, data) =
        file.ok_or_else(|| WxError::new(code::MEDIA_DATA_MISSING))?;
    if data.is_empty() {
        return Err(WxError::new(code::MEDIA_DATA_MISSING));
    }
    if data.len() > max {
        return Err(WxError::new(code::INVALID_IMAGE_SIZE));
    }
    let now = sb.now();
    let media_id = format!("{}_{}", random_alnum(32), random_alnum(30));
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    acct.media.retain(|_, m| now < m.created_at + MEDIA_TTL);
    acct.media.insert(
        media_id.clone(),
        Media {
            media_type: kind.clone(),
            content_type,
            filename,
            data: data.to_vec(),
            created_at: now,
        },
    );
    let key = if kind == "thumb" {
        "thumb_media_id"
    } else {
        "media_id"
    };
    Ok(Json(
        json!({"type": kind, key: media_id, "created_at": now}),
    ))
}

#[derive(Deserialize)]
struct GetQuery {
    media_id: Option<String>,
}

pub async fn get_media(sb: Sandbox, appid: AppId, req: Request) -> Response {
    let r = (|| {
        let q: GetQuery = WxQuery::try_from_query(req.uri().query())?;
        let id = q
            .media_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| WxError::new(code::MEDIA_ID_MISSING))?;
        let now = sb.now();
        let st = sb.state();
        let m = st
            .mp_account(&appid)?
            .media
            .get(&id)
            .filter(|m| now < m.created_at + MEDIA_TTL)
            .cloned()
            .ok_or_else(|| WxError::new(code::INVALID_MEDIA_ID))?;
        Ok::<_, WxError>((id, m))
    })();
    match r {
        Ok((_, m)) => (
            [
                (header::CONTENT_TYPE, m.content_type),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", m.filename.replace('"', "")),
                ),
            ],
            m.data,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
