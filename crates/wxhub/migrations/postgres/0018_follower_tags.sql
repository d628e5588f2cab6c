-- Follower tags (issue 15, seed 004): each Official Account's copy of its WeChat tags, so
-- lists are fast and WeChat's limits (100 tags, unique names, no deleting a tag of more
-- than 100,000 followers) are checked before WeChat is asked. Replaced whole by every sync
-- (`POST /api/v1/accounts/{id}/tags/sync`, and after each change the hub makes). Times are
-- TIMESTAMPTZ; numbers are BIGINT, bound as i64 on both backends.

-- When the account's tags were last read from WeChat; no row: never synced.
CREATE TABLE follower_tag_syncs (
    account_id TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    synced_at  TIMESTAMPTZ NOT NULL
);

-- The tags as `tags/get` listed them then (`followers` is WeChat's `count`).
CREATE TABLE follower_tags (
    account_id TEXT NOT NULL REFERENCES follower_tag_syncs (account_id) ON DELETE CASCADE,
    tag_id     BIGINT NOT NULL,
    name       TEXT NOT NULL,
    followers  BIGINT NOT NULL,
    PRIMARY KEY (account_id, tag_id)
);
