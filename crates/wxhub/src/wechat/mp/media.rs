//! Temporary media (kept by WeChat for 3 days): `cgi-bin/media/upload` (multipart, field
//! `media`) and `cgi-bin/media/get` (the file's bytes; a video answers its URL as JSON).
//! Neither fits [`Endpoint`](crate::wechat::Endpoint), so both go through
//! [`Api::with_token`] — the same retry path.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::wechat::call::{Api, CallError};
use crate::wechat::client::{parse_answer, Download};
use crate::wechat::error::WeChatError;
use crate::wechat::retry::TokenHandle;

/// WeChat's media types, with its size limits: image 10 MB, voice 2 MB, video 10 MB,
/// thumb 64 KB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    Image,
    Voice,
    Video,
    Thumb,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Voice => "voice",
            Self::Video => "video",
            Self::Thumb => "thumb",
        }
    }
}

/// One file to upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub kind: MediaType,
    pub filename: String,
    pub content_type: String,
    pub data: Bytes,
}

/// `{"type", "media_id" | "thumb_media_id", "created_at"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Uploaded {
    #[serde(rename = "type")]
    pub kind: MediaType,
    /// A thumb's id comes as `thumb_media_id`.
    #[serde(alias = "thumb_media_id")]
    pub media_id: String,
    pub created_at: i64,
}

/// What `media/get` hands back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    File {
        content_type: String,
        data: Bytes,
    },
    /// Videos are not downloaded but linked.
    VideoUrl(String),
}

#[derive(Deserialize)]
struct VideoUrl {
    video_url: String,
}

/// Uploads a temporary media file.
pub async fn upload<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    file: &Upload,
) -> Result<Uploaded, CallError<H::Error>> {
    api.with_token(tokens, |api, token| async move {
        // A form is consumed by sending, so each attempt builds its own.
        let part = reqwest::multipart::Part::stream(file.data.clone())
            .file_name(file.filename.clone())
            .mime_str(&file.content_type)
            .map_err(|e| WeChatError::Decode(format!("content type: {e}")))?;
        let form = reqwest::multipart::Form::new().part("media", part);
        let query = [
            ("access_token", token.expose()),
            ("type", file.kind.as_str()),
        ];
        api.client
            .post_multipart(api.api_base, "cgi-bin/media/upload", &query, form)
            .await
    })
    .await
}

/// Downloads a temporary media file.
pub async fn get<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    media_id: &str,
) -> Result<Media, CallError<H::Error>> {
    api.with_token(tokens, |api, token| async move {
        let query = [("access_token", token.expose()), ("media_id", media_id)];
        let download = api
            .client
            .get_bytes(api.api_base, "cgi-bin/media/get", &query)
            .await?;
        media_of(download)
    })
    .await
}

fn media_of(download: Download) -> Result<Media, WeChatError> {
    if download.is_json() {
        let video: VideoUrl = parse_answer(&download.bytes)?;
        return Ok(Media::VideoUrl(video.video_url));
    }
    Ok(Media::File {
        content_type: download.content_type,
        data: download.bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(body: &str) -> Download {
        Download {
            content_type: "application/json; encoding=utf-8".into(),
            disposition: None,
            bytes: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn a_json_answer_is_an_error_or_a_video_url() {
        assert_eq!(
            media_of(json(r#"{"errcode":40007,"errmsg":"invalid media_id"}"#))
                .expect_err("error")
                .errcode(),
            Some(40007)
        );
        assert_eq!(
            media_of(json(r#"{"video_url":"http://v"}"#)).expect("video"),
            Media::VideoUrl("http://v".into())
        );
    }

    #[test]
    fn a_thumb_upload_answers_thumb_media_id() {
        let u: Uploaded =
            serde_json::from_str(r#"{"type":"thumb","thumb_media_id":"m1","created_at":1}"#)
                .expect("uploaded");
        assert_eq!((u.kind, u.media_id.as_str()), (MediaType::Thumb, "m1"));
    }
}
