"""Issue 20, class "what strangers can read about people" (migration 20261207145205): anyone without an account,
or another user, learns no account id or e-mail address they were not given, nor who used which professional."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.schema.sessions import acting_as, as_role, new_user
from tests.schema.world import insert

# Columns naming a person: references to an account, and e-mail addresses.
PERSON_COLUMNS = """
    select c.relname, a.attname
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p') and a.attnum > 0 and not a.attisdropped
      and (a.attname ~* 'e?mail'
           or exists (select 1 from pg_constraint k
                      where k.conrelid = c.oid and k.contype = 'f' and a.attnum = any (k.conkey)
                        and k.confrelid in ('public.profiles'::regclass, 'auth.users'::regclass))
           or (c.relname = 'profiles' and a.attname = 'id'))
      and has_column_privilege(%s, c.oid, a.attnum, 'SELECT')
    order by 1, 2
"""


def _market(conn: psycopg.Connection) -> tuple[str, str, str, str]:
    """A verified listing with one review; returns (client, professional user, listing, review)."""
    client, pro = new_user(conn), new_user(conn)
    listing = insert(
        conn, "professionals", user_id=pro, display_name="Ada CA", profession="chartered_accountant", is_verified=True
    )
    booking = insert(conn, "marketplace_bookings", professional_id=listing, client_id=client, status="completed")
    review = insert(
        conn,
        "professional_reviews",
        professional_id=listing,
        booking_id=booking,
        reviewer_id=client,
        rating=4,
        comment="Clear and quick",
    )
    return client, pro, listing, review


def test_anon_can_read_no_column_that_names_a_person(db):
    assert db.execute(PERSON_COLUMNS, ("anon",)).fetchall() == []


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_nobody_learns_the_account_behind_a_listing(db, role):
    _, _, listing, _ = _market(db)
    stranger = new_user(db) if role == "authenticated" else None
    with acting_as(db, role, stranger):
        row = db.execute(
            "select display_name, profession, rating, review_count from professionals where id = %s", (listing,)
        ).fetchone()
        assert row is not None and row[0] == "Ada CA" and row[3] == 1, "the directory itself stays public"
    with acting_as(db, role, stranger), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select user_id from professionals where id = %s", (listing,))


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_nobody_learns_who_reviewed_a_professional(db, role):
    _, _, listing, review = _market(db)
    stranger = new_user(db) if role == "authenticated" else None
    with acting_as(db, role, stranger):
        assert db.execute(
            "select rating, comment from professional_reviews where professional_id = %s", (listing,)
        ).fetchall() == [(4, "Clear and quick")]
    with acting_as(db, role, stranger), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select reviewer_id from professional_reviews where id = %s", (review,))


def test_owners_still_edit_their_listing_and_their_review(db):
    client, pro, listing, review = _market(db)
    with as_role(db, "authenticated", pro):
        assert db.execute("update professionals set bio = 'Tax returns' returning id").fetchall() == [
            (uuid.UUID(listing),)
        ]
    with as_role(db, "authenticated", client):
        assert (
            db.execute("update professional_reviews set comment = 'Very clear' where id = %s", (review,)).rowcount == 1
        )
    stranger = new_user(db)
    with acting_as(db, "authenticated", stranger):
        assert db.execute("update professionals set bio = 'defaced'").rowcount == 0
        assert db.execute("update professional_reviews set comment = 'x' where id = %s", (review,)).rowcount == 0


def test_an_invitee_reads_their_invitation_without_the_inviters_account_id(db):
    owner = new_user(db)
    invitee = new_user(db, email="cousin@example.test")
    db.execute("update auth.users set email_confirmed_at = now() where id = %s", (invitee,))
    vault = insert(db, "family_vaults", owner_id=owner, name="The Smiths")
    invitation = insert(db, "family_invitations", vault_id=vault, email="cousin@example.test", invited_by=owner)
    with acting_as(db, "authenticated", invitee):
        assert db.execute("select invited_by from family_invitations where id = %s", (invitation,)).fetchall() == []
        rows = db.execute("select * from private.my_family_invitations()").fetchall()
        columns = [c.name for c in db.execute("select * from private.my_family_invitations() limit 0").description]
    assert [str(r[0]) for r in rows] == [invitation]
    assert "invited_by" not in columns and "accepted_by" not in columns
    assert dict(zip(columns, rows[0], strict=True))["vault_name"] == "The Smiths"
    with acting_as(db, "authenticated", owner):
        assert db.execute(
            "select invited_by::text from family_invitations where id = %s", (invitation,)
        ).fetchall() == [(owner,)], "the vault's admins still see their invitations"
