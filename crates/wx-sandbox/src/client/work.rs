//! [`DriverClient`] calls for WeCom corps and directories, pay merchants, and OAuth consent.

use super::{ClientError, ClientResult, DriverClient, Items};
use crate::driver::api::{ActionResult, Inbox};
use crate::driver::pay::CreateMerchant;
use crate::driver::work::api::{
    AppRestrictions, ChangeResult, ChangeTagMembers, CorpView, CreateApp, CreateAppRequest,
    CreateCorp, CreateDepartment, CreateMember, CreateTag, GenerateDirectory, GeneratedDirectory,
    MemberMessage, UpdateApp, UpdateCorp, UpdateDepartment, UpdateMember,
};
use reqwest::Method;
use serde_json::{json, Value};

impl DriverClient {
    fn corp_path(corpid: &str, tail: &str) -> String {
        format!("/sandbox/work/corps/{corpid}{tail}")
    }

    pub async fn create_corp(&self, req: &CreateCorp) -> ClientResult<CorpView> {
        self.call(Method::POST, "/sandbox/work/corps", Some(req))
            .await
    }

    /// The corp, including `token_fetches` and its apps' current tokens.
    pub async fn corp(&self, corpid: &str) -> ClientResult<CorpView> {
        self.call::<(), _>(Method::GET, &Self::corp_path(corpid, ""), None)
            .await
    }

    pub async fn create_app(&self, corpid: &str, req: &CreateApp) -> ClientResult<CorpView> {
        self.call(Method::POST, &Self::corp_path(corpid, "/apps"), Some(req))
            .await
    }

    /// An app with WeCom's post-2022-06-20 restrictions (fewer member fields, trusted IPs).
    pub async fn create_restricted_app(
        &self,
        corpid: &str,
        app: &CreateApp,
        restrictions: &AppRestrictions,
    ) -> ClientResult<CorpView> {
        let req = CreateAppRequest {
            app: app.clone(),
            restrictions: restrictions.clone(),
        };
        self.call(Method::POST, &Self::corp_path(corpid, "/apps"), Some(&req))
            .await
    }

    /// Changes the corp (name, the contacts secret's trusted IPs).
    pub async fn update_corp(&self, corpid: &str, req: &UpdateCorp) -> ClientResult<CorpView> {
        self.call(Method::PATCH, &Self::corp_path(corpid, ""), Some(req))
            .await
    }

    pub async fn update_app(
        &self,
        corpid: &str,
        agentid: u32,
        req: &UpdateApp,
    ) -> ClientResult<CorpView> {
        let path = Self::corp_path(corpid, &format!("/apps/{agentid}"));
        self.call(Method::PATCH, &path, Some(req)).await
    }

    /// Runs WeCom's callback-URL check against the app; answers `{"passed", "http_status"}`.
    pub async fn verify_work_app(&self, corpid: &str, agentid: u32) -> ClientResult<Value> {
        let path = Self::corp_path(corpid, &format!("/apps/{agentid}/verify"));
        self.call(Method::POST, &path, Some(&json!({}))).await
    }

    /// Fills the directory in bulk (no callbacks).
    pub async fn generate_directory(
        &self,
        corpid: &str,
        req: &GenerateDirectory,
    ) -> ClientResult<GeneratedDirectory> {
        let path = Self::corp_path(corpid, "/directory/generate");
        self.call(Method::POST, &path, Some(req)).await
    }

    /// Creates a member; pushes create_user to every app with a callback URL.
    pub async fn create_member(
        &self,
        corpid: &str,
        req: &CreateMember,
    ) -> ClientResult<ChangeResult> {
        self.call(
            Method::POST,
            &Self::corp_path(corpid, "/members"),
            Some(req),
        )
        .await
    }

    pub async fn update_member(
        &self,
        corpid: &str,
        userid: &str,
        req: &UpdateMember,
    ) -> ClientResult<ChangeResult> {
        let path = Self::corp_path(corpid, &format!("/members/{userid}"));
        self.call(Method::PATCH, &path, Some(req)).await
    }

    pub async fn delete_member(&self, corpid: &str, userid: &str) -> ClientResult<ChangeResult> {
        let path = Self::corp_path(corpid, &format!("/members/{userid}"));
        self.call(Method::DELETE, &path, Some(&json!({}))).await
    }

