-- QR codes (issue 15, seed 000 §3.2–3.4). Times are TIMESTAMPTZ; numbers are BIGINT, bound as
-- i64 on both backends.
--
-- `qrcodes`: every code the hub had WeChat issue. `id` is random (the image URL needs no
-- bearer). `client_id` is the caller that asked (NULL: the admin); it has no foreign key on
-- purpose, so a removed caller's permanent scene ids stay taken and are never handed to
-- another. `scene` is what the scan event carries (a scene id's digits or the scene
-- string), `scene_value` what the caller gave. `permanent_scene_id` is NULL for temporary
-- codes (NULLs never clash), so the UNIQUE constraint gives each permanent id one owner.
CREATE TABLE qrcodes (
    id                 TEXT NOT NULL PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id          TEXT NULL,
    kind               TEXT NOT NULL,
    qr_source          BIGINT NULL,
    scene              TEXT NOT NULL,
    scene_value        TEXT NOT NULL,
    permanent_scene_id BIGINT NULL,
    ticket             TEXT NOT NULL,
    url                TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ NULL,
    UNIQUE (account_id, permanent_scene_id)
);

-- The event batch finds a scanned code by its ticket.
CREATE INDEX qrcodes_ticket ON qrcodes (account_id, ticket);

-- Scans per code and UTC day (`YYYY-MM-DD`), counted in the event batch's transaction.
CREATE TABLE qrcode_days (
    qrcode_id   TEXT NOT NULL REFERENCES qrcodes (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    scans       BIGINT NOT NULL,
    new_follows BIGINT NOT NULL,
    PRIMARY KEY (qrcode_id, day)
);

-- Who scanned a code on which day: unique users per day and overall.
CREATE TABLE qrcode_scanners (
    qrcode_id TEXT NOT NULL REFERENCES qrcodes (id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    openid    TEXT NOT NULL,
    PRIMARY KEY (qrcode_id, day, openid)
);

-- An account's own limit on its temporary codes' life (absent: seed 000's 1,800 s).
CREATE TABLE qrcode_settings (
    account_id         TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    max_expire_seconds BIGINT NOT NULL
);

-- Callers an admin allowed permanent codes on an account (seed 000: allocated after
-- consulting the product owner).
CREATE TABLE qrcode_grants (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES callers (client_id) ON DELETE CASCADE,
    granted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- Publishable keys for seed 000's JSONP route, by hash. `domains` is a JSON array.
CREATE TABLE qrcode_keys (
    id         TEXT NOT NULL PRIMARY KEY,
    key_hash   TEXT NOT NULL UNIQUE,
    client_id  TEXT NOT NULL REFERENCES callers (client_id) ON DELETE CASCADE,
    domains    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX qrcode_keys_client ON qrcode_keys (client_id, id);
