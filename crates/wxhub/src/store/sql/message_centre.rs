//! [`MessageLogStore`](crate::store::message_centre::MessageLogStore) shared by both
//! backends; `$N` placeholders work on SQLite and PostgreSQL. `delivered` is BIGINT on
//! PostgreSQL and INTEGER on SQLite, bound as `i64` on both; times go through
//! [`Columns`](crate::store::sql::Columns).

pub(crate) const LOG_COLUMNS: &str = "id, at, caller, agent_name, channel, account_id, \
     msg_type, subject, to_user, to_party, to_tag, delivered, invalid_user, invalid_party, \
     invalid_tag, outcome, error";

/// Newest first; `$1` the caller (NULL: everyone), `$2` the cursor (NULL: from the newest),
/// `$3` the limit.
pub(crate) const LIST: &str = "SELECT id, at, caller, agent_name, channel, account_id, \
     msg_type, subject, to_user, to_party, to_tag, delivered, invalid_user, invalid_party, \
     invalid_tag, outcome, error FROM message_centre_log \
     WHERE (CAST($1 AS TEXT) IS NULL OR caller = $1) AND (CAST($2 AS TEXT) IS NULL OR id < $2) \
     ORDER BY id DESC LIMIT $3";

/// Declares a message-log store over one `sqlx::Database`:
/// `message_log_store! { /// doc  pub struct PgMessageLogStore(sqlx::Postgres); }`.
macro_rules! message_log_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            fn row_to_entry(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::message_centre::model::LogEntry, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::message_centre::model::{LogChannel, LogEntry, LogId, LogOutcome};
                use $crate::store::sql::{stored_time, Time};
                let corrupt = |what: &str| {
                    $crate::store::StoreError::Corrupt(format!("message log {what}"))
                };
                let id: String = row.try_get("id")?;
                let at: Time<$db> = row.try_get("at")?;
                let channel: String = row.try_get("channel")?;
                let outcome: String = row.try_get("outcome")?;
                let delivered: Option<i64> = row.try_get("delivered")?;
                Ok(LogEntry {
                    id: LogId::parse(&id).map_err(|_| corrupt("id"))?,
                    at: stored_time::<$db>(at, "message log at")?,
                    caller: row.try_get("caller")?,
                    agent_name: row.try_get("agent_name")?,
                    channel: LogChannel::parse(&channel).ok_or_else(|| corrupt("channel"))?,
                    account: row.try_get("account_id")?,
                    msg_type: row.try_get("msg_type")?,
                    subject: row.try_get("subject")?,
                    to_user: row.try_get("to_user")?,
                    to_party: row.try_get("to_party")?,
                    to_tag: row.try_get("to_tag")?,
                    delivered: delivered
                        .map(|d| u32::try_from(d).map_err(|_| corrupt("delivered")))
                        .transpose()?,
                    invaliduser: row.try_get("invalid_user")?,
                    invalidparty: row.try_get("invalid_party")?,
                    invalidtag: row.try_get("invalid_tag")?,
                    outcome: LogOutcome::parse(&outcome).ok_or_else(|| corrupt("outcome"))?,
                    error: row.try_get("error")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::message_centre::MessageLogStore for $name {
            async fn record(
                &self,
                entry: &$crate::message_centre::model::LogEntry,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(&format!(
                    "INSERT INTO message_centre_log ({}) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                    $crate::store::sql::message_centre::LOG_COLUMNS
                ))
                .bind(entry.id.as_str())
                .bind(<$db as Columns>::time_to_db(entry.at))
                .bind(&entry.caller)
                .bind(&entry.agent_name)
                .bind(entry.channel.as_str())
                .bind(entry.account.as_deref())
                .bind(entry.msg_type.as_deref())
                .bind(&entry.subject)
                .bind(&entry.to_user)
                .bind(&entry.to_party)
                .bind(&entry.to_tag)
                .bind(entry.delivered.map(i64::from))
                .bind(&entry.invaliduser)
                .bind(&entry.invalidparty)
                .bind(&entry.invalidtag)
                .bind(entry.outcome.as_str())
                .bind(entry.error.as_deref())
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                tx.commit().await?;
                Ok(())
            }

            async fn list(
                &self,
                caller: Option<&str>,
                before: Option<&$crate::message_centre::model::LogId>,
                limit: u32,
            ) -> Result<Vec<$crate::message_centre::model::LogEntry>, $crate::store::StoreError> {
                let rows = sqlx::query($crate::store::sql::message_centre::LIST)
                    .bind(caller)
                    .bind(before.map(|b| b.as_str()))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::row_to_entry).collect()
            }
        }
    };
}
pub(crate) use message_log_store;
