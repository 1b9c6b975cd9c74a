"""Queues and storage from the platform's own tables (a migrated database): what the dashboard's queue and
storage widgets show. Spend is the spend meter's, from the ledger (tests/schema/test_provider_spend.py)."""

from __future__ import annotations

import pytest

from ops.localdb import LocalDatabase
from ops.metrics.gauges import MetricsError
from ops.metrics.workload_figures import workload_figures
from ops.sql_query import connection_query
from tests.conftest import dbname_of

USER = "00000000-0000-4000-8000-0000000000a1"
DOCS = [f"00000000-0000-4000-8000-0000000000d{n}" for n in range(5)]  # one live job per document


def test_pending_and_failed_jobs_due_reminders_and_storage_bytes(pg_cluster: LocalDatabase, migrated_url):
    # As the superuser with foreign keys off: rows of the shapes the functions write, without a whole world.
    pg_cluster.psql(
        f"""
        set session_replication_role = replica;
        insert into public.processing_queue (document_id, user_id, status)
          select d::uuid, '{USER}', s from unnest(array{DOCS!r}, array['queued', 'queued', 'processing', 'failed',
                                                                      'completed']) as j(d, s);
        insert into public.reminders (user_id, title, remind_at, notified_at, is_completed) values
          ('{USER}', 'due', now() - interval '1 minute', null, false),
          ('{USER}', 'later', now() + interval '1 day', null, false),
          ('{USER}', 'sent', now() - interval '1 hour', now(), false),
          ('{USER}', 'done', now() - interval '1 hour', null, true);
        insert into storage.objects (bucket_id, name, metadata) values
          (null, 'a', '{{"size": 1000}}'), (null, 'b', '{{"size": 2500}}');
    """,
        dbname=dbname_of(migrated_url),
    )
    assert workload_figures(connection_query(migrated_url)) == {
        "DocumentJobsPending": 3,
        "DocumentJobsFailed": 1,
        "RemindersDue": 1,
        "StorageBytes": 3500,
    }


def test_a_database_without_the_platforms_tables_is_named(fresh_db):
    with pytest.raises(MetricsError, match=r'relation "public\.processing_queue" does not exist'):
        workload_figures(connection_query(fresh_db))
