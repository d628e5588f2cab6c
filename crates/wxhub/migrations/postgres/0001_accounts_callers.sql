-- Accounts (Official Accounts and WeCom apps) and callers (business systems).
-- Secrets are sealed with the master key (AES-256-GCM, text `v1.<base64>`), never plain.

CREATE TABLE accounts (
    id                      TEXT    NOT NULL PRIMARY KEY,
    kind                    TEXT    NOT NULL CHECK (kind IN ('mp', 'work')),
    appid                   TEXT,
    corpid                  TEXT,
    agentid                 BIGINT,
    name                    TEXT,
    original_id             TEXT,
    logo_url                TEXT,
    mode                    TEXT    NOT NULL,
    api_base                TEXT    NOT NULL,
    secret_sealed           TEXT    NOT NULL,
    callback_token_sealed   TEXT,
    encoding_aes_key_sealed TEXT,
    contacts_secret_sealed  TEXT,
    version                 BIGINT  NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX accounts_appid_uq ON accounts (appid);
CREATE UNIQUE INDEX accounts_corp_agent_uq ON accounts (corpid, agentid);

CREATE TABLE callers (
    client_id        TEXT NOT NULL PRIMARY KEY,
    system_id        TEXT NOT NULL,
    name             TEXT NOT NULL,
    secret_hash      TEXT NOT NULL,
    scopes           TEXT NOT NULL,  -- JSON array of scope names
    qr_source        BIGINT,
    rsa_public_key   TEXT,
    redirect_domains TEXT NOT NULL,  -- JSON array
    jssdk_domains    TEXT NOT NULL,  -- JSON array
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX callers_system_id_uq ON callers (system_id);

-- Which accounts a caller may use; the caller's QR source is repeated here so that
-- "source unique per account" is one index.
CREATE TABLE caller_accounts (
    client_id  TEXT NOT NULL REFERENCES callers (client_id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    qr_source  BIGINT,
    PRIMARY KEY (client_id, account_id)
);
CREATE UNIQUE INDEX caller_accounts_qr_source_uq ON caller_accounts (account_id, qr_source);

-- Bearer tokens issued by POST /api/v1/auth/token; only their SHA-256 is kept.
CREATE TABLE caller_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES callers (client_id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX caller_tokens_expires_at ON caller_tokens (expires_at);
