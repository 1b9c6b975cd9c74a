-- What an erasure leaves in the backups (issue 26): the nightly backups copy Storage objects, and those copies
-- outlive the erasure until no kept backup names them (`ops backup-prune`) and their old versions expire. The
-- erasure record says how many copies of the account's files the backup bucket held when the account was erased,
-- and the day by which they are gone at the latest. Numbers and a date only: still no id, no e-mail.
alter table private.account_erasures add column if not exists backup_copies integer
  check (backup_copies is null or backup_copies >= 0);
alter table private.account_erasures add column if not exists backup_copies_gone_by date;
comment on column private.account_erasures.backup_copies is
  'Copies of the account''s files in the backup bucket when it was erased (null: not counted, no bucket given).';
comment on column private.account_erasures.backup_copies_gone_by is
  'The day the backups hold no copy of the account''s files any more, at the latest (docs/data.md).';
