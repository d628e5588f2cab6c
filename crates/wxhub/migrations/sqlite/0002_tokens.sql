-- The token centre's durable copy of every WeChat credential (access_token, tickets).
-- One row per cache key: per AppID, or per CorpID + AgentID, and kind.
-- `value` is TEXT: unbounded, WeChat asks for room of at least 512 characters.
-- Times are UTC milliseconds since the epoch; `fence` orders writes (higher is newer).
CREATE TABLE tokens (
    cache_key   TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    refresh_at  INTEGER NOT NULL,
    fetched_at  INTEGER NOT NULL,
    fence       INTEGER NOT NULL
);

CREATE INDEX tokens_refresh_at ON tokens (refresh_at);
CREATE INDEX tokens_account_id ON tokens (account_id);
