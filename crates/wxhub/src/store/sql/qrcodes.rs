//! [`QrCodeStore`](crate::store::qrcodes::QrCodeStore) shared by both backends, and the two
//! statements the event batch runs to count scans ([`ADD_DAY`], [`ADD_SCANNER`]): through
//! sqlx in [`count_scans_in!`] (PostgreSQL, in-memory SQLite) and through rusqlite in
//! `store/sqlite/qrcode_scans.rs` (a SQLite file), the same text. Numbers are BIGINT on
//! PostgreSQL and INTEGER on SQLite, so they bind as `i64` on both; times go through
//! [`Columns`](crate::store::sql::Columns).

/// Adds a batch's scans of a ticket on a day to the code with that ticket (nothing when the
/// hub issued no such code). Binds day, scans, new_follows, account_id, ticket: the
/// placeholders appear in their own order, because rusqlite binds `$N` by position of
/// appearance (sqlx by number). The SELECT has a WHERE, as SQLite's upsert after
/// `INSERT … SELECT` requires.
pub(crate) const ADD_DAY: &str = "INSERT INTO qrcode_days (qrcode_id, day, scans, new_follows) \
     SELECT id, $1, $2, $3 FROM qrcodes WHERE account_id = $4 AND ticket = $5 \
     ON CONFLICT (qrcode_id, day) DO UPDATE SET scans = qrcode_days.scans + excluded.scans, \
     new_follows = qrcode_days.new_follows + excluded.new_follows";

/// Records who scanned a ticket on a day. Binds day, openid, account_id, ticket (in order
/// of appearance, as [`ADD_DAY`]).
pub(crate) const ADD_SCANNER: &str = "INSERT INTO qrcode_scanners (qrcode_id, day, openid) \
     SELECT id, $1, $2 FROM qrcodes WHERE account_id = $3 AND ticket = $4 \
     ON CONFLICT (qrcode_id, day, openid) DO NOTHING";

pub(crate) const CODE_COLUMNS: &str = "id, account_id, client_id, kind, qr_source, scene, \
     scene_value, permanent_scene_id, ticket, url, created_at, expires_at";

