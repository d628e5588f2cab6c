-- Admin scopes and fuzzy member search over the contacts directory (issue 16, seed 002
-- §3.2/§4.3–4.5). Owned by the queries (`store/sql/contact_queries.rs`); the directory's
-- writers (the sync, change callbacks) never touch these tables: the search index follows
-- `contact_members` through the triggers below.

-- Role assignments: WeCom has no API for which departments an admin manages, so the hub
-- keeps them. `level` 1 system super-admin, 2 super-admin (both see everything), 3 tiered
-- admin managing `departments` (a JSON list of department ids, each with its subtree).
CREATE TABLE contact_roles (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    userid      TEXT NOT NULL,
    level       INTEGER NOT NULL CHECK (level IN (1, 2, 3)),
    departments TEXT NOT NULL DEFAULT '[]',
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, userid)
);

-- Fuzzy search. A member's grams: every 1-, 2- and 3-character substring of its name and
-- alias, and every 3-character substring of its mobile and userid, ASCII letters folded to
-- lower case (SQLite's `lower`), within the first 64 characters of each field. A query of
-- one or two characters is one gram's posting list (name and alias only); a longer one is
-- driven by its rarest trigram's list and checked against the fields. Each list is in
-- userid order, so a page is an index range with a LIMIT.
CREATE TABLE contact_search_positions (n INTEGER PRIMARY KEY);
INSERT INTO contact_search_positions (n)
    WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 64)
    SELECT n FROM s;

CREATE TABLE contact_search_grams (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    gram       TEXT NOT NULL,
    userid     TEXT NOT NULL,
    PRIMARY KEY (account_id, gram, userid)
) WITHOUT ROWID;

-- The grams are made DISTINCT: a trigger fired by an upsert (`INSERT … ON CONFLICT DO UPDATE`,
-- how the sync writes members) takes the outer statement's conflict policy, not its own
-- `OR IGNORE`, so a gram found twice in one member would fail the write.
CREATE TRIGGER contact_members_grams_insert AFTER INSERT ON contact_members
BEGIN
    INSERT OR IGNORE INTO contact_search_grams (account_id, gram, userid)
    SELECT DISTINCT new.account_id, substr(f.t, p.n, k.n), new.userid
    FROM (SELECT lower(new.name) AS t, 1 AS shortest
          UNION ALL SELECT lower(new.alias), 1
          UNION ALL SELECT lower(new.mobile), 3
          UNION ALL SELECT lower(new.userid), 3) AS f
    JOIN contact_search_positions AS k ON k.n >= f.shortest AND k.n <= 3
    JOIN contact_search_positions AS p ON p.n <= length(f.t) - k.n + 1 AND p.n <= 64;
END;

CREATE TRIGGER contact_members_grams_delete AFTER DELETE ON contact_members
BEGIN
    DELETE FROM contact_search_grams
    WHERE account_id = old.account_id AND userid = old.userid AND gram IN (
        SELECT substr(f.t, p.n, k.n)
        FROM (SELECT lower(old.name) AS t, 1 AS shortest
              UNION ALL SELECT lower(old.alias), 1
              UNION ALL SELECT lower(old.mobile), 3
              UNION ALL SELECT lower(old.userid), 3) AS f
        JOIN contact_search_positions AS k ON k.n >= f.shortest AND k.n <= 3
        JOIN contact_search_positions AS p ON p.n <= length(f.t) - k.n + 1 AND p.n <= 64);
END;

CREATE TRIGGER contact_members_grams_update AFTER UPDATE OF name, alias, mobile, userid ON contact_members
WHEN old.name IS NOT new.name OR old.alias IS NOT new.alias OR old.mobile IS NOT new.mobile
     OR old.userid IS NOT new.userid
BEGIN
    DELETE FROM contact_search_grams
    WHERE account_id = old.account_id AND userid = old.userid AND gram IN (
        SELECT substr(f.t, p.n, k.n)
        FROM (SELECT lower(old.name) AS t, 1 AS shortest
              UNION ALL SELECT lower(old.alias), 1
              UNION ALL SELECT lower(old.mobile), 3
              UNION ALL SELECT lower(old.userid), 3) AS f
        JOIN contact_search_positions AS k ON k.n >= f.shortest AND k.n <= 3
        JOIN contact_search_positions AS p ON p.n <= length(f.t) - k.n + 1 AND p.n <= 64);
    INSERT OR IGNORE INTO contact_search_grams (account_id, gram, userid)
    SELECT DISTINCT new.account_id, substr(f.t, p.n, k.n), new.userid
    FROM (SELECT lower(new.name) AS t, 1 AS shortest
          UNION ALL SELECT lower(new.alias), 1
          UNION ALL SELECT lower(new.mobile), 3
          UNION ALL SELECT lower(new.userid), 3) AS f
    JOIN contact_search_positions AS k ON k.n >= f.shortest AND k.n <= 3
    JOIN contact_search_positions AS p ON p.n <= length(f.t) - k.n + 1 AND p.n <= 64;
END;

-- A subtree's page of departments in WeCom's order (level by level, siblings by order), read
-- from the index alone: its path range with the sort columns.
CREATE INDEX contact_departments_subtree ON contact_departments (account_id, path, depth, parentid, sort_order, id);

-- A member's departments with their paths, read alone: whether a member has an earlier
-- department within a subtree (recursive department members list each member once).
CREATE INDEX contact_member_departments_user_path ON contact_member_departments (account_id, userid, path);
