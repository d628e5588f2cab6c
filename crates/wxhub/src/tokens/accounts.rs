//! The token centre's view of the accounts service: credentials by account id.

use async_trait::async_trait;

use super::error::TokenError;
use super::key::AppIdentity;
use super::service::CredentialsLookup;
use super::source::AppCredentials;
use crate::accounts::error::AccountError;
use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::AccountService;
use crate::cache::TokenValue;

/// [`CredentialsLookup`] over the accounts service.
pub struct AccountsLookup {
    pub accounts: AccountService,
    /// `[tokens] prefer_stable_token`.
    pub prefer_stable: bool,
}

#[async_trait]
impl CredentialsLookup for AccountsLookup {
    async fn app_credentials(&self, account: &str) -> Result<Option<AppCredentials>, TokenError> {
        let Ok(id) = AccountId::parse(account) else {
            return Ok(None);
        };
        let creds = match self.accounts.credentials(&id).await {
            Ok(creds) => creds,
            Err(AccountError::NotFound(_)) => return Ok(None),
            Err(err) => {
                tracing::error!(account, error = %err, "reading account credentials failed");
                return Err(TokenError::Internal("reading account credentials".into()));
            }
        };
        let app = match &creds.app {
            AccountApp::Mp { appid } => AppIdentity::Mp {
                appid: appid.as_str().to_owned(),
            },
            AccountApp::Work { corpid, agentid } => AppIdentity::Work {
                corpid: corpid.as_str().to_owned(),
                agentid: agentid.to_string(),
            },
        };
        let prefer_stable = self.prefer_stable && matches!(app, AppIdentity::Mp { .. });
        Ok(Some(AppCredentials {
            account: account.to_owned(),
            app,
            secret: TokenValue::new(creds.secret.expose().clone()),
            contacts_secret: creds
                .contacts_secret
                .as_ref()
                .map(|s| TokenValue::new(s.expose().clone())),
            api_base: creds.api_base.clone(),
            prefer_stable,
        }))
    }
}
