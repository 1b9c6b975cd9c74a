"""Account erasure: every row and object of the person gone (checked from the catalog), the subscriptions
cancelled at Stripe (stripe-mock) and Razorpay (stand-in), vaults handed over or dissolved, an erasure record
without personal data, the bystander untouched; a run killed halfway is finished by the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import boto3
import psycopg
import pytest
from moto import mock_aws

from ops.lifecycle.account import delete_account
from ops.lifecycle.archive import ArchiveBucket
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.payments import PaymentProviders
from ops.lifecycle.storage_api import StorageApi
from tests.harness.stripe_mock import MISSING, running_stripe_mock, stripe_mock_binary
from tests.lifecycle.account_world import AccountWorld, build_account_world, tables_that_hold_people
from tests.lifecycle.catalog import rows_naming, tables_naming
from tests.lifecycle.objects import add_document
from tests.lifecycle.razorpay_standin import KEY_ID, KEY_SECRET, RazorpayStandIn, razorpay_standin
from tests.lifecycle.storage_standin import SERVICE_KEY, StorageStandIn

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STRIPE_TEST_KEY = "sk_test_" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def stripe_mock_url() -> Iterator[str]:
    binary = stripe_mock_binary()
    if binary is None:
        pytest.skip(MISSING)
    with running_stripe_mock(binary) as url:
        yield url


@pytest.fixture
def razorpay() -> Iterator[RazorpayStandIn]:
    with razorpay_standin() as standin:
        yield standin
        assert not standin.violations, standin.violations


@pytest.fixture
def payments(stripe_mock_url: str, razorpay: RazorpayStandIn) -> PaymentProviders:
    return PaymentProviders(
        stripe_key=STRIPE_TEST_KEY,
        stripe_api_url=stripe_mock_url,
        razorpay_key_id=KEY_ID,
        razorpay_key_secret=KEY_SECRET,
        razorpay_api_url=razorpay.url,
    )


@pytest.fixture
def people(lifecycle_db: str, razorpay: RazorpayStandIn) -> AccountWorld:
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        built = build_account_world(conn)
    razorpay.statuses[built.razorpay_subscription] = "active"
    return built


def test_nothing_in_any_table_or_bucket_names_the_person_after_the_erasure(
    lifecycle_db: str,
    people: AccountWorld,
    storage: StorageStandIn,
    storage_api: StorageApi,
    payments: PaymentProviders,
    razorpay: RazorpayStandIn,
    archive: ArchiveBucket,
):
    archived = _archive_a_document(lifecycle_db, archive, people.person)
    with psycopg.connect(lifecycle_db) as conn:
        before = tables_naming(conn, people.person, people.email)
        bystander_before = rows_naming(conn, people.bystander)
        uncovered = tables_that_hold_people(conn) - set(before)
    assert not uncovered, f"give the person rows in {sorted(uncovered)} (tests/lifecycle/account_world.py)"

    erasure = delete_account(lifecycle_db, storage_api, payments, uuid.UUID(people.person), archive=archive)

    assert archive.size(archived) is None, "the archive bucket's copy went too"
    with psycopg.connect(lifecycle_db) as conn:
        assert tables_naming(conn, people.person, people.email) == {}
        assert _without_changes_the_erasure_makes(
            rows_naming(conn, people.bystander), people
        ) == _without_changes_the_erasure_makes(bystander_before, people)
        record = conn.execute("select row_to_json(e)::text from private.account_erasures e").fetchone()[0]
        handed = conn.execute(
            "select owner_id::text from public.family_vaults where id = %s", (people.handed_vault,)
        ).fetchone()
        heir_role = conn.execute(
            "select role from public.family_members where vault_id = %s and user_id = %s",
            (people.handed_vault, people.heir),
        ).fetchone()
        dissolved = conn.execute(
            "select count(*) from public.family_vaults where id = %s", (people.world["vault"],)
        ).fetchone()[0]
        rating = conn.execute(
            "select rating from public.professionals where id = %s", (people.world["pro_listing"],)
        ).fetchone()[0]
        reviews = conn.execute(
            "select count(*) from public.professional_reviews where professional_id = %s",
            (people.world["pro_listing"],),
        ).fetchone()[0]
    assert erasure.erasure_id and erasure.objects_removed == 6 * 2 + 4
    assert erasure.subscriptions_canceled == 2, "Stripe's and Razorpay's subscriptions; the order renews nothing"
    assert razorpay.cancel_calls == [people.razorpay_subscription]
    assert people.person not in record and people.email not in record
    assert '"vaults_handed_over":1' in record.replace(" ", "") and '"vaults_dissolved":1' in record.replace(" ", "")
    assert handed == (people.heir,) and heir_role == ("owner",)
    assert dissolved == 0
    assert reviews == 0 and rating is None, "the person's review went with their booking, and from the rating"
    assert sorted(name for bucket, name in storage.removed) == sorted({name for _, name in storage.removed})


@pytest.fixture
def archive(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveBucket]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="archive")
        yield ArchiveBucket(client, "archive")


def _archive_a_document(database_url: str, archive: ArchiveBucket, person: str) -> str:
    """One of the person's documents as the archival job leaves it: in the archive bucket, not in Storage."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        doc, path = add_document(conn, person, "old/deed.pdf", with_object=False)
        conn.execute(
            "insert into private.document_archive (document_id, user_id, file_path, size_bytes, state) "
            "values (%s, %s, %s, 1000, 'archived')",
            (doc, person, path),
        )
        conn.execute("update public.documents set storage_tier = 'archived' where id = %s", (doc,))
    archive.client.put_object(Bucket=archive.name, Key=path, Body=b"x" * 1000, StorageClass="GLACIER_IR")
    return path


