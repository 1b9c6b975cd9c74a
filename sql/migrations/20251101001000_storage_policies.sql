-- Who may read and write files in Supabase Storage. The buckets themselves (ids, public flag, size limits,
-- MIME types) are declared in the stack config (storageBuckets) and created by the stack, not here.
--
-- One rule for every bucket: a signed-in user reads and writes only under their own folder,
-- '<user id>/...' (guide 002's auth.uid()::text = (storage.foldername(name))[1]). A bucket added to the
-- config later is covered without a migration. The public avatars bucket is readable by anyone.
-- Files of documents shared with a family vault are handed out by the backend as signed URLs, so the
-- sharing rules stay in one place (public.documents' policies).

drop policy if exists "Users read files in their own folder" on storage.objects;
create policy "Users read files in their own folder" on storage.objects
  for select to authenticated
  using ((storage.foldername(name))[1] = (select auth.uid()::text));

drop policy if exists "Users upload into their own folder" on storage.objects;
create policy "Users upload into their own folder" on storage.objects
  for insert to authenticated
  with check ((storage.foldername(name))[1] = (select auth.uid()::text));

drop policy if exists "Users replace files in their own folder" on storage.objects;
create policy "Users replace files in their own folder" on storage.objects
  for update to authenticated
  using ((storage.foldername(name))[1] = (select auth.uid()::text))
  with check ((storage.foldername(name))[1] = (select auth.uid()::text));

drop policy if exists "Users delete files in their own folder" on storage.objects;
create policy "Users delete files in their own folder" on storage.objects
  for delete to authenticated
  using ((storage.foldername(name))[1] = (select auth.uid()::text));

drop policy if exists "Avatar images are publicly accessible" on storage.objects;
create policy "Avatar images are publicly accessible" on storage.objects
  for select to anon, authenticated
  using (bucket_id = 'avatars');
