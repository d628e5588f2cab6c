//! Web OAuth over HTTP: the authorize page, code → web token → userinfo, refresh, sns/auth,
//! the OAuth domain check, and WeCom's code → userid.

use crate::helpers::*;
use crate::work_support::*;
use serde_json::{json, Value};

/// A client that shows redirects instead of following them (the browser's first hop).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn new_user(t: &T) -> String {
    let (s, v) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/users"),
            json!({"nickname": "小明"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["openid"].as_str().expect("openid").to_owned()
}

fn authorize(appid: &str, redirect: &str, scope: &str, extra: &str) -> String {
    let r: String = url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect();
    format!(
        "/connect/oauth2/authorize?appid={appid}&redirect_uri={r}&response_type=code&scope={scope}&state=xyz{extra}"
    )
}

/// Follows the consent link; returns the redirect's query parameters.
async fn consent(t: &T, path: &str) -> std::collections::HashMap<String, String> {
    let r = browser().get(t.url(path)).send().await.expect("GET");
    assert_eq!(r.status().as_u16(), 302, "{:?}", r.text().await);
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    assert!(loc.starts_with("https://app.example.com/cb?"), "{loc}");
    url::Url::parse(&loc)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

fn exchange(code: &str) -> String {
    format!(
        "/sns/oauth2/access_token?appid={APPID}&secret={SECRET}&code={code}&grant_type=authorization_code"
    )
}

#[tokio::test]
async fn userinfo_flow_code_token_profile_refresh() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let openid = new_user(&t).await;
    let q = consent(
        &t,
        &authorize(
            APPID,
            "https://app.example.com/cb?x=1",
            "snsapi_userinfo",
            &format!("&openid={openid}"),
        ),
    )
    .await;
    assert_eq!(q["state"], "xyz");
    assert_eq!(q["x"], "1");
    let code = &q["code"];
    let tok = t.wx_ok(&exchange(code), None).await;
    assert_eq!(tok["openid"], openid.as_str());
    assert_eq!(tok["scope"], "snsapi_userinfo");
    assert_eq!(tok["expires_in"], 7200);
    assert!(tok["unionid"].is_string());
    // Single use.
    t.wx_err(&exchange(code), None, 40163).await;

    let access = tok["access_token"].as_str().expect("token");
    let info = t
        .wx_ok(
            &format!("/sns/userinfo?access_token={access}&openid={openid}&lang=zh_CN"),
            None,
        )
        .await;
    assert_eq!(info["nickname"], "小明");
    assert_eq!(info["privilege"], json!([]));
    t.wx_ok(
        &format!("/sns/auth?access_token={access}&openid={openid}"),
        None,
    )
    .await;
    t.wx_err(
        &format!("/sns/auth?access_token={access}&openid=oOther"),
        None,
        40003,
    )
    .await;
    // A web token is not an API token.
    t.wx_err(
        &format!("/cgi-bin/getcallbackip?access_token={access}"),
        None,
        40001,
    )
    .await;

    let refresh = tok["refresh_token"].as_str().expect("refresh");
    t.advance(7200).await;
    t.wx_err(
        &format!("/sns/userinfo?access_token={access}&openid={openid}"),
        None,
        42001,
    )
    .await;
    let again = t
        .wx_ok(
            &format!("/sns/oauth2/refresh_token?appid={APPID}&grant_type=refresh_token&refresh_token={refresh}"),
            None,
        )
        .await;
    assert_ne!(again["access_token"], tok["access_token"]);
    assert_eq!(again["refresh_token"], refresh);
    let access2 = again["access_token"].as_str().expect("token");
    t.wx_ok(
        &format!("/sns/userinfo?access_token={access2}&openid={openid}"),
        None,
    )
    .await;
    t.wx_err(
        &format!(
            "/sns/oauth2/refresh_token?appid={APPID}&grant_type=refresh_token&refresh_token=bogus"
        ),
        None,
        40030,
    )
    .await;
    t.advance(30 * 86_400).await;
    t.wx_err(
        &format!("/sns/oauth2/refresh_token?appid={APPID}&grant_type=refresh_token&refresh_token={refresh}"),
        None,
        42002,
    )
    .await;
}

#[tokio::test]
async fn base_scope_gets_openid_only_and_codes_expire() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let openid = new_user(&t).await;
    let path = authorize(
        APPID,
        "https://app.example.com/cb",
        "snsapi_base",
        &format!("&openid={openid}"),
    );
    let q = consent(&t, &path).await;
    let tok = t.wx_ok(&exchange(&q["code"]), None).await;
    assert_eq!(tok["scope"], "snsapi_base");
    assert!(tok.get("unionid").is_none());
    let access = tok["access_token"].as_str().expect("token");
    t.wx_err(
        &format!("/sns/userinfo?access_token={access}&openid={openid}"),
        None,
        48001,
    )
    .await;

    let q = consent(&t, &path).await;
    t.advance(301).await;
    t.wx_err(&exchange(&q["code"]), None, 40029).await;
    t.wx_err(&exchange("nonsense"), None, 40029).await;
    let q = consent(&t, &path).await;
    t.wx_err(
        &format!("/sns/oauth2/access_token?appid={APPID}&secret=wrong&code={}&grant_type=authorization_code", q["code"]),
        None,
        40125,
    )
    .await;
    t.wx_err(
        &format!(
            "/sns/oauth2/access_token?appid={APPID}&secret={SECRET}&grant_type=authorization_code"
        ),
        None,
        41008,
    )
    .await;
    // The refused attempts above did not use the code up.
    t.wx_ok(&exchange(&q["code"]), None).await;
}

