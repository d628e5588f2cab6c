//! `POST /sandbox/mp/accounts/{appid}/verify`: WeChat's server-URL check, as it runs when a
//! developer saves the URL in the console — a GET with `signature`, `timestamp`, `nonce`
//! and `echostr`; the app passes when it echoes `echostr` back.

use crate::driver::error::{DriverError, DriverResult};
use crate::ids::{random_alnum, AppId};
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use wx_protocol::callback_signature;

pub fn routes() -> Router<Sandbox> {
    Router::new().route("/sandbox/mp/accounts/{appid}/verify", post(verify_url))
}

async fn verify_url(
    State(sb): State<Sandbox>,
    Path(appid): Path<String>,
) -> DriverResult<Json<Value>> {
    let (url, token) = {
        let st = sb.state();
        let acct = st
            .mp
            .get(&AppId::from(appid))
            .ok_or(DriverError::NotFound("account"))?;
        let url = acct
            .callback_url
            .clone()
            .ok_or_else(|| DriverError::Invalid("the account has no callback_url".into()))?;
        (url, acct.token.clone())
    };
    let timestamp = sb.now().to_string();
    let nonce = rand::random::<u32>().to_string();
    let echostr = random_alnum(19);
    let mut u =
        url::Url::parse(&url).map_err(|_| DriverError::Invalid("bad callback_url".into()))?;
    u.query_pairs_mut()
        .append_pair(
            "signature",
            &callback_signature(&token, &timestamp, &nonce, None),
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
    let passed = status == Some(200) && body.trim() == echostr;
    Ok(Json(json!({"passed": passed, "http_status": status})))
}
