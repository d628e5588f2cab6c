-- Seed 001's unified user resolved to an openid of a chosen account goes through the
-- follower records by unionid (identity/service/users.rs).

CREATE INDEX followers_by_unionid ON followers (account_id, unionid) WHERE unionid IS NOT NULL;