def test_an_account_with_archived_files_is_not_erased_without_the_archive_bucket(
    lifecycle_db: str,
    people: AccountWorld,
    storage: StorageStandIn,
    storage_api: StorageApi,
    payments: PaymentProviders,
    archive: ArchiveBucket,
):
    path = _archive_a_document(lifecycle_db, archive, people.person)
    with pytest.raises(LifecycleError, match="ARCHIVE_BUCKET"):
        delete_account(lifecycle_db, storage_api, payments, uuid.UUID(people.person))
    with psycopg.connect(lifecycle_db) as conn:
        assert conn.execute("select count(*) from public.profiles where id = %s", (people.person,)).fetchone()[0] == 1
        # Nor can the rows go any other way while the archive holds the files: they would be left there.
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            conn.execute("delete from public.profiles where id = %s", (people.person,))
    assert archive.size(path) == 1000

    erasure = delete_account(lifecycle_db, storage_api, payments, uuid.UUID(people.person), archive=archive)

    assert erasure.erasure_id is not None and archive.size(path) is None


def _without_changes_the_erasure_makes(rows: dict[str, list[str]], people: AccountWorld) -> dict[str, list[str]]:
    """The bystander's rows, minus those the erasure is meant to touch: the project team row naming the person,
    the invitation to the person's e-mail, and audit rows (the erasure's own cascade writes and removes some)."""
    kept = {
        table: [row for row in texts if people.person not in row and people.email not in row]
        for table, texts in rows.items()
        if table != "public.audit_log"
    }
    return {table: texts for table, texts in kept.items() if texts}


def test_a_second_run_finds_nothing_to_do_and_calls_no_one(
    lifecycle_db: str,
    people: AccountWorld,
    storage: StorageStandIn,
    storage_api: StorageApi,
    payments: PaymentProviders,
    razorpay: RazorpayStandIn,
):
    delete_account(lifecycle_db, storage_api, payments, uuid.UUID(people.person))
    calls, provider_calls = storage.calls, payments.calls

    again = delete_account(lifecycle_db, storage_api, payments, uuid.UUID(people.person))

    assert again.erasure_id is None
    assert (storage.calls, payments.calls) == (calls, provider_calls)
    with psycopg.connect(lifecycle_db) as conn:
        assert conn.execute("select count(*) from private.account_erasures").fetchone()[0] == 1


