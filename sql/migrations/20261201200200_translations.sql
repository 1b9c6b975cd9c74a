-- translation-service's results, kept so the same translation is not paid for twice. One cache per user: a
-- shared cache would tell anyone whether someone else had translated a given text. Written by the backend only,
-- so a user cannot plant a "translation" that the function would later serve as Google's.
create table if not exists public.translations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  -- The document translated (null for a free text such as a chat answer).
  document_id uuid references public.documents (id) on delete cascade,
  source_sha256 text not null check (source_sha256 ~ '^[0-9a-f]{64}$'),
  -- '' when Google detected the language; a code such as 'en' or 'zh-TW' when the caller named it.
  source_language text not null default '' check (source_language ~ '^([a-z]{2,3}(-[A-Za-z0-9]{2,8})?)?$'),
  target_language text not null check (target_language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$'),
  detected_language text,
  translated_text text not null,
  characters integer not null check (characters > 0),
  created_at timestamptz not null default now(),
  unique (user_id, source_sha256, source_language, target_language)
);
create index if not exists idx_translations_document_id on public.translations (document_id);

alter table public.translations enable row level security;
revoke all on table public.translations from public, anon, authenticated;
grant select, delete on table public.translations to authenticated;
grant all on table public.translations to service_role;

drop policy if exists "Users read their translations" on public.translations;
create policy "Users read their translations" on public.translations
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users delete their translations" on public.translations;
create policy "Users delete their translations" on public.translations
  for delete to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Only the backend writes translations" on public.translations;
create policy "Only the backend writes translations" on public.translations
  for insert to service_role with check (true);
