-- Nothing to do on PostgreSQL: its time columns are TIMESTAMPTZ already. SQLite's 0008 turns
-- its remaining TEXT times into INTEGER milliseconds; this file keeps the numbering parallel.
SELECT 1;
