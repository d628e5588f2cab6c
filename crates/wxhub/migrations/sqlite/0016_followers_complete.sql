-- Complete follower records (issue 15): every field of WeChat's user/info, and what the
-- profile fetcher and the follower sync need. Columns that already existed keep their names:
-- `avatar_url` holds user/info's `headimgurl`, `subscribed_at` its `subscribe_time`, and
-- `qr_scene` (TEXT) the scene value the follow callback carried; user/info's own `qr_scene`
-- (a number) and `qr_scene_str` are `qr_scene_id` and `qr_scene_str`, NULL until WeChat's
-- answer since the last follow is stored. `tagid_list` is comma-separated ("" for none).
-- Times are UTC milliseconds.
--   profile_fetched_at   when user/info was last stored
--   profile_due_at       when the profile is to be read (again) from WeChat; NULL: not needed
--                        (an unfollowed user); a leased row is due at its lease's end
--   profile_lease_owner  the instance reading it now (jobs::InstanceId)
--   confirmed_at         the latest evidence that the user follows: a follow callback, a
--                        follower list page (user/get) or a user/info answer that listed them;
--                        a sync marks those it did not confirm unsubscribed
ALTER TABLE followers ADD COLUMN remark TEXT NULL;
ALTER TABLE followers ADD COLUMN groupid INTEGER NULL;
ALTER TABLE followers ADD COLUMN tagid_list TEXT NULL;
ALTER TABLE followers ADD COLUMN subscribe_scene TEXT NULL;
ALTER TABLE followers ADD COLUMN qr_scene_id INTEGER NULL;
ALTER TABLE followers ADD COLUMN qr_scene_str TEXT NULL;
ALTER TABLE followers ADD COLUMN profile_fetched_at INTEGER NULL;
ALTER TABLE followers ADD COLUMN profile_due_at INTEGER NULL;
ALTER TABLE followers ADD COLUMN profile_lease_owner TEXT NULL;
ALTER TABLE followers ADD COLUMN confirmed_at INTEGER NULL;

-- Followers recorded before this migration: their profile is due now.
UPDATE followers SET profile_due_at = updated_at, confirmed_at = subscribed_at WHERE subscribed <> 0;

-- The profile fetcher takes the followers whose profile is due first.
CREATE INDEX followers_profile_due ON followers (profile_due_at) WHERE profile_due_at IS NOT NULL;