#[tokio::test]
async fn authorize_page_lists_users_as_consent_links() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let openid = new_user(&t).await;
    let r = browser()
        .get(t.url(&authorize(
            APPID,
            "https://app.example.com/cb",
            "snsapi_userinfo",
            "",
        )))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("小明"), "{html}");
    let start = html.find("href=\"").expect("a link") + 6;
    let end = start + html[start..].find('"').expect("end of link");
    let link = html[start..end].replace("&amp;", "&");
    assert!(link.contains(&format!("openid={openid}")), "{link}");
    let q = consent(&t, &link).await;
    assert_eq!(q["state"], "xyz");
}

async fn page_error(t: &T, path: &str) -> (u16, String, String) {
    let r = browser().get(t.url(path)).send().await.expect("GET");
    let status = r.status().as_u16();
    let code = r
        .headers()
        .get("x-sandbox-errcode")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, code, r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn oauth_domain_restricts_redirect_hosts_with_10003() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let openid = new_user(&t).await;
    let extra = format!("&openid={openid}");
    // No domain configured: any host.
    consent(
        &t,
        &authorize(APPID, "https://app.example.com/cb", "snsapi_base", &extra),
    )
    .await;
    let (s, v) = t
        .http
        .patch(t.url(&format!("/sandbox/mp/accounts/{APPID}")))
        .json(&json!({"oauth_domain": "app.example.com"}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .expect("PATCH");
    assert_eq!(s, 200, "{:?}", v.text().await);
    consent(
        &t,
        &authorize(APPID, "https://app.example.com/cb", "snsapi_base", &extra),
    )
    .await;
    let (status, code, html) = page_error(
        &t,
        &authorize(APPID, "https://evil.example.com/cb", "snsapi_base", &extra),
    )
    .await;
    assert_eq!((status, code.as_str()), (200, "10003"));
    assert!(html.contains("redirect_uri域名与后台配置不一致") && html.contains("10003"));
    let (_, code, _) = page_error(
        &t,
        &authorize(APPID, "https://example.com/cb", "snsapi_base", &extra),
    )
    .await;
    assert_eq!(code, "10003");
}

#[tokio::test]
async fn authorize_refuses_bad_requests() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let cases: Vec<(String, &str)> = vec![
        (authorize("wxnope", "https://a.example/cb", "snsapi_base", ""), "40013"),
        (authorize(APPID, "https://a.example/cb", "snsapi_login", ""), "10005"),
        (
            format!("/connect/oauth2/authorize?appid={APPID}&redirect_uri=https%3A%2F%2Fa.example&response_type=code"),
            "10010",
        ),
        (format!("/connect/oauth2/authorize?appid={APPID}&scope=snsapi_base"), "10011"),
        ("/connect/oauth2/authorize?scope=snsapi_base".to_owned(), "10012"),
        (authorize(APPID, "https://a.example/cb", "snsapi_base", "&openid=ghost"), "40003"),
    ];
    for (path, want) in cases {
        let (status, code, _) = page_error(&t, &path).await;
        assert_eq!((status, code.as_str()), (200, want), "{path}");
    }
}

#[tokio::test]
async fn wecom_code_exchanges_for_the_member_userid() {
    let t = T::start().await;
    t.corp(None).await;
    t.member("zhaoliu", &[1]).await;
    let path = |extra: &str| {
        authorize(
            CORPID,
            "https://app.example.com/cb",
            "snsapi_base",
            &format!("&agentid={AGENTID}{extra}"),
        )
    };
    let html = browser()
        .get(t.url(&path("")))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("html");
    assert!(html.contains("zhaoliu"), "{html}");
    let q = consent(&t, &path("&userid=zhaoliu")).await;
    let tok = t.work_token(APP_SECRET).await;
    let v: Value = t
        .wx_ok(
            &format!(
                "/cgi-bin/auth/getuserinfo?access_token={tok}&code={}",
                q["code"]
            ),
            None,
        )
        .await;
    assert_eq!(v["userid"], "zhaoliu");
    t.wx_err(
        &format!(
            "/cgi-bin/auth/getuserinfo?access_token={tok}&code={}",
            q["code"]
        ),
        None,
        40029,
    )
    .await;
    let q = consent(&t, &path("&userid=zhaoliu")).await;
    let v = t
        .wx_ok(
            &format!(
                "/cgi-bin/user/getuserinfo?access_token={tok}&code={}",
                q["code"]
            ),
            None,
        )
        .await;
    assert_eq!(v["UserId"], "zhaoliu");
    // A code for this app is refused to another app's token, and expires after 5 minutes.
    let q = consent(&t, &path("&userid=zhaoliu")).await;
    let contacts = t.work_token(CONTACTS_SECRET).await;
    t.wx_err(
        &format!(
            "/cgi-bin/auth/getuserinfo?access_token={contacts}&code={}",
            q["code"]
        ),
        None,
        40029,
    )
    .await;
    t.advance(300).await;
    let tok = t.work_token(APP_SECRET).await;
    t.wx_err(
        &format!(
            "/cgi-bin/auth/getuserinfo?access_token={tok}&code={}",
            q["code"]
        ),
        None,
        40029,
    )
    .await;
    t.wx_err(
        &format!("/cgi-bin/auth/getuserinfo?access_token={tok}"),
        None,
        41008,
    )
    .await;
}
