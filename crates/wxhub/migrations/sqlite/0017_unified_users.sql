-- Unified users (seed 001): one person across the accounts of one WeChat Open Platform,
-- keyed by unionid, with a hub-minted i64 user_id and a phone sealed with the master key.
-- The access log remembers which account (and which application's entry link) a user came
-- through, newest last.
-- Times are UTC milliseconds.

CREATE TABLE unified_users (
    user_id      BIGINT  PRIMARY KEY,
    unionid      TEXT    NOT NULL UNIQUE,
    phone_sealed TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE user_access_log (
    user_id    BIGINT  NOT NULL REFERENCES unified_users (user_id) ON DELETE CASCADE,
    account_id TEXT    NOT NULL,
    app_id     TEXT,
    at         INTEGER NOT NULL
);

CREATE INDEX user_access_log_latest ON user_access_log (user_id, at);
