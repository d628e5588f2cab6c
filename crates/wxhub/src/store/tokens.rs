//! Storage of the token centre's credentials (no SQL here): the durable copy every
//! instance shares, read when the cache misses (after a restart, or when Redis is down).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// One stored credential. `value` holds at least 512 characters, as WeChat asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    /// The namespaced cache key (per AppID, or per CorpID + AgentID, and kind).
    pub cache_key: String,
    /// The hub account it belongs to, so the refresher can find its credentials.
    pub account_id: String,
    pub kind: String,
    pub value: String,
    pub expires_at: DateTime<Utc>,
    pub refresh_at: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    pub fence: u64,
}

#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    async fn get(&self, cache_key: &str) -> Result<Option<StoredToken>, StoreError>;

    /// Inserts or replaces the row unless the stored row has a higher fence.
    /// Returns whether it was written.
    async fn put_fenced(&self, token: &StoredToken) -> Result<bool, StoreError>;

    /// Marks the row expired if it still holds `value` (compare-and-expire).
    async fn expire_if(&self, cache_key: &str, value: &str) -> Result<bool, StoreError>;

    /// Rows still valid at `now` whose `refresh_at` is before `due_before`, soonest first:
    /// what the proactive refresher renews.
    async fn list_due(
        &self,
        now: DateTime<Utc>,
        due_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<StoredToken>, StoreError>;

    /// Forgets every credential of an account (when it is removed or its secret rotated).
    async fn delete_account(&self, account_id: &str) -> Result<u64, StoreError>;
}

#[cfg(test)]
pub(crate) mod contract {
    //! One behaviour test body for every [`TokenStore`] backend.
    use super::*;
    use chrono::TimeZone;

    fn row(key: &str, value: &str, fence: u64, at_secs: i64) -> StoredToken {
        let at = Utc
            .timestamp_opt(1_800_000_000 + at_secs, 0)
            .single()
            .expect("time");
        StoredToken {
            cache_key: key.into(),
            account_id: "demo-mp".into(),
            kind: "access_token".into(),
            value: value.into(),
            expires_at: at + chrono::Duration::seconds(7200),
            refresh_at: at + chrono::Duration::seconds(6900),
            fetched_at: at,
            fence,
        }
    }

    pub async fn run(store: &dyn TokenStore) {
        assert_eq!(store.get("p:mp:wx1:access_token").await.expect("get"), None);

        // long values fit (WeChat asks for at least 512 characters)
        let long = "x".repeat(2048);
        let first = row("p:mp:wx1:access_token", &long, 10, 0);
        assert!(store.put_fenced(&first).await.expect("put"));
        assert_eq!(
            store.get("p:mp:wx1:access_token").await.expect("get"),
            Some(first.clone())
        );

        // fenced: an older write never replaces a newer one; equal or newer does
        let newer = row("p:mp:wx1:access_token", "tok-new", 20, 60);
        assert!(store.put_fenced(&newer).await.expect("put"));
        assert!(!store.put_fenced(&first).await.expect("put"));
        assert_eq!(
            store.get("p:mp:wx1:access_token").await.expect("get"),
            Some(newer.clone())
        );

        // compare-and-expire
        assert!(!store
            .expire_if("p:mp:wx1:access_token", &long)
            .await
            .expect("expire"));
        assert!(store
            .expire_if("p:mp:wx1:access_token", "tok-new")
            .await
            .expect("expire"));
        let expired = store
            .get("p:mp:wx1:access_token")
            .await
            .expect("get")
            .expect("kept");
        assert!(expired.expires_at <= Utc.timestamp_opt(0, 0).single().expect("epoch"));
        assert_eq!(expired.fence, 20, "the fence survives expiry");
        assert!(!store.put_fenced(&first).await.expect("put"));

        // due list: valid rows past refresh_at, soonest first
        let a = row("p:mp:wxa:access_token", "a", 1, 0);
        let b = row("p:mp:wxb:access_token", "b", 1, 100);
        let c = row("p:mp:wxc:access_token", "c", 1, 5000);
        for r in [&a, &b, &c] {
            assert!(store.put_fenced(r).await.expect("put"));
        }
        let now = a.refresh_at + chrono::Duration::seconds(200);
        let due = store.list_due(now, now, 10).await.expect("due");
        let keys: Vec<&str> = due.iter().map(|r| r.cache_key.as_str()).collect();
        assert_eq!(keys, vec!["p:mp:wxa:access_token", "p:mp:wxb:access_token"]);
        assert_eq!(store.list_due(now, now, 1).await.expect("due").len(), 1);

        let mut other = row("p:work:ww1:1000002:access_token", "w", 1, 0);
        other.account_id = "demo-work".into();
        assert!(store.put_fenced(&other).await.expect("put"));
        assert_eq!(store.delete_account("demo-mp").await.expect("delete"), 4);
        assert_eq!(store.get("p:mp:wxa:access_token").await.expect("get"), None);
        assert!(store
            .get("p:work:ww1:1000002:access_token")
            .await
            .expect("get")
            .is_some());
    }

    #[tokio::test]
    async fn sqlite_token_store_keeps_the_contract() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite");
        sqlx::raw_sql(include_str!("../../migrations/sqlite/0002_tokens.sql"))
            .execute(&pool)
            .await
            .expect("migration");
        run(&crate::store::sqlite::tokens::SqliteTokenStore::new(pool)).await;
    }

    #[tokio::test]
    async fn postgres_token_store_keeps_the_contract() {
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        use std::str::FromStr;
        let url = std::env::var("WXHUB_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("t_{}", ulid::Ulid::new().to_string().to_lowercase());
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("PostgreSQL must be reachable at WXHUB_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .expect("schema");
        let options = PgConnectOptions::from_str(&url)
            .expect("url")
            .options([("search_path", schema.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .expect("pool");
        sqlx::raw_sql(include_str!("../../migrations/postgres/0002_tokens.sql"))
            .execute(&pool)
            .await
            .expect("migration");
        run(&crate::store::postgres::tokens::PgTokenStore::new(pool)).await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .expect("drop schema");
    }
}
