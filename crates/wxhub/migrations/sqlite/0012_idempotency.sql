-- Idempotency-Key records (http/idempotency.rs): per caller scope and key, the request's
-- fingerprint, and once answered the answer to replay (its body sealed with the master key).
-- state: running (claimed by holder, an instance id), done (answer stored), unknown (the
-- holder stopped before answering: the outcome is not known, so it is never run again).
-- Times are UTC milliseconds.

CREATE TABLE idempotency_keys (
    scope       TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('running', 'done', 'unknown')),
    holder      TEXT,
    status      INTEGER,
    headers     TEXT,
    body_sealed TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
CREATE INDEX idempotency_keys_holder ON idempotency_keys (holder) WHERE holder IS NOT NULL;
