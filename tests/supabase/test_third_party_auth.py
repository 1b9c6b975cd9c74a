"""[auth.third_party.*] as a third-party auth integration, through the real provider host against the
spec-checked stand-in: create (adopting one of the same issuer rather than adding a second), drift when it is
removed behind our back, another issuer replaces it, delete."""

from __future__ import annotations

from providers.supabase.third_party_auth import ThirdPartyAuthProvider
from tests.supabase.helpers import checked, ready_project

FIREBASE = "https://securetoken.google.com/my-app"


def test_third_party_auth_lifecycle(host, fake_supabase):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    provider = ThirdPartyAuthProvider()
    props = checked(
        host, provider, {"managementApiUrl": fake_supabase.url, "projectRef": ref, "oidcIssuerUrl": FIREBASE}
    )

    created = host.create(provider, props)
    assert [i["oidc_issuer_url"] for i in project.third_party_auth.values()] == [FIREBASE]
    assert created.id in project.third_party_auth
    assert host.diff(provider, created.id, created.outs, props).changes is False
    assert host.read(provider, created.id, created.outs).outs["oidcIssuerUrl"] == FIREBASE

    # A rerun after a lost answer adopts the integration instead of adding a second one.
    again = host.create(provider, props)
    assert again.id == created.id and len(project.third_party_auth) == 1

    # Removed in the dashboard: refresh finds it gone (the next up creates it again).
    project.third_party_auth.clear()
    assert not host.read(provider, created.id, created.outs).id

    # Another issuer replaces the integration; delete removes it, and a second delete is no error.
    clerk = {**props, "oidcIssuerUrl": "https://clerk.example.com"}
    assert host.diff(provider, created.id, created.outs, clerk).replaces == ["oidcIssuerUrl"]
    replacement = host.create(provider, clerk)
    host.delete(provider, replacement.id, replacement.outs)
    host.delete(provider, replacement.id, replacement.outs)
    assert project.third_party_auth == {}


def test_an_issuer_that_is_not_https_is_refused(host, fake_supabase):
    failures = host.check(
        ThirdPartyAuthProvider(),
        {},
        {"managementApiUrl": fake_supabase.url, "projectRef": "abcdefghijklmnopqrst", "oidcIssuerUrl": "http://x"},
    ).failures
    assert failures == [("oidcIssuerUrl", "the issuer must be an https:// URL")]