def test_a_provider_that_refuses_stops_the_erasure_before_any_row_goes_and_a_rerun_finishes(
    lifecycle_db: str,
    people: AccountWorld,
    storage: StorageStandIn,
    storage_api: StorageApi,
    payments: PaymentProviders,
):
    down = PaymentProviders(
        stripe_key=STRIPE_TEST_KEY,
        stripe_api_url="http://127.0.0.1:9",
        razorpay_key_id=KEY_ID,
        razorpay_key_secret=KEY_SECRET,
        razorpay_api_url=payments.razorpay_api_url,
    )
    with pytest.raises(LifecycleError, match="Stripe did not cancel"):
        delete_account(lifecycle_db, storage_api, down, uuid.UUID(people.person))
    with psycopg.connect(lifecycle_db) as conn:
        live = conn.execute(
            "select count(*) from public.subscriptions where user_id = %s and provider = 'stripe' "
            "and status = 'active'",
            (people.person,),
        ).fetchone()[0]
        banned = conn.execute(
            "select banned_until = 'infinity' from auth.users where id = %s", (people.person,)
        ).fetchone()[0]
    assert live == 1, "a subscription the provider did not cancel is not marked canceled"
    assert banned, "sign-in is blocked from the first step"

    delete_account(lifecycle_db, storage_api, payments, uuid.UUID(people.person))

    with psycopg.connect(lifecycle_db) as conn:
        assert tables_naming(conn, people.person, people.email) == {}


def test_an_erasure_killed_halfway_is_finished_by_the_next_run_repeating_at_most_the_batch_in_flight(
    lifecycle_db: str,
    people: AccountWorld,
    storage: StorageStandIn,
    storage_api: StorageApi,
    payments: PaymentProviders,
    stripe_mock_url: str,
    razorpay: RazorpayStandIn,
):
    with psycopg.connect(lifecycle_db) as conn:
        bystander_objects = conn.execute(
            "select count(*) from storage.objects where name like %s", (f"{people.bystander}/%",)
        ).fetchone()[0]
    storage.delay_seconds = 0.3
    env = {
        **os.environ,
        "DATABASE_URL": lifecycle_db,
        "SUPABASE_URL": storage.url,
        "SUPABASE_SERVICE_ROLE_KEY": SERVICE_KEY,
        "STRIPE_SECRET_KEY": STRIPE_TEST_KEY,
        "STRIPE_API_URL": stripe_mock_url,
        "RAZORPAY_KEY_ID": KEY_ID,
        "RAZORPAY_KEY_SECRET": KEY_SECRET,
        "RAZORPAY_API_URL": razorpay.url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "ops", "account", "delete", "--user-id", people.person, "--yes", "--batch-size", "1"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Generous: on a loaded machine the subprocess's start alone can take most of a minute; the loop ends at the
    # third removal, so this only bounds a run that never gets there.
    deadline = time.monotonic() + 300
    while len(storage.removed) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    output = process.communicate()[0].decode(errors="replace")
    assert process.returncode == -signal.SIGKILL, f"the run ended before it was killed:\n{output}"
    with psycopg.connect(lifecycle_db) as conn:
        assert conn.execute("select count(*) from public.profiles where id = %s", (people.person,)).fetchone()[0] == 1
        left = conn.execute(
            "select count(*) from storage.objects where name like %s", (f"{people.person}/%",)
        ).fetchone()[0]
    assert 0 < left < 16, "killed halfway: some objects removed, some left"

    storage.delay_seconds = 0
    erasure = delete_account(lifecycle_db, storage_api, payments, uuid.UUID(people.person))

    with psycopg.connect(lifecycle_db) as conn:
        assert tables_naming(conn, people.person, people.email) == {}
        assert (
            conn.execute(
                "select count(*) from storage.objects where name like %s", (f"{people.bystander}/%",)
            ).fetchone()[0]
            == bystander_objects
        )
    removed = [name for _, name in storage.removed]
    assert len(set(removed)) == 16, "every object of the person removed"
    # A kill between Storage's answer and the list's update sends that one batch (here one name) again, which
    # Storage answers as already gone; nothing else is asked twice.
    assert len(removed) - len(set(removed)) <= 1, f"only the batch in flight at the kill is repeated: {removed}"
    assert erasure.objects_removed == 16
    assert razorpay.cancel_calls == [people.razorpay_subscription], "cancelled once, not again by the rerun"
