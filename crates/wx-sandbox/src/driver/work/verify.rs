//! `POST /sandbox/work/corps/{corpid}/apps/{agentid}/verify`: WeCom's callback-URL check, as
//! it runs when an administrator saves the URL — a GET with `msg_signature`, `timestamp`,
//! `nonce` and `echostr`, where `echostr` is encrypted (receive id: the CorpID) and signed;
//! the app passes when it answers the decrypted plaintext, within the callback timeout.

use crate::driver::error::{DriverError, DriverResult};
use crate::driver::work::corps::corp_mut;
use crate::ids::random_alnum;
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use wx_protocol::{callback_signature, EncodingAesKey, MessageCrypt};

pub fn routes() -> Router<Sandbox> {
    Router::new().route(
        "/sandbox/work/corps/{corpid}/apps/{agentid}/verify",
        post(verify_url),
    )
}

async fn verify_url(
    State(sb): State<Sandbox>,
    Path((corpid, agentid)): Path<(String, u32)>,
) -> DriverResult<Json<Value>> {
    let (url, token, key, receive_id) = {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        let app = corp
            .apps
            .get(&agentid)
            .ok_or(DriverError::NotFound("app"))?;
        let url = app
            .callback_url
            .clone()
            .ok_or_else(|| DriverError::Invalid("the app has no callback_url".into()))?;
        (
            url,
            app.token.clone(),
            app.encoding_aes_key.clone(),
            corp.corpid.0.clone(),
        )
    };
    let key = EncodingAesKey::parse(&key)
        .map_err(|_| DriverError::Invalid("the app's encoding_aes_key is invalid".into()))?;
    let plain = random_alnum(19);
    let echostr = MessageCrypt::new(key, receive_id).encrypt(&plain);
    let timestamp = sb.now().to_string();
    let nonce = rand::random::<u32>().to_string();
    let mut u =
        url::Url::parse(&url).map_err(|_| DriverError::Invalid("bad callback_url".into()))?;
    u.query_pairs_mut()
        .append_pair(
            "msg_signature",
            &callback_signature(&token, &timestamp, &nonce, Some(&echostr)),
        )
        .append_pair("timestamp", &timestamp)
        .append_pair("nonce", &nonce)
        .append_pair("echostr", &echostr);
    let answer = sb
        .http()
        .get(u)
        .timeout(sb.config().callback_timeout)
        .send()
        .await;
    let (status, body) = match answer {
        Ok(r) => {
            let status = r.status().as_u16();
            (Some(status), r.text().await.unwrap_or_default())
        }
        Err(_) => (None, String::new()),
    };
    let passed = status == Some(200) && body.trim() == plain;
    Ok(Json(json!({"passed": passed, "http_status": status})))
}
