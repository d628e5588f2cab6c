-- The WeCom contacts directory (issue 16, seed 002 §4): each `work` account's copy of its
-- corp's departments, members and tags, read with the corp's contacts secret by the
-- `contacts.sync` job and kept current by change_contact callbacks and seed 002's manual
-- notify (both queue a re-read in `contact_changes`). Times are UTC milliseconds.
--
-- `confirmed_at` is the latest time WeCom listed a row (a sync page or a re-read); a full
-- sync removes what it did not confirm. `digest` is a hash of WeCom's fields, so a sync
-- tells what it changed (`changed_at`) from what it merely saw again.

-- Departments. `path` is the materialised path of ids from the root to the department
-- itself, each followed by '/' ("/1/5/9/"): a subtree is the range [path, path with its
-- last '/' replaced by '0'), an index range scan; the ancestors are the path's ids.
CREATE TABLE contact_departments (
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id           INTEGER NOT NULL,
    name         TEXT NOT NULL,
    name_en      TEXT NOT NULL DEFAULT '',
    parentid     INTEGER NOT NULL,
    sort_order   INTEGER NOT NULL,
    path         TEXT NOT NULL,
    depth        INTEGER NOT NULL,
    leaders      TEXT NOT NULL DEFAULT '[]',
    digest       TEXT NOT NULL,
    confirmed_at INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    changed_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
);
-- Children in WeCom's order (a larger order first).
CREATE INDEX contact_departments_children ON contact_departments (account_id, parentid, sort_order DESC, id);
CREATE INDEX contact_departments_path ON contact_departments (account_id, path);

-- Members. `departments` is WeCom's list as JSON (`[2,5]`); the rows of
-- `contact_member_departments` are the same list, for queries by department.
CREATE TABLE contact_members (
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    userid          TEXT NOT NULL,
    name            TEXT NOT NULL,
    main_department INTEGER NOT NULL,
    departments     TEXT NOT NULL,
    position        TEXT NOT NULL DEFAULT '',
    mobile          TEXT NOT NULL DEFAULT '',
    gender          TEXT NOT NULL DEFAULT '0',
    email           TEXT NOT NULL DEFAULT '',
    alias           TEXT NOT NULL DEFAULT '',
    avatar          TEXT NOT NULL DEFAULT '',
    telephone       TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    status          INTEGER NOT NULL DEFAULT 1,
    digest          TEXT NOT NULL,
    confirmed_at    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    changed_at      INTEGER NOT NULL,
    PRIMARY KEY (account_id, userid)
);

-- A member's departments, one row each, with the member's order in it; `path` is the
-- department's path, copied so a subtree's members are one index range.
CREATE TABLE contact_member_departments (
    account_id    TEXT NOT NULL,
    department_id INTEGER NOT NULL,
    userid        TEXT NOT NULL,
    sort_order    INTEGER NOT NULL DEFAULT 0,
    path          TEXT NOT NULL,
    PRIMARY KEY (account_id, department_id, userid),
    FOREIGN KEY (account_id, userid) REFERENCES contact_members (account_id, userid) ON DELETE CASCADE
);
CREATE INDEX contact_member_departments_user ON contact_member_departments (account_id, userid);
CREATE INDEX contact_member_departments_path ON contact_member_departments (account_id, path, userid);

-- Tags and their members (userids) and departments.
CREATE TABLE contact_tags (
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tagid        INTEGER NOT NULL,
    tagname      TEXT NOT NULL,
    digest       TEXT NOT NULL,
    confirmed_at INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    changed_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, tagid)
);
CREATE TABLE contact_tag_members (
    account_id TEXT NOT NULL,
    tagid      INTEGER NOT NULL,
    userid     TEXT NOT NULL,
    PRIMARY KEY (account_id, tagid, userid),
    FOREIGN KEY (account_id, tagid) REFERENCES contact_tags (account_id, tagid) ON DELETE CASCADE
);
CREATE INDEX contact_tag_members_user ON contact_tag_members (account_id, userid);
CREATE TABLE contact_tag_parties (
    account_id    TEXT NOT NULL,
    tagid         INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    PRIMARY KEY (account_id, tagid, department_id),
    FOREIGN KEY (account_id, tagid) REFERENCES contact_tags (account_id, tagid) ON DELETE CASCADE
);

-- Re-reads to do: one per change_contact callback (queued in the callback's event batch)
-- or manual notify. `target` is 'user', 'party' or 'tag' and `target_id` its id;
-- `change_type` WeCom's (create_user … delete_party, update_tag). A row is leased by the
-- instance applying it and removed once applied.
CREATE TABLE contact_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target       TEXT NOT NULL CHECK (target IN ('user', 'party', 'tag')),
    target_id    TEXT NOT NULL,
    change_type  TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('callback', 'notify')),
    received_at  INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT NULL,
    last_error   TEXT NULL
);
CREATE INDEX contact_changes_due ON contact_changes (due_at);

-- What each directory sync (or reconcile) did, newest last: counts and the first ids of
-- each kind of change, as JSON.
CREATE TABLE contact_syncs (
    job_id      TEXT NOT NULL PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    report      TEXT NOT NULL
);
CREATE INDEX contact_syncs_account ON contact_syncs (account_id, finished_at);
