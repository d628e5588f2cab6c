//! [`CallerStore`] on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::callers::model::ClientId;
use crate::store::callers::{
    json_columns, CallerRecord, CallerRow, CallerStore, TokenOwner, TokenOwnerRow, CALLER_COLUMNS,
    CALLER_CONFLICTS,
};
use crate::store::error::classify_write;
use crate::store::StoreError;

pub struct PgCallerStore {
    pool: PgPool,
}

impl PgCallerStore {
    pub fn new(pool: PgPool) -> Self {
        PgCallerStore { pool }
    }

    async fn with_accounts(&self, row: CallerRow) -> Result<CallerRecord, StoreError> {
        let accounts: Vec<(String,)> = sqlx::query_as(
            "SELECT account_id FROM caller_accounts WHERE client_id = $1 ORDER BY account_id",
        )
        .bind(&row.client_id)
        .fetch_all(&self.pool)
        .await?;
        row.into_record(accounts.into_iter().map(|(a,)| a).collect())
    }
}

#[async_trait]
impl CallerStore for PgCallerStore {
    async fn insert(&self, record: &CallerRecord) -> Result<(), StoreError> {
        let c = &record.caller;
        let (scopes, redirect_domains, jssdk_domains) = json_columns(c);
        let qr_source = c.qr_source.map(i64::from);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO callers (client_id, system_id, name, secret_hash, scopes, qr_source, rsa_public_key, \
             redirect_domains, jssdk_domains, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.client_id.as_str())
        .bind(c.system_id.as_str())
        .bind(&c.name)
        .bind(&record.secret_hash)
        .bind(scopes)
        .bind(qr_source)
        .bind(&c.rsa_public_key)
        .bind(redirect_domains)
        .bind(jssdk_domains)
        .bind(c.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| classify_write(e, CALLER_CONFLICTS))?;
        for account in &c.accounts {
            sqlx::query(
                "INSERT INTO caller_accounts (client_id, account_id, qr_source) VALUES ($1, $2, $3)",
            )
            .bind(c.client_id.as_str())
            .bind(account.as_str())
            .bind(qr_source)
            .execute(&mut *tx)
            .await
            .map_err(|e| classify_write(e, CALLER_CONFLICTS))?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, id: &ClientId) -> Result<Option<CallerRecord>, StoreError> {
        let row: Option<CallerRow> = sqlx::query_as(&format!(
            "SELECT {CALLER_COLUMNS} FROM callers WHERE client_id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.with_accounts(row).await?)),
            None => Ok(None),
        }
    }

    async fn list(
        &self,
        after: Option<&ClientId>,
        limit: u32,
    ) -> Result<Vec<CallerRecord>, StoreError> {
        let rows: Vec<CallerRow> = sqlx::query_as(&format!(
            "SELECT {CALLER_COLUMNS} FROM callers WHERE client_id > $1 ORDER BY client_id LIMIT $2"
        ))
        .bind(after.map(ClientId::as_str).unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.with_accounts(row).await?);
        }
        Ok(out)
    }

    async fn delete(&self, id: &ClientId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM callers WHERE client_id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_token(
        &self,
        token_hash: &str,
        client_id: &ClientId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO caller_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(client_id.as_str())
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(|e| classify_write(e, &[]))?;
        Ok(())
    }

    async fn find_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenOwner>, StoreError> {
        let row: Option<TokenOwnerRow> = sqlx::query_as(&format!(
            "SELECT {}, t.expires_at AS token_expires_at FROM callers c JOIN caller_tokens t ON t.client_id = c.client_id \
             WHERE t.token_hash = $1 AND t.expires_at > $2",
            CALLER_COLUMNS
                .split(", ")
                .map(|col| format!("c.{col}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(TokenOwner {
                record: self.with_accounts(row.caller).await?,
                expires_at: row.token_expires_at,
            })),
            None => Ok(None),
        }
    }

    async fn purge_expired_tokens(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM caller_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
