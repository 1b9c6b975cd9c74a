"""The marketplace's rules in the data (migrations 20261201400100 and 20261201400200): booking states change only
through the party allowed to make each change, reviews need a completed booking by someone else, and changing a
verified listing's name or profession drops its verification."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

import dbmigrate
from tests.schema.conftest import MIGRATIONS_DIR, apply_migrations_before
from tests.schema.sessions import acting_as, as_role, new_user, visible
from tests.schema.world import insert

BOOKING_MIGRATION = "20261201400100_marketplace_booking_states.sql"


def _market(conn: psycopg.Connection) -> tuple[str, str, str]:
    """A verified listing of a professional, and a client; returns (client, professional user, listing)."""
    client, pro = new_user(conn), new_user(conn)
    listing = insert(
        conn, "professionals", user_id=pro, display_name="Ada CA", profession="chartered_accountant", is_verified=True
    )
    return client, pro, listing


def _request_booking(conn: psycopg.Connection, client: str, listing: str) -> str:
    with as_role(conn, "authenticated", client):
        return insert(conn, "marketplace_bookings", professional_id=listing, client_id=client)


def _set_status(conn: psycopg.Connection, booking: str, status: str) -> int:
    return conn.execute("update marketplace_bookings set status = %s where id = %s", (status, booking)).rowcount


def _status(conn: psycopg.Connection, booking: str) -> str:
    return conn.execute("select status from marketplace_bookings where id = %s", (booking,)).fetchone()[0]


# ---------------------------------------------------------------- hole 3: booking states


def test_a_client_cannot_complete_their_own_booking_to_review_it(db):
    client, pro, listing = _market(db)
    booking = _request_booking(db, client, listing)
    with (
        acting_as(db, "authenticated", client),
        pytest.raises(psycopg.errors.CheckViolation, match="cannot go from requested to completed"),
    ):
        _set_status(db, booking, "completed")
    with (
        acting_as(db, "authenticated", client),
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="only the professional may confirm"),
    ):
        _set_status(db, booking, "confirmed")
    with as_role(db, "authenticated", pro):
        _set_status(db, booking, "confirmed")
    with (
        acting_as(db, "authenticated", client),
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="only the professional may complete"),
    ):
        _set_status(db, booking, "completed")
    assert _status(db, booking) == "confirmed"
    with (
        acting_as(db, "authenticated", client),
        pytest.raises(psycopg.errors.CheckViolation, match="completed booking"),
    ):
        insert(db, "professional_reviews", professional_id=listing, booking_id=booking, reviewer_id=client, rating=5)


def test_the_professional_confirms_then_completes_and_the_client_then_reviews(db):
    client, pro, listing = _market(db)
    booking = _request_booking(db, client, listing)
    with as_role(db, "authenticated", pro):
        assert _set_status(db, booking, "confirmed") == 1
        assert _set_status(db, booking, "completed") == 1
    with as_role(db, "authenticated", client):
        insert(db, "professional_reviews", professional_id=listing, booking_id=booking, reviewer_id=client, rating=5)
    rating = db.execute("select rating, review_count from professionals where id = %s", (listing,)).fetchone()
    assert (float(rating[0]), rating[1]) == (5.0, 1)


def test_the_professional_cannot_skip_confirmation_and_final_states_stay_final(db):
    client, pro, listing = _market(db)
    booking = _request_booking(db, client, listing)
    with (
        acting_as(db, "authenticated", pro),
        pytest.raises(psycopg.errors.CheckViolation, match="cannot go from requested to completed"),
    ):
        _set_status(db, booking, "completed")
    with as_role(db, "authenticated", pro):
        _set_status(db, booking, "confirmed")
        _set_status(db, booking, "completed")
    for actor in (client, pro):
        with (
            acting_as(db, "authenticated", actor),
            pytest.raises(psycopg.errors.CheckViolation, match="from completed to cancelled"),
        ):
            _set_status(db, booking, "cancelled")
    # The backend too is held to the graph (it may act for either party, not rewrite history).
    with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation):
        _set_status(db, booking, "requested")


@pytest.mark.parametrize("canceller", ["client", "professional"])
def test_either_party_cancels_a_booking_that_is_not_completed(db, canceller):
    client, pro, listing = _market(db)
    booking = _request_booking(db, client, listing)
    with as_role(db, "authenticated", pro):
        _set_status(db, booking, "confirmed")
    with as_role(db, "authenticated", client if canceller == "client" else pro):
        assert _set_status(db, booking, "cancelled") == 1
    assert _status(db, booking) == "cancelled"


def test_the_backend_may_make_any_transition_of_the_graph(db):
    client, _, listing = _market(db)
    booking = _request_booking(db, client, listing)
    with as_role(db, "service_role"):
        assert _set_status(db, booking, "confirmed") == 1
        assert _set_status(db, booking, "completed") == 1


def test_a_professional_cannot_book_their_own_listing(db):
    _, pro, listing = _market(db)
    with (
        acting_as(db, "authenticated", pro),
        pytest.raises(psycopg.errors.CheckViolation, match="cannot book their own listing"),
    ):
        insert(db, "marketplace_bookings", professional_id=listing, client_id=pro)
    # Not through the backend either: such a booking's only use is a review of oneself.
    with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation):
        insert(db, "marketplace_bookings", professional_id=listing, client_id=pro, status="completed")


def test_notes_and_schedule_stay_editable_without_a_state_change(db):
    client, _, listing = _market(db)
    booking = _request_booking(db, client, listing)
    with as_role(db, "authenticated", client):
        assert (
            db.execute(
                "update marketplace_bookings set notes = 'Bring the papers', "
                "scheduled_at = now() + interval '2 days' where id = %s",
                (booking,),
            ).rowcount
            == 1
        )


# ---------------------------------------------------------------- hole 3: reviews


def test_a_review_of_a_booking_not_completed_is_refused_for_every_role(db):
    client, _, listing = _market(db)
    booking = _request_booking(db, client, listing)
    for role, user in (("authenticated", client), ("service_role", None)):
        with acting_as(db, role, user), pytest.raises(psycopg.errors.CheckViolation, match="completed booking"):
            insert(
                db, "professional_reviews", professional_id=listing, booking_id=booking, reviewer_id=client, rating=5
            )


def test_a_review_is_by_the_bookings_client_about_its_professional_once(db):
    client, pro, listing = _market(db)
    other_listing = insert(
        db, "professionals", user_id=new_user(db), display_name="Bob", profession="lawyer", is_verified=True
    )
    booking = _request_booking(db, client, listing)
    with as_role(db, "service_role"):
        _set_status(db, booking, "confirmed")
        _set_status(db, booking, "completed")
    # A completed booking with Ada does not buy a review of Bob, nor a review written by someone else.
    with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation, match="booking's client"):
        insert(
            db, "professional_reviews", professional_id=other_listing, booking_id=booking, reviewer_id=client, rating=1
        )
    with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation, match="booking's client"):
        insert(db, "professional_reviews", professional_id=listing, booking_id=booking, reviewer_id=pro, rating=5)
    with as_role(db, "authenticated", client):
        review = insert(
            db, "professional_reviews", professional_id=listing, booking_id=booking, reviewer_id=client, rating=4
        )
        # Moving the review onto another booking or listing is held to the same rule.
        with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation):
            db.execute("update professional_reviews set professional_id = %s where id = %s", (other_listing, review))
    with acting_as(db, "authenticated", client), pytest.raises(psycopg.errors.UniqueViolation):
        insert(db, "professional_reviews", professional_id=listing, booking_id=booking, reviewer_id=client, rating=5)


def test_upgrading_removes_reviews_the_rules_refuse_and_recomputes_ratings(fresh_db, tmp_path: Path):
    apply_migrations_before(fresh_db, BOOKING_MIGRATION, tmp_path)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        client, pro, listing = _market(conn)
        # Written through the hole: the professional booked and reviewed themselves; a client reviewed a booking
        # still requested; and one honest review.
        own = insert(conn, "marketplace_bookings", professional_id=listing, client_id=pro, status="completed")
        insert(conn, "professional_reviews", professional_id=listing, booking_id=own, reviewer_id=pro, rating=5)
        pending = insert(conn, "marketplace_bookings", professional_id=listing, client_id=client)
        insert(conn, "professional_reviews", professional_id=listing, booking_id=pending, reviewer_id=client, rating=5)
        honest = insert(conn, "marketplace_bookings", professional_id=listing, client_id=client, status="completed")
        insert(conn, "professional_reviews", professional_id=listing, booking_id=honest, reviewer_id=client, rating=2)
        assert conn.execute("select review_count from professionals where id = %s", (listing,)).fetchone()[0] == 3

    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)

    with psycopg.connect(fresh_db) as conn:
        left = conn.execute("select booking_id::text from professional_reviews").fetchall()
        assert [row[0] for row in left] == [honest]
        rating, count = conn.execute(
            "select rating, review_count from professionals where id = %s", (listing,)
        ).fetchone()
        assert (float(rating), count) == (2.0, 1)


# ---------------------------------------------------------------- hole 4: verified listings


@pytest.mark.parametrize("column, value", [("display_name", "Dr. Ada, Surgeon"), ("profession", "surgeon")])
def test_changing_a_verified_field_drops_verification_and_the_public_listing(db, column, value):
    _, pro, listing = _market(db)
    with acting_as(db, "anon"):
        assert visible(db, "professionals", listing)
    with as_role(db, "authenticated", pro):
        assert db.execute(f"update professionals set {column} = %s where id = %s", (value, listing)).rowcount == 1
        # The professional still reads their own listing, now unverified.
        assert db.execute("select is_verified from professionals where id = %s", (listing,)).fetchone()[0] is False
    with acting_as(db, "anon"):
        assert not visible(db, "professionals", listing)


def test_other_edits_keep_verification_and_the_backend_may_correct_verified_fields(db):
    _, pro, listing = _market(db)
    with as_role(db, "authenticated", pro):
        db.execute(
            "update professionals set bio = 'Twenty years of tax returns', hourly_rate_cents = 9000, "
            "display_name = display_name where id = %s",
            (listing,),
        )
    with as_role(db, "service_role"):
        db.execute("update professionals set display_name = 'Ada Lovelace CA' where id = %s", (listing,))
    assert db.execute("select is_verified from professionals where id = %s", (listing,)).fetchone()[0] is True


def test_a_professional_cannot_verify_themselves(db):
    _, pro, listing = _market(db)
    with as_role(db, "authenticated", pro):
        db.execute("update professionals set profession = 'surgeon' where id = %s", (listing,))
    with acting_as(db, "authenticated", pro), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("update professionals set is_verified = true where id = %s", (listing,))
