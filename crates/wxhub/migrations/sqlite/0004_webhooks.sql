-- Webhook endpoints, one delivery per (event, matching endpoint), every attempt a row.
-- Filters are JSON arrays; secrets are sealed with the master key (`v1.<base64>`).

CREATE TABLE webhook_endpoints (
    id                         TEXT    NOT NULL PRIMARY KEY,
    owner                      TEXT,            -- caller client id; NULL for the admin
    url                        TEXT    NOT NULL,
    accounts                   TEXT    NOT NULL,
    event_types                TEXT    NOT NULL,
    qr_sources                 TEXT    NOT NULL,
    description                TEXT,
    enabled                    INTEGER NOT NULL,
    secret_sealed              TEXT    NOT NULL,
    previous_secret_sealed     TEXT,
    previous_secret_expires_at TEXT,
    health                     TEXT    NOT NULL CHECK (health IN ('healthy', 'failing')),
    consecutive_failures       INTEGER NOT NULL,
    failing_since              TEXT,
    created_at                 TEXT    NOT NULL,
    updated_at                 TEXT    NOT NULL
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner, id);

CREATE TABLE webhook_deliveries (
    id               TEXT    NOT NULL PRIMARY KEY,
    endpoint_id      TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT    NOT NULL REFERENCES events (event_id),
    event_type       TEXT    NOT NULL,
    account_id       TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'failing', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL,
    step             INTEGER NOT NULL,
    next_attempt_at  TEXT,
    lease_until      TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'failing');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    id              TEXT    NOT NULL PRIMARY KEY,
    delivery_id     TEXT    NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id     TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    attempt_no      INTEGER NOT NULL,
    at              TEXT    NOT NULL,
    outcome         TEXT    NOT NULL,
    status_code     INTEGER,
    error           TEXT,
    response        TEXT,
    duration_ms     INTEGER NOT NULL,
    next_attempt_at TEXT
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
