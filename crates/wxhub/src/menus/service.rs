//! An Official Account's custom menus through WeChat's `menu/*` calls with the account's
//! token: the default menu, conditional menus, and which menu a user would see. Menus come
//! here checked ([`Menu`], [`MatchRule`]); the hub keeps no copy, WeChat's is the one.

use tracing::instrument;

use super::error::MenuError;
use super::model::{ButtonSpec, ConditionalShown, MatchRule, MatchRuleView, Menu, MenuShown};
use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::{Account, AccountService};
use crate::core::InvalidAt;
use crate::tags::TagService;
use crate::tokens::TokenService;
use crate::wechat::mp::menu as wx_menu;
use crate::wechat::{Api, WeChatClient};

#[derive(Clone)]
pub struct MenuService {
    accounts: AccountService,
    tokens: TokenService,
    tags: TagService,
    client: WeChatClient,
}

fn to_wire(spec: &ButtonSpec) -> wx_menu::Button {
    wx_menu::Button {
        name: spec.name.clone().unwrap_or_default(),
        kind: spec.kind.clone(),
        key: spec.key.clone(),
        url: spec.url.clone(),
        media_id: spec.media_id.clone(),
        article_id: spec.article_id.clone(),
        appid: spec.appid.clone(),
        pagepath: spec.pagepath.clone(),
        sub_button: spec.sub_button.iter().map(to_wire).collect(),
    }
}

fn from_wire(b: wx_menu::Button) -> ButtonSpec {
    ButtonSpec {
        name: Some(b.name),
        kind: b.kind,
        key: b.key,
        url: b.url,
        media_id: b.media_id,
        article_id: b.article_id,
        appid: b.appid,
        pagepath: b.pagepath,
        sub_button: b.sub_button.into_iter().map(from_wire).collect(),
    }
}

fn buttons(menu: &Menu) -> Vec<wx_menu::Button> {
    menu.to_spec().iter().map(to_wire).collect()
}

fn rule_to_wire(rule: &MatchRule) -> wx_menu::MatchRule {
    wx_menu::MatchRule {
        tag_id: rule.tag_id.map(|t| t.to_string()),
        sex: rule.sex.map(|s| s.code().to_string()),
        country: rule.country.clone(),
        province: rule.province.clone(),
        city: rule.city.clone(),
        client_platform_type: rule.client_platform_type.map(|p| p.code().to_string()),
        language: rule.language.clone(),
    }
}

fn rule_from_wire(r: wx_menu::MatchRule) -> MatchRuleView {
    MatchRuleView {
        tag_id: r.tag_id,
        sex: r.sex,
        country: r.country,
        province: r.province,
        city: r.city,
        client_platform_type: r.client_platform_type,
        language: r.language,
    }
}

impl MenuService {
    pub fn new(
        accounts: AccountService,
        tokens: TokenService,
        tags: TagService,
        client: WeChatClient,
    ) -> Self {
        MenuService {
            accounts,
            tokens,
            tags,
            client,
        }
    }

    async fn official_account(&self, id: &AccountId) -> Result<Account, MenuError> {
        let account = self.accounts.get(id).await?;
        match account.app {
            AccountApp::Mp { .. } => Ok(account),
            AccountApp::Work { .. } => Err(MenuError::NotAnOfficialAccount(id.clone())),
        }
    }

    fn api<'a>(&'a self, account: &'a Account) -> Api<'a> {
        Api::for_account(&self.client, &account.api_base, account.id.as_str())
    }

    /// The default menu and every conditional menu, as WeChat has them.
    pub async fn get(&self, account: &AccountId) -> Result<MenuShown, MenuError> {
        let account = self.official_account(account).await?;
        let tokens = self.tokens.handle(account.id.as_str());
        let info = wx_menu::get(&self.api(&account), &tokens)
            .await
            .map_err(MenuError::wechat("reading the menu"))?;
        Ok(MenuShown {
            button: info.menu.button.into_iter().map(from_wire).collect(),
            menuid: info.menu.menuid,
            conditional: info
                .conditionalmenu
                .into_iter()
                .map(|c| ConditionalShown {
                    menuid: c.menuid,
                    button: c.button.into_iter().map(from_wire).collect(),
                    matchrule: rule_from_wire(c.matchrule),
                })
                .collect(),
        })
    }

