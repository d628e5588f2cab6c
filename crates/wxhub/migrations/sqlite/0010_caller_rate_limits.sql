-- Rate limits (issue 14): a caller's own request limit, an account's own limit on its calls
-- to WeChat. Both columns of a pair are set or both NULL; NULL is the default from
-- [limits] in the config.

ALTER TABLE callers ADD COLUMN rate_per_second INTEGER;
ALTER TABLE callers ADD COLUMN rate_burst INTEGER;
ALTER TABLE accounts ADD COLUMN wechat_per_second INTEGER;
ALTER TABLE accounts ADD COLUMN wechat_burst INTEGER;