    pub async fn member(&self, corpid: &str, userid: &str) -> ClientResult<Value> {
        let path = Self::corp_path(corpid, &format!("/members/{userid}"));
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// Everything the member received (app messages, apps' passive replies), newest last.
    pub async fn member_inbox(&self, corpid: &str, userid: &str) -> ClientResult<Inbox> {
        let path = Self::corp_path(corpid, &format!("/members/{userid}/inbox"));
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// The member sends a text to an app; answers the app's decoded passive reply.
    pub async fn member_send_text(
        &self,
        corpid: &str,
        userid: &str,
        agentid: u32,
        content: &str,
    ) -> ClientResult<ActionResult> {
        let path = Self::corp_path(corpid, &format!("/members/{userid}/messages"));
        let msg = MemberMessage {
            agentid,
            kind: "text".to_owned(),
            content: content.to_owned(),
        };
        self.call(Method::POST, &path, Some(&msg)).await
    }

    pub async fn create_department(
        &self,
        corpid: &str,
        req: &CreateDepartment,
    ) -> ClientResult<ChangeResult> {
        let path = Self::corp_path(corpid, "/departments");
        self.call(Method::POST, &path, Some(req)).await
    }

    pub async fn update_department(
        &self,
        corpid: &str,
        id: u64,
        req: &UpdateDepartment,
    ) -> ClientResult<ChangeResult> {
        let path = Self::corp_path(corpid, &format!("/departments/{id}"));
        self.call(Method::PATCH, &path, Some(req)).await
    }

    pub async fn delete_department(&self, corpid: &str, id: u64) -> ClientResult<ChangeResult> {
        let path = Self::corp_path(corpid, &format!("/departments/{id}"));
        self.call(Method::DELETE, &path, Some(&json!({}))).await
    }

    /// Creates a tag; answers its id.
    pub async fn create_work_tag(&self, corpid: &str, req: &CreateTag) -> ClientResult<u64> {
        let v: Value = self
            .call(Method::POST, &Self::corp_path(corpid, "/tags"), Some(req))
            .await?;
        v["tagid"].as_u64().ok_or(ClientError::Status {
            status: 200,
            body: v,
        })
    }

    /// Adds or removes tag members; pushes update_tag.
    pub async fn change_tag_members(
        &self,
        corpid: &str,
        tagid: u64,
        req: &ChangeTagMembers,
    ) -> ClientResult<ChangeResult> {
        let path = Self::corp_path(corpid, &format!("/tags/{tagid}/members"));
        self.call(Method::POST, &path, Some(req)).await
    }

    /// The corp's callback delivery log, newest last.
    pub async fn work_deliveries(&self, corpid: &str) -> ClientResult<Vec<Value>> {
        let items: Items<Value> = self
            .call::<(), _>(Method::GET, &Self::corp_path(corpid, "/callbacks"), None)
            .await?;
        Ok(items.items)
    }

    /// Registers a WeChat Pay merchant for red packets.
    pub async fn create_merchant(&self, req: &CreateMerchant) -> ClientResult<Value> {
        self.call(Method::POST, "/sandbox/pay/merchants", Some(req))
            .await
    }

    /// The merchant: balance, limits and how many red packets it sent.
    pub async fn merchant(&self, mch_id: &str) -> ClientResult<Value> {
        let path = format!("/sandbox/pay/merchants/{mch_id}");
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// Plays the user on the OAuth page: consents as `user` (an openid for an Official
    /// Account, a userid for a WeCom corp) and answers the `code` from the redirect.
    pub async fn oauth_consent(
        &self,
        appid: &str,
        user: &str,
        redirect_uri: &str,
        scope: &str,
        state: &str,
    ) -> ClientResult<String> {
        let mut url = url::Url::parse(&format!("{}/connect/oauth2/authorize", self.base_url()))
            .map_err(|_| ClientError::Status {
                status: 0,
                body: json!({"error": "bad base url"}),
            })?;
        url.query_pairs_mut()
            .append_pair("appid", appid)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", state)
            // The page reads `openid` for an Official Account and `userid` for a corp.
            .append_pair("openid", user)
            .append_pair("userid", user);
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let resp = no_redirects.get(url).send().await?;
        let status = resp.status().as_u16();
        let code = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|l| {
                l.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            });
        match code {
            Some(c) if status == 302 => Ok(c),
            _ => {
                let errcode = resp
                    .headers()
                    .get("x-sandbox-errcode")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                Err(ClientError::Status {
                    status,
                    body: json!({"errcode": errcode}),
                })
            }
        }
    }
}
