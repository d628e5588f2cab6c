-- Tokens the pass-through proxy issues to an SDK that presented a caller's client id and
-- secret in place of an AppID and AppSecret: each is good for one account's proxied calls
-- only (never as an API bearer). By hash, like caller tokens. Times are UTC milliseconds.

CREATE TABLE proxy_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES callers (client_id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);

CREATE INDEX proxy_tokens_expiry ON proxy_tokens (expires_at);
