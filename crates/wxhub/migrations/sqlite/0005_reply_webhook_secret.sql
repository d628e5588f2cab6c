-- The signing secret of a reply rule whose action is a webhook: `whsec_<base64>` sealed with the
-- master key (context `reply_rule:<rule_id>:webhook_secret`). NULL for reply actions and for
-- webhook rules created before this migration (sent unsigned until their secret is rotated).
ALTER TABLE reply_rules ADD COLUMN webhook_secret_sealed TEXT NULL;
