-- Listing an account's followers by state, in openid order (`GET …/followers?subscribed=`).
-- The primary key (account_id, openid) already serves the unfiltered list.
CREATE INDEX followers_account_subscribed ON followers (account_id, subscribed, openid);
