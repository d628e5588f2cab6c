//! `GET /connect/oauth2/authorize`: the consent page WeChat shows in its in-app browser.
//!
//! `appid` names an Official Account, or a WeCom corp (its CorpID, with an optional
//! `agentid`). Without a sandbox consent parameter the page lists who can consent, each a
//! link back here with `openid=` (MP) or `userid=` (WeCom); with one, the code is issued and
//! the browser is sent (302) to `redirect_uri?code=CODE&state=STATE`.
//!
//! Refusals are pages too, as WeChat shows them: HTTP 200, an HTML page with the error text
//! and its code (10003 when `redirect_uri`'s host is not the account's OAuth domain). The
//! code is also in the `X-Sandbox-Errcode` header, for test suites.

use crate::ids::{AppId, CorpId};
use crate::oauth::{Grant, Scope};
use crate::Sandbox;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The most users the page lists; the rest are reachable with `openid=`.
const PAGE_LIMIT: usize = 200;
const MAX_STATE_BYTES: usize = 128;

pub fn routes() -> Router<Sandbox> {
    Router::new().route("/connect/oauth2/authorize", get(authorize))
}

/// An error WeChat shows on its OAuth page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageError {
    pub code: i32,
    pub text: &'static str,
}

const REDIRECT_URI_MISMATCH: PageError = PageError {
    code: 10003,
    text: "redirect_uri域名与后台配置不一致",
};
const NO_SCOPE_PERMISSION: PageError = PageError {
    code: 10005,
    text: "此公众号并没有这些scope的权限",
};
const SCOPE_EMPTY: PageError = PageError {
    code: 10010,
    text: "scope不能为空",
};
const REDIRECT_URI_EMPTY: PageError = PageError {
    code: 10011,
    text: "redirect_uri不能为空",
};
const APPID_EMPTY: PageError = PageError {
    code: 10012,
    text: "appid不能为空",
};
const INVALID_APPID: PageError = PageError {
    code: 40013,
    text: "invalid appid",
};
const STATE_TOO_LONG: PageError = PageError {
    code: 10013,
    text: "state参数过长",
};
/// Sandbox-only: the `openid=` / `userid=` given doesn't belong to the account.
const UNKNOWN_USER: PageError = PageError {
    code: 40003,
    text: "invalid openid",
};

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>微信网页授权</title></head>\
             <body><h2>Oops! Something went wrong:(</h2><p class=\"errmsg\">{}</p>\
             <p class=\"errcode\">错误码：{}</p></body></html>",
            escape(self.text),
            self.code
        );
        let mut r = (StatusCode::OK, Html(body)).into_response();
        r.headers_mut().insert(
            HeaderName::from_static("x-sandbox-errcode"),
            HeaderValue::from(self.code),
        );
        r
    }
}

/// Who the page is for.
enum Target {
    Mp(AppId),
    Work(CorpId, Option<u32>),
}

