use crate::helpers::*;
use serde_json::json;

fn token_path(appid: &str, secret: &str) -> String {
    format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}")
}

#[tokio::test]
async fn token_is_issued_for_7200_seconds_and_counted() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let v = t.wx_ok(&token_path(APPID, SECRET), None).await;
    assert_eq!(v["expires_in"], 7200);
    assert!(v["access_token"].as_str().is_some_and(|s| s.len() > 64));
    assert_eq!(t.token_fetches().await, 1);
}

#[tokio::test]
async fn token_errors_follow_wechat() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    t.wx_err(&token_path("wxnope", SECRET), None, 40013).await;
    t.wx_err(&token_path(APPID, "wrong"), None, 40125).await;
    t.wx_err(
        &format!("/cgi-bin/token?grant_type=password&appid={APPID}&secret={SECRET}"),
        None,
        40002,
    )
    .await;
    t.wx_err(
        &format!("/cgi-bin/token?grant_type=client_credential&appid={APPID}"),
        None,
        41004,
    )
    .await;
    assert_eq!(t.token_fetches().await, 0);
}

#[tokio::test]
async fn api_calls_check_the_token() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    t.wx_err("/cgi-bin/getcallbackip", None, 41001).await;
    t.wx_err("/cgi-bin/getcallbackip?access_token=bogus", None, 40001)
        .await;
    let tok = t.token().await;
    let v = t
        .wx_ok(&format!("/cgi-bin/getcallbackip?access_token={tok}"), None)
        .await;
    assert!(v["ip_list"].as_array().is_some_and(|l| l
        .iter()
        .any(|ip| ip.as_str().is_some_and(|s| s.contains('/')))));
    t.advance(7200).await;
    t.wx_err(
        &format!("/cgi-bin/getcallbackip?access_token={tok}"),
        None,
        42001,
    )
    .await;
}

#[tokio::test]
async fn previous_token_stays_valid_for_five_minutes_only() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let old = t.token().await;
    let new = t.token().await;
    assert_ne!(old, new);
    let ip = |tok: &str| format!("/cgi-bin/getcallbackip?access_token={tok}");
    t.wx_ok(&ip(&old), None).await;
    t.advance(299).await;
    t.wx_ok(&ip(&old), None).await;
    t.advance(2).await;
    t.wx_err(&ip(&old), None, 40001).await;
    t.wx_ok(&ip(&new), None).await;
    assert_eq!(t.token_fetches().await, 2);
}

#[tokio::test]
async fn daily_token_quota_answers_45009() {
    let t = T::start().await;
    let (status, _) = t
        .post(
            "/sandbox/mp/accounts",
            json!({"appid": APPID, "secret": SECRET, "token_daily_quota": 2}),
        )
        .await;
    assert_eq!(status, 201);
    t.token().await;
    t.token().await;
    t.wx_err(&token_path(APPID, SECRET), None, 45009).await;
    t.advance(86_400).await;
    t.token().await;
}

#[tokio::test]
async fn stable_token_is_reused_unless_forced() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let body = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET});
    let a = t.wx_ok("/cgi-bin/stable_token", Some(body.clone())).await;
    let b = t.wx_ok("/cgi-bin/stable_token", Some(body.clone())).await;
    assert_eq!(a["access_token"], b["access_token"]);
    assert_eq!(t.token_fetches().await, 1);
    let mut forced = body.clone();
    forced["force_refresh"] = json!(true);
    let c = t.wx_ok("/cgi-bin/stable_token", Some(forced.clone())).await;
    assert_ne!(c["access_token"], a["access_token"]);
    // the forced refresh invalidates the previous stable token at once
    let old = a["access_token"].as_str().unwrap_or_default();
    t.wx_err(
        &format!("/cgi-bin/getcallbackip?access_token={old}"),
        None,
        40001,
    )
    .await;
    // a second force within 30 s returns the current token
    let d = t.wx_ok("/cgi-bin/stable_token", Some(forced)).await;
    assert_eq!(d["access_token"], c["access_token"]);
    assert_eq!(t.token_fetches().await, 2);
    // in its last five minutes, normal mode mints a new one
    t.advance(7200 - 200).await;
    let e = t.wx_ok("/cgi-bin/stable_token", Some(body)).await;
    assert_ne!(e["access_token"], c["access_token"]);
    assert_eq!(e["expires_in"], 7200);
}

