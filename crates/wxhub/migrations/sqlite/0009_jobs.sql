-- The jobs harness: tracked jobs, the live instances that hold leases, and the holder of
-- each webhook delivery lease. Times are UTC milliseconds.

CREATE TABLE jobs (
    id               TEXT    NOT NULL PRIMARY KEY,
    kind             TEXT    NOT NULL,
    owner            TEXT,             -- caller client id; NULL for the admin and the hub
    params           TEXT    NOT NULL, -- JSON
    state            TEXT,             -- JSON, saved after each step
    status           TEXT    NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    done             INTEGER NOT NULL,
    total            INTEGER,
    attempts         INTEGER NOT NULL,
    error            TEXT,
    result           TEXT,             -- JSON
    cancel_requested INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER,
    run_after        INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER
);

CREATE INDEX jobs_runnable ON jobs (run_after) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_lease_owner ON jobs (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE instances (
    id           TEXT    NOT NULL PRIMARY KEY,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);

ALTER TABLE webhook_deliveries ADD COLUMN lease_owner TEXT;
CREATE INDEX webhook_deliveries_lease_owner ON webhook_deliveries (lease_owner)
    WHERE lease_owner IS NOT NULL;
