-- Scan-to-bind (identity/service/scan_bind.rs): a temporary QR code issued to bind one uid.
-- The event batch that stores a scan of its ticket records the scanner (scanned_openid) in
-- the same transaction; the scan-to-bind job then binds and records the code seed 000's
-- bind returned (result_code) and when (bound_at).

CREATE TABLE binding_codes (
    id             TEXT    PRIMARY KEY,
    account_id     TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('weixin', 'qq')),
    uid            BIGINT  NOT NULL,
    qrcode_id      TEXT    NOT NULL,
    ticket         TEXT    NOT NULL,
    owner          TEXT    NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    scanned_openid TEXT,
    scanned_at     TIMESTAMPTZ,
    bound_at       TIMESTAMPTZ,
    result_code    INTEGER
);

CREATE INDEX binding_codes_ticket ON binding_codes (account_id, ticket);
CREATE INDEX binding_codes_due ON binding_codes (scanned_at) WHERE scanned_openid IS NOT NULL AND bound_at IS NULL;
