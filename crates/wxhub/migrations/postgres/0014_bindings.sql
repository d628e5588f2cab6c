-- Bindings (identity/bindings): a business system's uid bound to an openid of one account,
-- per type (weixin, qq: separate namespaces). Every binding ever made is a row; the current
-- ones have ended_at NULL, and two partial unique indexes keep at most one current binding
-- per uid and per openid (concurrent binds included). "First binding ever" is read from the
-- rows, so the history is never deleted while the account exists.

CREATE TABLE bindings (
    id          TEXT    PRIMARY KEY,
    account_id  TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('weixin', 'qq')),
    uid         BIGINT  NOT NULL,
    openid      TEXT    NOT NULL,
    scan_code   TEXT,
    bound_at    TIMESTAMPTZ NOT NULL,
    bound_by    TEXT    NOT NULL,
    ended_at    TIMESTAMPTZ,
    ended_by    TEXT,
    end_reason  TEXT    CHECK (end_reason IN ('unbind', 'unfollow'))
);

CREATE UNIQUE INDEX bindings_current_uid ON bindings (account_id, kind, uid) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX bindings_current_openid ON bindings (account_id, kind, openid) WHERE ended_at IS NULL;
CREATE INDEX bindings_by_uid ON bindings (account_id, kind, uid, bound_at);
CREATE INDEX bindings_by_openid ON bindings (account_id, kind, openid, bound_at);