async fn authorize(State(sb): State<Sandbox>, RawQuery(q): RawQuery) -> Response {
    let params: BTreeMap<String, String> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    match run(&sb, &params) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn run(sb: &Sandbox, p: &BTreeMap<String, String>) -> Result<Response, PageError> {
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let appid = get("appid").ok_or(APPID_EMPTY)?;
    let redirect_uri = get("redirect_uri").ok_or(REDIRECT_URI_EMPTY)?;
    let scope_text = get("scope").ok_or(SCOPE_EMPTY)?;
    let state = p.get("state").cloned().unwrap_or_default();
    if state.len() > MAX_STATE_BYTES {
        return Err(STATE_TOO_LONG);
    }
    let redirect = url::Url::parse(redirect_uri).map_err(|_| REDIRECT_URI_MISMATCH)?;
    if !matches!(redirect.scheme(), "http" | "https") {
        return Err(REDIRECT_URI_MISMATCH);
    }
    let now = sb.now();
    let mut st = sb.state();
    let (target, oauth_domain) = if let Some(acct) = st.mp.get(&AppId::from(appid)) {
        (Target::Mp(acct.appid.clone()), acct.oauth_domain.clone())
    } else if let Some(corp) = st.work.corps.get(&CorpId::from(appid)) {
        let agentid = get("agentid").and_then(|a| a.parse().ok());
        (Target::Work(corp.corpid.clone(), agentid), None)
    } else {
        return Err(INVALID_APPID);
    };
    if let Some(domain) = oauth_domain {
        if !host_matches(&redirect, &domain) {
            return Err(REDIRECT_URI_MISMATCH);
        }
    }
    let scope = Scope::parse(scope_text).ok_or(NO_SCOPE_PERMISSION)?;
    let (grant, listing) = match &target {
        Target::Mp(appid) => {
            if scope == Scope::SnsapiPrivateinfo {
                return Err(NO_SCOPE_PERMISSION);
            }
            let acct = st.mp.get(appid).ok_or(INVALID_APPID)?;
            match get("openid") {
                Some(openid) => {
                    acct.user(openid).ok_or(UNKNOWN_USER)?;
                    (
                        Some(Grant::Mp {
                            appid: appid.clone(),
                            openid: openid.to_owned(),
                            scope,
                        }),
                        Vec::new(),
                    )
                }
                None => (
                    None,
                    acct.users
                        .values()
                        .take(PAGE_LIMIT)
                        .map(|u| ("openid", u.openid.0.clone(), u.nickname.clone()))
                        .collect(),
                ),
            }
        }
        Target::Work(corpid, agentid) => {
            let corp = st.work.corps.get(corpid).ok_or(INVALID_APPID)?;
            match get("userid") {
                Some(userid) => {
                    corp.members.get(userid).ok_or(UNKNOWN_USER)?;
                    (
                        Some(Grant::Work {
                            corpid: corpid.clone(),
                            agentid: *agentid,
                            userid: userid.to_owned(),
                            scope,
                        }),
                        Vec::new(),
                    )
                }
                None => (
                    None,
                    corp.members
                        .values()
                        .take(PAGE_LIMIT)
                        .map(|m| ("userid", m.userid.clone(), m.name.clone()))
                        .collect(),
                ),
            }
        }
    };
    match grant {
        Some(grant) => {
            let code = st.oauth.issue_code(grant, now);
            drop(st);
            Ok(redirect_with_code(redirect, &code, &state))
        }
        None => {
            drop(st);
            Ok(consent_page(p, scope, &listing))
        }
    }
}

/// WeChat compares the whole host (a subdomain is another domain); an OAuth domain with a
/// port (`127.0.0.1:8080`) also pins the port.
fn host_matches(url: &url::Url, domain: &str) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let domain = domain.trim().trim_end_matches('/');
    match domain.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => {
            host.eq_ignore_ascii_case(h)
                && url
                    .port_or_known_default()
                    .map(|p| p.to_string())
                    .as_deref()
                    == Some(port)
        }
        _ => host.eq_ignore_ascii_case(domain),
    }
}

fn redirect_with_code(mut url: url::Url, code: &str, state: &str) -> Response {
    url.query_pairs_mut()
        .append_pair("code", code)
        .append_pair("state", state);
    let location = url.to_string();
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn consent_page(
    params: &BTreeMap<String, String>,
    scope: Scope,
    users: &[(&'static str, String, String)],
) -> Response {
    let mut body = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>微信网页授权</title></head><body>",
    );
    let _ = write!(
        body,
        "<h2>授权登录</h2><p>scope: {}</p><p>选择以哪位用户的身份同意授权：</p><ul>",
        scope.as_str()
    );
    for (param, id, name) in users {
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            if k != "openid" && k != "userid" {
                link.append_pair(k, v);
            }
        }
        link.append_pair(param, id);
        let _ = write!(
            body,
            "<li><a class=\"consent\" data-{param}=\"{id}\" href=\"/connect/oauth2/authorize?{href}\">{name} ({id})</a></li>",
            param = param,
            id = escape(id),
            href = escape(&link.finish()),
            name = escape(name)
        );
    }
    if users.is_empty() {
        body.push_str("<li>(no simulated users yet)</li>");
    }
    body.push_str("</ul></body></html>");
    Html(body).into_response()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> url::Url {
        url::Url::parse(s).unwrap_or_else(|_| panic!("bad test url {s}"))
    }

    #[test]
    fn host_must_match_exactly() {
        assert!(host_matches(&u("https://www.qq.com/a"), "www.qq.com"));
        assert!(!host_matches(&u("https://pay.qq.com/a"), "www.qq.com"));
        assert!(!host_matches(&u("https://qq.com/a"), "www.qq.com"));
        assert!(host_matches(
            &u("http://127.0.0.1:8080/cb"),
            "127.0.0.1:8080"
        ));
        assert!(!host_matches(
            &u("http://127.0.0.1:9090/cb"),
            "127.0.0.1:8080"
        ));
        assert!(host_matches(&u("http://127.0.0.1:9090/cb"), "127.0.0.1"));
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
