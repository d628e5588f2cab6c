-- Admin scopes and fuzzy member search over the contacts directory (issue 16, seed 002
-- §3.2/§4.3–4.5). Owned by the queries (`store/sql/contact_queries.rs`); the directory's
-- writers (the sync, change callbacks) never touch these tables: the search index follows
-- `contact_members` through the trigger below.

-- Role assignments: WeCom has no API for which departments an admin manages, so the hub
-- keeps them. `level` 1 system super-admin, 2 super-admin (both see everything), 3 tiered
-- admin managing `departments` (a JSON list of department ids, each with its subtree).
CREATE TABLE contact_roles (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    userid      TEXT NOT NULL,
    level       BIGINT NOT NULL CHECK (level IN (1, 2, 3)),
    departments TEXT NOT NULL DEFAULT '[]',
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, userid)
);

-- Fuzzy search. A member's grams: every 1-, 2- and 3-character substring of its name and
-- alias, and every 3-character substring of its mobile and userid, ASCII letters folded to
-- lower case (as SQLite's `lower` does, so both backends match alike), within the first 64
-- characters of each field. A query of one or two characters is one gram's posting list
-- (name and alias only); a longer one is driven by its rarest trigram's list and checked
-- against the fields. Each list is in userid order, so a page is an index range with a
-- LIMIT. (pg_trgm's GIN index was measured against this: it cannot serve the one- and
-- two-character queries Chinese names need, and a common trigram costs a bitmap scan and
-- a sort of every match before the LIMIT.)
CREATE TABLE contact_search_grams (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    gram       TEXT COLLATE "C" NOT NULL,
    userid     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, gram, userid)
);

-- ASCII-only lower case, as SQLite's `lower`.
CREATE FUNCTION contact_search_fold(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT translate(t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
$$;

CREATE FUNCTION contact_search_grams_of(name TEXT, alias TEXT, mobile TEXT, userid TEXT)
RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE ROWS 40 SET jit = off AS $$
    SELECT DISTINCT substr(f.t, p.n, k.n)
    FROM (VALUES (contact_search_fold(name), 1), (contact_search_fold(alias), 1),
                 (contact_search_fold(mobile), 3), (contact_search_fold(userid), 3)) AS f(t, shortest)
    CROSS JOIN LATERAL generate_series(f.shortest, 3) AS k(n)
    CROSS JOIN LATERAL generate_series(1, LEAST(64, char_length(f.t) - k.n + 1)) AS p(n)
$$;

-- `jit = off`: generate_series' default estimate would make every call compile (~17 ms).
CREATE FUNCTION contact_members_search() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.name IS NOT DISTINCT FROM NEW.name
       AND OLD.alias IS NOT DISTINCT FROM NEW.alias AND OLD.mobile IS NOT DISTINCT FROM NEW.mobile
       AND OLD.userid IS NOT DISTINCT FROM NEW.userid THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM contact_search_grams
        WHERE account_id = OLD.account_id AND userid = OLD.userid
          AND gram IN (SELECT contact_search_grams_of(OLD.name, OLD.alias, OLD.mobile, OLD.userid));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO contact_search_grams (account_id, gram, userid)
        SELECT NEW.account_id, g, NEW.userid
        FROM contact_search_grams_of(NEW.name, NEW.alias, NEW.mobile, NEW.userid) AS g
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER contact_members_search AFTER INSERT OR DELETE OR UPDATE OF name, alias, mobile, userid
    ON contact_members FOR EACH ROW EXECUTE FUNCTION contact_members_search();

-- A subtree's page of departments in WeCom's order (level by level, siblings by order), read
-- from the index alone: its path range with the sort columns.
CREATE INDEX contact_departments_subtree ON contact_departments (account_id, path, depth, parentid, sort_order, id);

-- A member's departments with their paths, read alone: whether a member has an earlier
-- department within a subtree (recursive department members list each member once).
CREATE INDEX contact_member_departments_user_path ON contact_member_departments (account_id, userid, path);
