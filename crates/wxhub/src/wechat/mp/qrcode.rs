//! `POST cgi-bin/qrcode/create`: temporary (up to 30 days) and permanent QR codes carrying
//! a numeric scene id or a scene string.

use serde::{Deserialize, Serialize};

use crate::wechat::call::{endpoint, Api, CallError};
use crate::wechat::retry::TokenHandle;

/// `{"expire_seconds"?, "action_name", "action_info": {"scene": {"scene_id" | "scene_str"}}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateQrCode {
    /// Temporary codes only; WeChat's default is 60 s, its maximum 2,592,000 (30 days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_seconds: Option<u32>,
    pub action_name: ActionName,
    pub action_info: ActionInfo,
}
endpoint!(CreateQrCode => QrCode, Post, "cgi-bin/qrcode/create");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ActionName {
    #[serde(rename = "QR_SCENE")]
    Temporary,
    #[serde(rename = "QR_STR_SCENE")]
    TemporaryStr,
    /// Scene ids 1–100,000.
    #[serde(rename = "QR_LIMIT_SCENE")]
    Permanent,
    #[serde(rename = "QR_LIMIT_STR_SCENE")]
    PermanentStr,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionInfo {
    pub scene: Scene,
}

/// What the QR code carries back in the scan event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Scene {
    Id {
        scene_id: u32,
    },
    /// 1–64 characters.
    Str {
        scene_str: String,
    },
}

impl CreateQrCode {
    /// A temporary code, valid `expire_seconds`.
    pub fn temporary(scene: Scene, expire_seconds: u32) -> Self {
        let action_name = match scene {
            Scene::Id { .. } => ActionName::Temporary,
            Scene::Str { .. } => ActionName::TemporaryStr,
        };
        Self {
            expire_seconds: Some(expire_seconds),
            action_name,
            action_info: ActionInfo { scene },
        }
    }

    /// A permanent code (WeChat caps an account at 100,000 of them).
    pub fn permanent(scene: Scene) -> Self {
        let action_name = match scene {
            Scene::Id { .. } => ActionName::Permanent,
            Scene::Str { .. } => ActionName::PermanentStr,
        };
        Self {
            expire_seconds: None,
            action_name,
            action_info: ActionInfo { scene },
        }
    }
}

/// `{"ticket", "expire_seconds"?, "url"}`: the ticket shows the image at
/// `mp.weixin.qq.com/cgi-bin/showqrcode?ticket=…`; `url` is what the image encodes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QrCode {
    pub ticket: String,
    /// Absent for permanent codes.
    #[serde(default)]
    pub expire_seconds: Option<u64>,
    pub url: String,
}

pub async fn create<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &CreateQrCode,
) -> Result<QrCode, CallError<H::Error>> {
    api.call(tokens, request).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn requests_carry_wechats_action_names_and_scene_fields() {
        let json = |r: CreateQrCode| serde_json::to_value(r).expect("json");
        assert_eq!(
            json(CreateQrCode::temporary(Scene::Id { scene_id: 7 }, 600)),
            json!({"expire_seconds": 600, "action_name": "QR_SCENE",
                   "action_info": {"scene": {"scene_id": 7}}})
        );
        assert_eq!(
            json(CreateQrCode::permanent(Scene::Str {
                scene_str: "s1".into()
            })),
            json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "s1"}}})
        );
    }
}
