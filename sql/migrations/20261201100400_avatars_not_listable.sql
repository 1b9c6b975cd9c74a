-- The avatars bucket is public, so each avatar is served by its public URL
-- (/storage/v1/object/public/avatars/<user id>/...), which Storage answers without any policy. The SELECT policy
-- for anon and authenticated on its objects added nothing to that but listing: anyone could list every object
-- name, and so every user id with an avatar (issue 14, hole 7; Supabase's Security Advisor warns on it). Users
-- still read, replace and delete their own avatar through the own-folder policies.
-- Idempotent like every migration here: running it again changes nothing.

drop policy if exists "Avatar images are publicly accessible" on storage.objects;
