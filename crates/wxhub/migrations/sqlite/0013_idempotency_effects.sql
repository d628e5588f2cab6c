-- Idempotency claims learn what their request did before it answered (core/effects.rs):
-- external (a WeChat call was about to leave) and acted (a store change committed, marked in
-- that change's own transaction). A holder that stops leaves a running claim free again
-- (nothing happened) and an external or acted one unknown. SQLite cannot change a CHECK, so
-- the table is rebuilt with its rows.

CREATE TABLE idempotency_keys_new (
    scope       TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('running', 'external', 'acted', 'done', 'unknown')),
    holder      TEXT,
    status      INTEGER,
    headers     TEXT,
    body_sealed TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

INSERT INTO idempotency_keys_new SELECT scope, key, fingerprint, state, holder, status, headers,
    body_sealed, created_at, expires_at FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
CREATE INDEX idempotency_keys_holder ON idempotency_keys (holder) WHERE holder IS NOT NULL;
