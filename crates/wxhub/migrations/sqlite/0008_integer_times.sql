-- Every time column becomes INTEGER UTC milliseconds since the epoch, as tokens, events,
-- followers and reply rules already are: one representation on SQLite. Until now accounts,
-- callers, caller tokens and the webhook tables kept sqlx's text for a `DateTime<Utc>`
-- (RFC 3339: `2026-12-03T10:00:00.123456789+00:00`, with 0, 3, 6 or 9 fraction digits).
--
-- A column's type cannot change in place (a TEXT column turns integers back into text), so
-- each table is rebuilt: new table, copy, drop, rename. Every column, constraint, CHECK,
-- foreign key (with its ON DELETE) and index is the same as before; only the time columns'
-- type changes.
--
-- Foreign keys stay on (sqlx runs this in one transaction, where `PRAGMA foreign_keys` is a
-- no-op, and sqlx-sqlite 0.8 ignores `-- no-transaction`), so a DROP must never cascade:
-- - a rebuilt child names the *new* parent (`new_callers`), so dropping the old parent
--   touches no row of it, and the rename to `callers` rewrites that reference (SQLite
--   renames references in other tables' foreign keys);
-- - caller_accounts has no time column but is rebuilt for that reason too;
-- - old tables are dropped children first, so a parent has no child rows when it goes.
-- Every copied row is checked against its parent as it is inserted.
--
-- Conversion: the whole seconds of the first 19 characters, times 1000, plus the first three
-- fraction digits: truncated, as `DateTime::timestamp_millis` (what the stores now bind)
-- does. Not `strftime('%f')`, which rounds to the millisecond and carries into the seconds
-- (`…59.9996` would become the next second). NULL stays NULL. A value not in sqlx's UTC
-- format stops the migration instead of converting wrongly.

CREATE TABLE _0008_time_text (value TEXT NOT NULL);
INSERT INTO _0008_time_text (value)
          SELECT created_at FROM accounts
UNION ALL SELECT updated_at FROM accounts
UNION ALL SELECT created_at FROM callers
UNION ALL SELECT expires_at FROM caller_tokens
UNION ALL SELECT previous_secret_expires_at FROM webhook_endpoints WHERE previous_secret_expires_at IS NOT NULL
UNION ALL SELECT failing_since FROM webhook_endpoints WHERE failing_since IS NOT NULL
UNION ALL SELECT created_at FROM webhook_endpoints
UNION ALL SELECT updated_at FROM webhook_endpoints
UNION ALL SELECT next_attempt_at FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL
UNION ALL SELECT lease_until FROM webhook_deliveries WHERE lease_until IS NOT NULL
UNION ALL SELECT created_at FROM webhook_deliveries
UNION ALL SELECT updated_at FROM webhook_deliveries
UNION ALL SELECT at FROM webhook_attempts
UNION ALL SELECT next_attempt_at FROM webhook_attempts WHERE next_attempt_at IS NOT NULL;
-- Inserting any value that is not `YYYY-MM-DDTHH:MM:SS[.digits]+00:00` fails this CHECK.
CREATE TABLE _0008_not_sqlx_utc_text (
    value TEXT,
    CONSTRAINT time_text_is_sqlx_utc CHECK (value IS NULL)
);
INSERT INTO _0008_not_sqlx_utc_text (value)
SELECT value FROM _0008_time_text
WHERE NOT (
    typeof(value) = 'text'
    AND strftime('%Y-%m-%dT%H:%M:%S', substr(value, 1, 19)) IS substr(value, 1, 19)
    AND substr(value, -6) = '+00:00'
    AND (length(value) = 25
         OR (substr(value, 20, 1) = '.' AND length(value) > 26
             AND substr(value, 21, length(value) - 26) NOT GLOB '*[^0-9]*'))
);
DROP TABLE _0008_not_sqlx_utc_text;
DROP TABLE _0008_time_text;

-- The parents first, so every copied child row finds its parent.

CREATE TABLE new_accounts (
    id                      TEXT    NOT NULL PRIMARY KEY,
    kind                    TEXT    NOT NULL CHECK (kind IN ('mp', 'work')),
    appid                   TEXT,
    corpid                  TEXT,
    agentid                 INTEGER,
    name                    TEXT,
    original_id             TEXT,
    logo_url                TEXT,
    mode                    TEXT    NOT NULL,
    api_base                TEXT    NOT NULL,
    secret_sealed           TEXT    NOT NULL,
    callback_token_sealed   TEXT,
    encoding_aes_key_sealed TEXT,
    contacts_secret_sealed  TEXT,
    version                 INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
INSERT INTO new_accounts
SELECT id, kind, appid, corpid, agentid, name, original_id, logo_url, mode, api_base,
       secret_sealed, callback_token_sealed, encoding_aes_key_sealed, contacts_secret_sealed,
       version,
       CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(created_at, 20, 1) = '.' THEN CAST(substr(created_at, 21, 3) AS INTEGER) ELSE 0 END,
       CAST(strftime('%s', substr(updated_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(updated_at, 20, 1) = '.' THEN CAST(substr(updated_at, 21, 3) AS INTEGER) ELSE 0 END
FROM accounts;

CREATE TABLE new_callers (
    client_id        TEXT NOT NULL PRIMARY KEY,
    system_id        TEXT NOT NULL,
    name             TEXT NOT NULL,
    secret_hash      TEXT NOT NULL,
    scopes           TEXT NOT NULL,  -- JSON array of scope names
    qr_source        INTEGER,
    rsa_public_key   TEXT,
    redirect_domains TEXT NOT NULL,  -- JSON array
    jssdk_domains    TEXT NOT NULL,  -- JSON array
    created_at       INTEGER NOT NULL
);
INSERT INTO new_callers
SELECT client_id, system_id, name, secret_hash, scopes, qr_source, rsa_public_key,
       redirect_domains, jssdk_domains,
       CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(created_at, 20, 1) = '.' THEN CAST(substr(created_at, 21, 3) AS INTEGER) ELSE 0 END
FROM callers;

-- Which accounts a caller may use; the caller's QR source is repeated here so that
-- "source unique per account" is one index.
CREATE TABLE new_caller_accounts (
    client_id  TEXT NOT NULL REFERENCES new_callers (client_id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES new_accounts (id) ON DELETE CASCADE,
    qr_source  INTEGER,
    PRIMARY KEY (client_id, account_id)
);
INSERT INTO new_caller_accounts SELECT client_id, account_id, qr_source FROM caller_accounts;

-- Bearer tokens issued by POST /api/v1/auth/token; only their SHA-256 is kept.
CREATE TABLE new_caller_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES new_callers (client_id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
INSERT INTO new_caller_tokens
SELECT token_hash, client_id,
       CAST(strftime('%s', substr(expires_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(expires_at, 20, 1) = '.' THEN CAST(substr(expires_at, 21, 3) AS INTEGER) ELSE 0 END
FROM caller_tokens;

CREATE TABLE new_webhook_endpoints (
    id                         TEXT    NOT NULL PRIMARY KEY,
    owner                      TEXT,            -- caller client id; NULL for the admin
    url                        TEXT    NOT NULL,
    accounts                   TEXT    NOT NULL,
    event_types                TEXT    NOT NULL,
    qr_sources                 TEXT    NOT NULL,
    description                TEXT,
    enabled                    INTEGER NOT NULL,
    secret_sealed              TEXT    NOT NULL,
    previous_secret_sealed     TEXT,
    previous_secret_expires_at INTEGER,
    health                     TEXT    NOT NULL CHECK (health IN ('healthy', 'failing')),
    consecutive_failures       INTEGER NOT NULL,
    failing_since              INTEGER,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);
INSERT INTO new_webhook_endpoints
SELECT id, owner, url, accounts, event_types, qr_sources, description, enabled, secret_sealed,
       previous_secret_sealed,
       CAST(strftime('%s', substr(previous_secret_expires_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(previous_secret_expires_at, 20, 1) = '.' THEN CAST(substr(previous_secret_expires_at, 21, 3) AS INTEGER) ELSE 0 END,
       health, consecutive_failures,
       CAST(strftime('%s', substr(failing_since, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(failing_since, 20, 1) = '.' THEN CAST(substr(failing_since, 21, 3) AS INTEGER) ELSE 0 END,
       CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(created_at, 20, 1) = '.' THEN CAST(substr(created_at, 21, 3) AS INTEGER) ELSE 0 END,
       CAST(strftime('%s', substr(updated_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(updated_at, 20, 1) = '.' THEN CAST(substr(updated_at, 21, 3) AS INTEGER) ELSE 0 END
FROM webhook_endpoints;

CREATE TABLE new_webhook_deliveries (
    id               TEXT    NOT NULL PRIMARY KEY,
    endpoint_id      TEXT    NOT NULL REFERENCES new_webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT    NOT NULL REFERENCES events (event_id),
    event_type       TEXT    NOT NULL,
    account_id       TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'failing', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL,
    step             INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    lease_until      INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
INSERT INTO new_webhook_deliveries
SELECT id, endpoint_id, event_id, event_type, account_id, status, attempts, step,
       CAST(strftime('%s', substr(next_attempt_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(next_attempt_at, 20, 1) = '.' THEN CAST(substr(next_attempt_at, 21, 3) AS INTEGER) ELSE 0 END,
       CAST(strftime('%s', substr(lease_until, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(lease_until, 20, 1) = '.' THEN CAST(substr(lease_until, 21, 3) AS INTEGER) ELSE 0 END,
       last_status_code, last_error,
       CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(created_at, 20, 1) = '.' THEN CAST(substr(created_at, 21, 3) AS INTEGER) ELSE 0 END,
       CAST(strftime('%s', substr(updated_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(updated_at, 20, 1) = '.' THEN CAST(substr(updated_at, 21, 3) AS INTEGER) ELSE 0 END
FROM webhook_deliveries;

CREATE TABLE new_webhook_attempts (
    id              TEXT    NOT NULL PRIMARY KEY,
    delivery_id     TEXT    NOT NULL REFERENCES new_webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id     TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    attempt_no      INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    outcome         TEXT    NOT NULL,
    status_code     INTEGER,
    error           TEXT,
    response        TEXT,
    duration_ms     INTEGER NOT NULL,
    next_attempt_at INTEGER
);
INSERT INTO new_webhook_attempts
SELECT id, delivery_id, endpoint_id, event_id, attempt_no,
       CAST(strftime('%s', substr(at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(at, 20, 1) = '.' THEN CAST(substr(at, 21, 3) AS INTEGER) ELSE 0 END,
       outcome, status_code, error, response, duration_ms,
       CAST(strftime('%s', substr(next_attempt_at, 1, 19)) AS INTEGER) * 1000
         + CASE WHEN substr(next_attempt_at, 20, 1) = '.' THEN CAST(substr(next_attempt_at, 21, 3) AS INTEGER) ELSE 0 END
FROM webhook_attempts;

-- The old tables, children first: no DROP finds a child row to cascade into (their indexes
-- go with them).
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE caller_tokens;
DROP TABLE caller_accounts;
DROP TABLE callers;
DROP TABLE accounts;

ALTER TABLE new_accounts RENAME TO accounts;
ALTER TABLE new_callers RENAME TO callers;
ALTER TABLE new_caller_accounts RENAME TO caller_accounts;
ALTER TABLE new_caller_tokens RENAME TO caller_tokens;
ALTER TABLE new_webhook_endpoints RENAME TO webhook_endpoints;
ALTER TABLE new_webhook_deliveries RENAME TO webhook_deliveries;
ALTER TABLE new_webhook_attempts RENAME TO webhook_attempts;

CREATE UNIQUE INDEX accounts_appid_uq ON accounts (appid);
CREATE UNIQUE INDEX accounts_corp_agent_uq ON accounts (corpid, agentid);
CREATE UNIQUE INDEX callers_system_id_uq ON callers (system_id);
CREATE UNIQUE INDEX caller_accounts_qr_source_uq ON caller_accounts (account_id, qr_source);
CREATE INDEX caller_tokens_expires_at ON caller_tokens (expires_at);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'failing');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
