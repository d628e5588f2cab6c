-- The jobs harness: tracked jobs, the live instances that hold leases, and the holder of
-- each webhook delivery lease.

CREATE TABLE jobs (
    id               TEXT        NOT NULL PRIMARY KEY,
    kind             TEXT        NOT NULL,
    owner            TEXT,                 -- caller client id; NULL for the admin and the hub
    params           TEXT        NOT NULL, -- JSON
    state            TEXT,                 -- JSON, saved after each step
    status           TEXT        NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    done             BIGINT      NOT NULL,
    total            BIGINT,
    attempts         INTEGER     NOT NULL,
    error            TEXT,
    result           TEXT,                 -- JSON
    cancel_requested BOOLEAN     NOT NULL,
    lease_owner      TEXT,
    lease_until      TIMESTAMPTZ,
    run_after        TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ
);

CREATE INDEX jobs_runnable ON jobs (run_after) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_lease_owner ON jobs (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE instances (
    id           TEXT        NOT NULL PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE webhook_deliveries ADD COLUMN lease_owner TEXT;
CREATE INDEX webhook_deliveries_lease_owner ON webhook_deliveries (lease_owner)
    WHERE lease_owner IS NOT NULL;
