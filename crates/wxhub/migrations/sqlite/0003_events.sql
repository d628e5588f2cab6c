-- Received callbacks (issue 6). One row per distinct WeChat message or event: WeChat's
-- retries of the same one share (account_id, dedup_key) and find the first row.
-- `received_at` and `dispatched_at` are UTC milliseconds since the epoch.
-- `payload` is the normalised JSON (see events::model); `qr_source` the caller source of a
-- scan event (0 for a plain follow or a permanent code), NULL for everything else.
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE,
    account_id     TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    dedup_key      TEXT NOT NULL,
    received_at    INTEGER NOT NULL,
    qr_source      INTEGER NULL,
    payload        TEXT NOT NULL,
    dispatched_at  INTEGER NULL,
    UNIQUE (account_id, dedup_key)
);

CREATE INDEX events_account_seq ON events (account_id, seq);
CREATE INDEX events_undispatched ON events (seq) WHERE dispatched_at IS NULL;

-- Followers as follow/unfollow callbacks leave them. An unfollow clears the profile and
-- keeps the row (the openid is referenced by bindings and ledgers).
CREATE TABLE followers (
    account_id        TEXT NOT NULL,
    openid            TEXT NOT NULL,
    subscribed        INTEGER NOT NULL,
    nickname          TEXT NULL,
    avatar_url        TEXT NULL,
    sex               INTEGER NULL,
    city              TEXT NULL,
    province          TEXT NULL,
    country           TEXT NULL,
    language          TEXT NULL,
    unionid           TEXT NULL,
    scene             TEXT NULL,
    qr_source         INTEGER NULL,
    qr_scene          TEXT NULL,
    subscribed_at     INTEGER NULL,
    unsubscribed_at   INTEGER NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (account_id, openid)
);

-- Per-account passive reply rules. `matcher` and `action` are tagged JSON (replies::model).
CREATE TABLE reply_rules (
    rule_id     TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL,
    name        TEXT NULL,
    priority    INTEGER NOT NULL,
    enabled     INTEGER NOT NULL,
    matcher     TEXT NOT NULL,
    action      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX reply_rules_account ON reply_rules (account_id, priority);

-- Per-account callback settings. `unfollow_unbinds` is read by the identity capability.
CREATE TABLE account_callback_settings (
    account_id        TEXT PRIMARY KEY NOT NULL,
    unfollow_unbinds  INTEGER NOT NULL DEFAULT 0
);