#[tokio::test]
async fn jsapi_ticket_is_stable_until_expiry() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let tok = t.token().await;
    let p = format!("/cgi-bin/ticket/getticket?access_token={tok}&type=jsapi");
    let a = t.wx_ok(&p, None).await;
    let b = t.wx_ok(&p, None).await;
    assert_eq!(a["ticket"], b["ticket"]);
    assert_eq!(a["errmsg"], "ok");
    t.wx_err(
        &format!("/cgi-bin/ticket/getticket?access_token={tok}&type=x"),
        None,
        40097,
    )
    .await;
}

#[tokio::test]
async fn unknown_path_and_wrong_method_answer_wechat_json() {
    let t = T::start().await;
    let (status, v) = t.get("/cgi-bin/nope").await;
    assert_eq!(status, 404);
    assert_eq!(v["errcode"], 40066);
    let (status, v) = t.get("/cgi-bin/stable_token").await;
    assert_eq!(status, 405);
    assert_eq!(v["errcode"], 43002);
}

#[tokio::test]
async fn faults_inject_errcode_status_and_are_counted() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let (s, _) = t
        .post(
            "/sandbox/faults",
            json!({"path": "/cgi-bin/token", "errcode": -1, "count": 1}),
        )
        .await;
    assert_eq!(s, 201);
    t.wx_err(&token_path(APPID, SECRET), None, -1).await;
    t.token().await;
    let (s, _) = t
        .post(
            "/sandbox/faults",
            json!({"path": "/cgi-bin/token", "http_status": 503}),
        )
        .await;
    assert_eq!(s, 201);
    let (status, _) = t.get(&token_path(APPID, SECRET)).await;
    assert_eq!(status, 503);
    let r = t
        .http
        .delete(t.url("/sandbox/faults"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status().as_u16(), 204);
    t.token().await;
}

#[tokio::test]
async fn driver_rejects_duplicates_and_bad_input() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let (s, v) = t
        .post(
            "/sandbox/mp/accounts",
            json!({"appid": APPID, "secret": "x"}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "conflict");
    let (s, _) = t.post("/sandbox/mp/accounts", json!({"appid": 1})).await;
    assert_eq!(s, 400);
    let (s, _) = t.get("/sandbox/mp/accounts/wxnone").await;
    assert_eq!(s, 404);
    let (s, v) = t.get(&format!("/sandbox/mp/accounts/{APPID}")).await;
    assert_eq!(s, 200);
    assert!(v.get("secret").is_none());
}

#[tokio::test]
async fn concurrent_token_fetches_are_each_counted() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let path = token_path(APPID, SECRET);
    let calls = (0..20).map(|_| t.get(&path));
    let answers = futures::future::join_all(calls).await;
    let tokens: std::collections::HashSet<String> = answers
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, 200);
            v["access_token"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(tokens.len(), 20);
    assert_eq!(t.token_fetches().await, 20);
}

#[tokio::test]
async fn stable_token_force_refresh_is_limited_to_20_a_day() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let forced = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": true});
    for _ in 0..20 {
        t.wx_ok("/cgi-bin/stable_token", Some(forced.clone())).await;
        t.advance(31).await;
    }
    t.wx_err("/cgi-bin/stable_token", Some(forced.clone()), 45009)
        .await;
    assert_eq!(t.token_fetches().await, 20);
    t.advance(86_400).await;
    t.wx_ok("/cgi-bin/stable_token", Some(forced)).await;
}

#[tokio::test]
async fn stable_and_normal_tokens_do_not_replace_each_other() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let normal = t.token().await;
    let body = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET});
    let stable = t.wx_ok("/cgi-bin/stable_token", Some(body)).await;
    t.advance(600).await;
    for tok in [
        normal.as_str(),
        stable["access_token"].as_str().unwrap_or_default(),
    ] {
        t.wx_ok(&format!("/cgi-bin/getcallbackip?access_token={tok}"), None)
            .await;
    }
}
