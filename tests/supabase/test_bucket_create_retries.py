"""A Storage bucket create is retried like every other call: one 503, timeout or dropped answer no longer fails
the whole `up`. A repeat of a create that did land answers 409, which the provider adopts, so the bucket is
made once and ends with the configured settings."""

from __future__ import annotations

import pytest

from providers.supabase.storage_bucket import StorageBucketProvider
from tests.supabase.fake_api import Fault
from tests.supabase.helpers import checked, provider_error, ready_project
from tests.supabase.test_functions_buckets_domain import bucket_props


@pytest.mark.parametrize("fault", [Fault.UNAVAILABLE, Fault.TIMEOUT, Fault.DROP])
def test_bucket_create_survives_one_transient_failure(host, fake_supabase, fault):
    ref = ready_project(fake_supabase)
    provider = StorageBucketProvider()
    props = checked(host, provider, bucket_props(fake_supabase, ref))
    fake_supabase.inject("storage create bucket", fault)

    created = host.create(provider, props)

    assert created.id == f"{ref}/documents"
    bucket = fake_supabase.projects[ref].buckets["documents"]
    assert bucket["public"] is False and bucket["file_size_limit"] == 52428800
    assert bucket["allowed_mime_types"] == ["application/pdf", "image/png"]
    assert fake_supabase.count("storage create bucket") == 2  # the faulted call and its one repeat


def test_a_provider_error_shows_its_message_first_and_no_traceback(host, fake_supabase):
    ref = ready_project(fake_supabase)
    provider = StorageBucketProvider()
    props = checked(host, provider, bucket_props(fake_supabase, ref))
    fake_supabase.inject("storage create bucket", *[Fault.UNAVAILABLE] * 4)  # every attempt of FAST_ENVIRONMENT

    error = provider_error(lambda: host.create(provider, props))

    assert error.details.startswith("Supabase create bucket for bucket documents failed (no answer): HTTP 503"), (
        error.details
    )
    assert "Traceback" not in error.details


def test_an_unexpected_error_shows_its_message_first_and_keeps_the_traceback_below(host, fake_supabase):
    provider = StorageBucketProvider()
    error = provider_error(lambda: host.create(provider, {"managementApiUrl": fake_supabase.url}))
    first, _, rest = error.details.partition("\n")
    assert first == "KeyError: 'projectRef'", error.details
    assert "Traceback (most recent call last)" in rest
