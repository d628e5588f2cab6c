//! Credentials as WeChat issues them (access_token, tickets), shared by the Official
//! Account and WeCom token calls. Each answer's `expires_in` is returned as given, never
//! assumed.

use serde::Deserialize;

/// A credential as WeChat hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub value: String,
    pub expires_in: u64,
}

#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
pub(crate) struct TicketAnswer {
    ticket: String,
    expires_in: u64,
}

impl From<TokenAnswer> for Issued {
    fn from(a: TokenAnswer) -> Self {
        Self {
            value: a.access_token,
            expires_in: a.expires_in,
        }
    }
}

impl From<TicketAnswer> for Issued {
    fn from(a: TicketAnswer) -> Self {
        Self {
            value: a.ticket,
            expires_in: a.expires_in,
        }
    }
}

/// `GET path?query` for a JS-SDK ticket, in WeChat's `{ticket, expires_in}` shape.
pub(crate) async fn fetch_ticket(
    client: &super::WeChatClient,
    api_base: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Result<Issued, super::WeChatError> {
    let answer: TicketAnswer = client.get_json(api_base, path, query).await?;
    Ok(answer.into())
}
