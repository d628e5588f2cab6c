//! The message centre's recipients from the directory copy: who a notice's `toUser`,
//! `toParty` or `toTag` reaches (each member once, active members only), with their e-mail
//! and mobile, and the ids the directory does not know.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::Directory;
use crate::accounts::model::AccountId;
use crate::contacts::model::{ContactTagId, DepartmentId};
use crate::message_centre::error::RecipientsError;
use crate::message_centre::model::Receivers;
use crate::message_centre::service::{Member, Reach, Recipients};
use crate::store::contacts::Reached;
use crate::store::StoreError;

/// WeCom's status of an active member.
const ACTIVE: u8 = 1;

fn failed(e: StoreError) -> RecipientsError {
    RecipientsError::Failed(e.into())
}

#[async_trait]
impl Recipients for Directory {
    async fn reach(
        &self,
        corp: &AccountId,
        receivers: &Receivers,
    ) -> Result<Reach, RecipientsError> {
        let store = self.store();
        if store.counts(corp).await.map_err(failed)?.departments == 0 {
            return Err(RecipientsError::NotSynced(format!(
                "the directory of {corp} has not been synced yet: run `wxhub sync contacts --corp {corp}` or POST /api/v1/contacts/{corp}/sync"
            )));
        }
        let mut reach = Reach::default();
        let mut found: BTreeMap<String, Reached> = BTreeMap::new();
        let mut add = |members: Vec<Reached>| {
            for m in members {
                found.insert(m.userid.clone(), m);
            }
        };
        match receivers {
            Receivers::All => add(store.reach_all(corp).await.map_err(failed)?),
            Receivers::Users(ids) => {
                let members = store.reach_users(corp, ids).await.map_err(failed)?;
                reach.invalid_users = ids
                    .iter()
                    .filter(|id| !members.iter().any(|m| &m.userid == *id))
                    .cloned()
                    .collect();
                add(members);
            }
            Receivers::Parties(ids) => {
                for id in ids {
                    match self.subtree(corp, id).await? {
                        Some(members) => add(members),
                        None => reach.invalid_parties.push(id.clone()),
                    }
                }
            }
            Receivers::Tags(ids) => {
                for id in ids {
                    let tag = ContactTagId::parse(id).ok();
                    let targets = match tag {
                        Some(tag) => store.tag_targets(corp, tag).await.map_err(failed)?,
                        None => None,
                    };
                    let Some((users, parties)) = targets else {
                        reach.invalid_tags.push(id.clone());
                        continue;
                    };
                    add(store.reach_users(corp, &users).await.map_err(failed)?);
                    for party in parties {
                        if let Some(members) = self.subtree(corp, &party.to_string()).await? {
                            add(members);
                        }
                    }
                }
            }
        }
        reach.members = found
            .into_values()
            .filter(|m| m.status == ACTIVE)
            .map(|m| Member {
                userid: m.userid,
                name: m.name,
                email: Some(m.email).filter(|e| !e.is_empty()),
                mobile: Some(m.mobile).filter(|e| !e.is_empty()),
            })
            .collect();
        Ok(reach)
    }
}

impl Directory {
    /// The members in and below department `id`; `None` when the copy has no such department.
    async fn subtree(
        &self,
        corp: &AccountId,
        id: &str,
    ) -> Result<Option<Vec<Reached>>, RecipientsError> {
        let Ok(id) = DepartmentId::parse(id) else {
            return Ok(None);
        };
        let Some(path) = self
            .store()
            .department_path(corp, id)
            .await
            .map_err(failed)?
        else {
            return Ok(None);
        };
        Ok(Some(
            self.store()
                .reach_subtree(corp, &path)
                .await
                .map_err(failed)?,
        ))
    }
}
