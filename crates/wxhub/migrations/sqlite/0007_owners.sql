-- Reply rules belong to the caller that made them (its client id), or to the admin (NULL).
-- Callers see and change only their own; every rule of an account is still evaluated.
ALTER TABLE reply_rules ADD COLUMN owner TEXT NULL;
CREATE INDEX reply_rules_owner ON reply_rules (owner);