    /// Makes `menu` the account's default menu (WeChat replaces the old one).
    #[instrument(skip_all, fields(account = %account))]
    pub async fn set(&self, account: &AccountId, menu: &Menu) -> Result<(), MenuError> {
        let account = self.official_account(account).await?;
        let tokens = self.tokens.handle(account.id.as_str());
        let request = wx_menu::CreateMenu {
            button: buttons(menu),
        };
        wx_menu::create(&self.api(&account), &tokens, &request)
            .await
            .map_err(MenuError::wechat("creating the menu"))?;
        tracing::info!(buttons = menu.buttons().len(), "menu created");
        Ok(())
    }

    /// Deletes the default menu and, with it, every conditional menu (WeChat's rule).
    #[instrument(skip_all, fields(account = %account))]
    pub async fn delete(&self, account: &AccountId) -> Result<(), MenuError> {
        let account = self.official_account(account).await?;
        let tokens = self.tokens.handle(account.id.as_str());
        wx_menu::delete(&self.api(&account), &tokens)
            .await
            .map_err(MenuError::wechat("deleting the menu"))?;
        tracing::info!("menu deleted");
        Ok(())
    }

    /// Adds a conditional menu for the followers `rule` matches; its `menuid`. A rule's tag
    /// must be one of the account's.
    #[instrument(skip_all, fields(account = %account))]
    pub async fn add_conditional(
        &self,
        account: &AccountId,
        menu: &Menu,
        rule: &MatchRule,
    ) -> Result<u64, MenuError> {
        let account = self.official_account(account).await?;
        if let Some(tag) = rule.tag_id {
            if !self.tags.has_tag(&account.id, tag).await? {
                return Err(InvalidAt::new(
                    "matchrule.tag_id",
                    "unknown_tag",
                    format!(
                        "the account has no tag {tag} (GET /api/v1/accounts/{}/tags)",
                        account.id
                    ),
                )
                .into());
            }
        }
        let tokens = self.tokens.handle(account.id.as_str());
        let request = wx_menu::AddConditional {
            button: buttons(menu),
            matchrule: rule_to_wire(rule),
        };
        let created = wx_menu::add_conditional(&self.api(&account), &tokens, &request)
            .await
            .map_err(MenuError::wechat("adding the conditional menu"))?;
        tracing::info!(menuid = created.menuid, "conditional menu added");
        Ok(created.menuid)
    }

    #[instrument(skip_all, fields(account = %account, menuid))]
    pub async fn delete_conditional(
        &self,
        account: &AccountId,
        menuid: u64,
    ) -> Result<(), MenuError> {
        let account = self.official_account(account).await?;
        let tokens = self.tokens.handle(account.id.as_str());
        wx_menu::delete_conditional(
            &self.api(&account),
            &tokens,
            &wx_menu::DelConditional { menuid },
        )
        .await
        .map_err(MenuError::wechat("deleting the conditional menu"))?;
        tracing::info!("conditional menu deleted");
        Ok(())
    }

    /// The menu `user_id` (an openid, or a WeChat id) would see (`menu/trymatch`).
    pub async fn try_match(
        &self,
        account: &AccountId,
        user_id: &str,
    ) -> Result<Vec<ButtonSpec>, MenuError> {
        let account = self.official_account(account).await?;
        let tokens = self.tokens.handle(account.id.as_str());
        let matched = wx_menu::try_match(
            &self.api(&account),
            &tokens,
            &wx_menu::TryMatch {
                user_id: user_id.to_owned(),
            },
        )
        .await
        .map_err(MenuError::wechat("matching the menu"))?;
        Ok(matched.button.into_iter().map(from_wire).collect())
    }
}
