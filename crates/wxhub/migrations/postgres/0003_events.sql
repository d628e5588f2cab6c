-- Received events (placeholder by the delivery side until the callbacks side lands its own).
CREATE TABLE events (
    seq           BIGSERIAL PRIMARY KEY,
    event_id      TEXT        NOT NULL UNIQUE,
    account_id    TEXT        NOT NULL,
    event_type    TEXT        NOT NULL,
    dedup_key     TEXT        NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    qr_source     BIGINT,
    payload       TEXT        NOT NULL,
    dispatched_at TIMESTAMPTZ,
    UNIQUE (account_id, dedup_key)
);
CREATE INDEX events_undispatched ON events (seq) WHERE dispatched_at IS NULL;
