-- The message centre (seed 002 §5): every notice sent through it, WeCom app message, e-mail
-- or SMS, with what came of it (`GET /api/v1/message-centre/log`, newest first). The content
-- itself is not kept, only the title (or the SMS template id). `caller` is `admin` or the
-- caller's client_id: a caller lists only its own sends. Ids are ULIDs (`mcl_…`), so id
-- order is time order. Times are TIMESTAMPTZ; counts BIGINT, bound as i64 on both backends.

CREATE TABLE message_centre_log (
    id            TEXT    PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    caller        TEXT    NOT NULL,
    agent_name    TEXT    NOT NULL,
    channel       TEXT    NOT NULL CHECK (channel IN ('wecom', 'email', 'sms')),
    account_id    TEXT,
    msg_type      TEXT,
    subject       TEXT    NOT NULL,
    to_user       TEXT    NOT NULL,
    to_party      TEXT    NOT NULL,
    to_tag        TEXT    NOT NULL,
    delivered     BIGINT,
    invalid_user  TEXT    NOT NULL,
    invalid_party TEXT    NOT NULL,
    invalid_tag   TEXT    NOT NULL,
    outcome       TEXT    NOT NULL CHECK (outcome IN ('sent', 'failed')),
    error         TEXT
);

CREATE INDEX message_centre_log_caller ON message_centre_log (caller, id);