/// Counts the scans among a batch's outcomes in its open transaction on `$db`:
/// `count_scans_in!(sqlx::Postgres, &mut tx, &outcomes)`, evaluating to
/// `Result<(), StoreError>`. Only inserted events count (see `qrcode::model::scan_tally`).
macro_rules! count_scans_in {
    ($db:ty, $tx:expr, $outcomes:expr) => {{
        use $crate::events::model::InsertOutcome;
        let tx: &mut sqlx::Transaction<'_, $db> = $tx;
        let tally = $crate::qrcode::model::scan_tally($outcomes.iter().filter_map(|o| match o {
            InsertOutcome::Inserted(event) => Some(event),
            InsertOutcome::Duplicate(_) => None,
        }));
        let count = async {
            for inc in &tally.increments {
                sqlx::query($crate::store::sql::qrcodes::ADD_DAY)
                    .bind(inc.at.day.as_str())
                    .bind(inc.scans)
                    .bind(inc.new_follows)
                    .bind(inc.at.account.as_str())
                    .bind(inc.at.ticket.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
            for s in &tally.scanners {
                sqlx::query($crate::store::sql::qrcodes::ADD_SCANNER)
                    .bind(s.at.day.as_str())
                    .bind(s.openid.as_str())
                    .bind(s.at.account.as_str())
                    .bind(s.at.ticket.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
            Ok::<(), $crate::store::StoreError>(())
        };
        count.await
    }};
}
pub(crate) use count_scans_in;

/// Declares a QR code store over one `sqlx::Database`:
/// `qrcode_store! { /// doc  pub struct PgQrCodeStore(sqlx::Postgres); }`.
macro_rules! qrcode_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            fn row_to_code(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::qrcode::model::QrCode, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Columns, Time};
                let corrupt =
                    |what: &str| $crate::store::StoreError::Corrupt(format!("qrcode {what}"));
                let id: String = row.try_get("id")?;
                let account: String = row.try_get("account_id")?;
                let client: Option<String> = row.try_get("client_id")?;
                let kind: String = row.try_get("kind")?;
                let source: Option<i64> = row.try_get("qr_source")?;
                let permanent: Option<i64> = row.try_get("permanent_scene_id")?;
                let created: Time<$db> = row.try_get("created_at")?;
                let expires: Option<Time<$db>> = row.try_get("expires_at")?;
                Ok($crate::qrcode::model::QrCode {
                    id: $crate::qrcode::model::QrCodeId::parse(&id).map_err(|_| corrupt("id"))?,
                    account: $crate::accounts::model::AccountId::parse(&account)
                        .map_err(|_| corrupt("account_id"))?,
                    owner: client
                        .map(|c| $crate::callers::model::ClientId::parse(&c))
                        .transpose()
                        .map_err(|_| corrupt("client_id"))?,
                    kind: $crate::qrcode::model::QrKind::parse(&kind)
                        .map_err(|_| corrupt("kind"))?,
                    source: source
                        .map(|s| u8::try_from(s).map_err(|_| corrupt("qr_source")))
                        .transpose()?,
                    scene: row.try_get("scene")?,
                    scene_value: row.try_get("scene_value")?,
                    permanent_scene_id: permanent
                        .map(|p| {
                            $crate::qrcode::model::PermanentSceneId::new(p)
                                .map_err(|_| corrupt("permanent_scene_id"))
                        })
                        .transpose()?,
                    ticket: row.try_get("ticket")?,
                    url: row.try_get("url")?,
                    created_at: stored_time::<$db>(created, "qrcode created_at")?,
                    expires_at: expires
                        .map(|t| <$db as Columns>::time_from_db(t).ok_or_else(|| corrupt("expires_at")))
                        .transpose()?,
                })
            }

            fn row_to_key(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::qrcode::model::PublishableKey, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Time};
                let corrupt =
                    |what: &str| $crate::store::StoreError::Corrupt(format!("publishable key {what}"));
                let id: String = row.try_get("id")?;
                let client: String = row.try_get("client_id")?;
                let domains: String = row.try_get("domains")?;
                let created: Time<$db> = row.try_get("created_at")?;
                let domains: Vec<String> =
                    serde_json::from_str(&domains).map_err(|_| corrupt("domains"))?;
                Ok($crate::qrcode::model::PublishableKey {
                    id: $crate::qrcode::model::PublishableKeyId::parse(&id)
                        .map_err(|_| corrupt("id"))?,
                    client_id: $crate::callers::model::ClientId::parse(&client)
                        .map_err(|_| corrupt("client_id"))?,
                    domains: $crate::qrcode::model::KeyDomains::new(&domains)
                        .map_err(|_| corrupt("domains"))?,
                    created_at: stored_time::<$db>(created, "publishable key created_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::qrcodes::QrCodeStore for $name {
            async fn insert(
                &self,
                code: &$crate::qrcode::model::QrCode,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO qrcodes (id, account_id, client_id, kind, qr_source, scene, scene_value, \
                     permanent_scene_id, ticket, url, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(code.id.as_str())
                .bind(code.account.as_str())
                .bind(code.owner.as_ref().map(|c| c.as_str()))
                .bind(code.kind.as_str())
                .bind(code.source.map(i64::from))
                .bind(&code.scene)
                .bind(&code.scene_value)
                .bind(code.permanent_scene_id.map(|p| i64::from(p.get())))
                .bind(&code.ticket)
                .bind(&code.url)
                .bind(<$db as Columns>::time_to_db(code.created_at))
                .bind(code.expires_at.map(<$db as Columns>::time_to_db))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::store::error::classify_write(
                        e,
                        &[("permanent_scene_id", $crate::store::qrcodes::PERMANENT_SCENE_TAKEN)],
                    )
                })?;
                tx.commit().await?;
                Ok(())
            }

            async fn get(
                &self,
                id: &$crate::qrcode::model::QrCodeId,
            ) -> Result<Option<$crate::qrcode::model::QrCode>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM qrcodes WHERE id = $1",
                    $crate::store::sql::qrcodes::CODE_COLUMNS
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::row_to_code).transpose()
            }

            async fn permanent(
                &self,
                account: &$crate::accounts::model::AccountId,
                scene_id: $crate::qrcode::model::PermanentSceneId,
            ) -> Result<Option<$crate::qrcode::model::QrCode>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM qrcodes WHERE account_id = $1 AND permanent_scene_id = $2",
                    $crate::store::sql::qrcodes::CODE_COLUMNS
                ))
                .bind(account.as_str())
                .bind(i64::from(scene_id.get()))
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::row_to_code).transpose()
            }

            async fn stats(
                &self,
                id: &$crate::qrcode::model::QrCodeId,
            ) -> Result<$crate::qrcode::model::QrStats, $crate::store::StoreError> {
                use sqlx::Row as _;
                let corrupt = |what: &str| $crate::store::StoreError::Corrupt(format!("qrcode stats {what}"));
                let count = |n: i64| u64::try_from(n).map_err(|_| corrupt("count"));
                let rows = sqlx::query(
                    "SELECT d.day, d.scans, d.new_follows, \
                     (SELECT COUNT(*) FROM qrcode_scanners s WHERE s.qrcode_id = d.qrcode_id AND s.day = d.day) AS users \
                     FROM qrcode_days d WHERE d.qrcode_id = $1 ORDER BY d.day",
                )
                .bind(id.as_str())
                .fetch_all(&self.pool)
                .await?;
                let mut stats = $crate::qrcode::model::QrStats::default();
                for row in rows {
                    let day: String = row.try_get("day")?;
                    let entry = $crate::qrcode::model::DayCount {
                        day: chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                            .map_err(|_| corrupt("day"))?,
                        scans: count(row.try_get("scans")?)?,
                        new_follows: count(row.try_get("new_follows")?)?,
                        unique_users: count(row.try_get("users")?)?,
                    };
                    stats.scans += entry.scans;
                    stats.new_follows += entry.new_follows;
                    stats.by_day.push(entry);
                }
                let users: i64 = sqlx::query_scalar(
                    "SELECT COUNT(DISTINCT openid) FROM qrcode_scanners WHERE qrcode_id = $1",
                )
                .bind(id.as_str())
                .fetch_one(&self.pool)
                .await?;
                stats.unique_users = count(users)?;
                Ok(stats)
            }

            async fn expire_limit(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<Option<$crate::qrcode::model::ExpireLimit>, $crate::store::StoreError> {
                let secs: Option<i64> = sqlx::query_scalar(
                    "SELECT max_expire_seconds FROM qrcode_settings WHERE account_id = $1",
                )
                .bind(account.as_str())
                .fetch_optional(&self.pool)
                .await?;
                secs.map(|s| {
                    $crate::qrcode::model::ExpireLimit::new(s).map_err(|_| {
                        $crate::store::StoreError::Corrupt("qrcode max_expire_seconds".into())
                    })
                })
                .transpose()
            }

            async fn set_expire_limit(
                &self,
                account: &$crate::accounts::model::AccountId,
                limit: Option<$crate::qrcode::model::ExpireLimit>,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                match limit {
                    Some(limit) => sqlx::query(
                        "INSERT INTO qrcode_settings (account_id, max_expire_seconds) VALUES ($1, $2) \
                         ON CONFLICT (account_id) DO UPDATE SET max_expire_seconds = excluded.max_expire_seconds",
                    )
                    .bind(account.as_str())
                    .bind(i64::from(limit.get())),
                    None => sqlx::query("DELETE FROM qrcode_settings WHERE account_id = $1")
                        .bind(account.as_str()),
                }
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                tx.commit().await?;
                Ok(())
            }

            async fn grant_permanent(
                &self,
                account: &$crate::accounts::model::AccountId,
                client: &$crate::callers::model::ClientId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::qrcodes::PermanentGrant, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO qrcode_grants (account_id, client_id, granted_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id, client_id) DO NOTHING",
                )
                .bind(account.as_str())
                .bind(client.as_str())
                .bind(<$db as Columns>::time_to_db(at))
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                tx.commit().await?;
                self.permanent_grant(account, client)
                    .await?
                    .ok_or_else(|| $crate::store::StoreError::Corrupt("qrcode grant not found after insert".into()))
            }

            async fn revoke_permanent(
                &self,
                account: &$crate::accounts::model::AccountId,
                client: &$crate::callers::model::ClientId,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done = sqlx::query("DELETE FROM qrcode_grants WHERE account_id = $1 AND client_id = $2")
                    .bind(account.as_str())
                    .bind(client.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn permanent_grant(
                &self,
                account: &$crate::accounts::model::AccountId,
                client: &$crate::callers::model::ClientId,
            ) -> Result<Option<$crate::store::qrcodes::PermanentGrant>, $crate::store::StoreError> {
                use $crate::store::sql::{stored_time, Time};
                let at: Option<Time<$db>> = sqlx::query_scalar(
                    "SELECT granted_at FROM qrcode_grants WHERE account_id = $1 AND client_id = $2",
                )
                .bind(account.as_str())
                .bind(client.as_str())
                .fetch_optional(&self.pool)
                .await?;
                at.map(|at| {
                    Ok($crate::store::qrcodes::PermanentGrant {
                        client_id: client.clone(),
                        granted_at: stored_time::<$db>(at, "qrcode granted_at")?,
                    })
                })
                .transpose()
            }

            async fn permanent_grants(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<Vec<$crate::store::qrcodes::PermanentGrant>, $crate::store::StoreError> {
                use $crate::store::sql::{stored_time, Time};
                let rows: Vec<(String, Time<$db>)> = sqlx::query_as(
                    "SELECT client_id, granted_at FROM qrcode_grants WHERE account_id = $1 ORDER BY client_id",
                )
                .bind(account.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(client, at)| {
                        Ok($crate::store::qrcodes::PermanentGrant {
                            client_id: $crate::callers::model::ClientId::parse(&client).map_err(|_| {
                                $crate::store::StoreError::Corrupt("qrcode grant client_id".into())
                            })?,
                            granted_at: stored_time::<$db>(at, "qrcode granted_at")?,
                        })
                    })
                    .collect()
            }

            async fn insert_key(
                &self,
                key: &$crate::qrcode::model::PublishableKey,
                key_hash: &str,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let domains = serde_json::to_string(key.domains.as_slice())
                    .map_err(|e| $crate::store::StoreError::Corrupt(format!("publishable key domains: {e}")))?;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO qrcode_keys (id, key_hash, client_id, domains, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(key.id.as_str())
                .bind(key_hash)
                .bind(key.client_id.as_str())
                .bind(domains)
                .bind(<$db as Columns>::time_to_db(key.created_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                tx.commit().await?;
                Ok(())
            }

            async fn key_by_hash(
                &self,
                key_hash: &str,
            ) -> Result<Option<$crate::qrcode::model::PublishableKey>, $crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT id, client_id, domains, created_at FROM qrcode_keys WHERE key_hash = $1",
                )
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::row_to_key).transpose()
            }

            async fn keys_of(
                &self,
                client: &$crate::callers::model::ClientId,
            ) -> Result<Vec<$crate::qrcode::model::PublishableKey>, $crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT id, client_id, domains, created_at FROM qrcode_keys WHERE client_id = $1 ORDER BY id",
                )
                .bind(client.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::row_to_key).collect()
            }

            async fn delete_key(
                &self,
                id: &$crate::qrcode::model::PublishableKeyId,
                client: Option<&$crate::callers::model::ClientId>,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done = sqlx::query(
                    "DELETE FROM qrcode_keys WHERE id = $1 AND (CAST($2 AS TEXT) IS NULL OR client_id = $2)",
                )
                    .bind(id.as_str())
                    .bind(client.map(|c| c.as_str()))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}
pub(crate) use qrcode_store;
