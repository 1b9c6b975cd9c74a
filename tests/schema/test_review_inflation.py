"""Migration 20261207144353: a listing's reputation counts people, not bookings (issue 20, class "reputation an
account can multiply"). A professional and one cooperating account could complete booking after booking and
review each one; one friendly review put a new listing at the top of the directory."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

import dbmigrate
from tests.schema.conftest import MIGRATIONS_DIR, apply_migrations_before
from tests.schema.sessions import acting_as, as_role, new_user
from tests.schema.world import insert

MIGRATION = "20261207144353_one_review_per_client.sql"


def _listing(conn: psycopg.Connection, name: str = "Ada CA") -> tuple[str, str]:
    pro = new_user(conn)
    listing = insert(
        conn, "professionals", user_id=pro, display_name=name, profession="chartered_accountant", is_verified=True
    )
    return pro, listing


def _completed_booking(conn: psycopg.Connection, client: str, pro: str, listing: str) -> str:
    """Booked by the client, confirmed and completed by the professional: all a cooperating pair needs."""
    with as_role(conn, "authenticated", client):
        booking = insert(conn, "marketplace_bookings", professional_id=listing, client_id=client)
    with as_role(conn, "authenticated", pro):
        conn.execute("update marketplace_bookings set status = 'confirmed' where id = %s", (booking,))
        conn.execute("update marketplace_bookings set status = 'completed' where id = %s", (booking,))
    return booking


def _review(conn: psycopg.Connection, client: str, listing: str, booking: str, rating: int) -> str:
    with as_role(conn, "authenticated", client):
        return insert(
            conn, "professional_reviews", professional_id=listing, booking_id=booking, reviewer_id=client, rating=rating
        )


def test_a_second_account_cannot_multiply_its_review_with_more_bookings(db):
    pro, listing = _listing(db)
    friend = new_user(db)
    _review(db, friend, listing, _completed_booking(db, friend, pro, listing), 5)
    for _ in range(3):
        booking = _completed_booking(db, friend, pro, listing)
        with (
            acting_as(db, "authenticated", friend),
            pytest.raises(psycopg.errors.UniqueViolation, match="one_per_client"),
        ):
            insert(
                db, "professional_reviews", professional_id=listing, booking_id=booking, reviewer_id=friend, rating=5
            )
    assert db.execute("select review_count, rating from professionals where id = %s", (listing,)).fetchone() == (1, 5)


def test_one_friendly_review_does_not_top_a_listing_with_many_good_ones(db):
    pro_new, listing_new = _listing(db, "New CA")
    pro_known, listing_known = _listing(db, "Known CA")
    friend = new_user(db)
    _review(db, friend, listing_new, _completed_booking(db, friend, pro_new, listing_new), 5)
    for rating in (5, 5, 4, 5, 5, 4, 5, 5):
        client = new_user(db)
        _review(db, client, listing_known, _completed_booking(db, client, pro_known, listing_known), rating)
    with acting_as(db, "anon"):
        ranked = db.execute(
            "select id::text, rating_score from professionals "
            "where id in (%s, %s) order by rating_score desc nulls last",
            (listing_new, listing_known),
        ).fetchall()
    assert [row[0] for row in ranked] == [listing_known, listing_new]
    assert float(ranked[1][1]) == pytest.approx((5 + 3 * 5) / 6, abs=0.01)


def test_the_figures_are_the_backends_not_the_professionals(db):
    pro, listing = _listing(db)
    for column in ("rating", "review_count", "rating_score"):
        with acting_as(db, "authenticated", pro), pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute(f"update professionals set {column} = 5 where id = %s", (listing,))


def test_upgrading_keeps_each_clients_newest_review(fresh_db, tmp_path: Path):
    apply_migrations_before(fresh_db, MIGRATION, tmp_path)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        pro, listing = _listing(conn)
        friend, honest = new_user(conn), new_user(conn)
        for rating in (5, 5, 5, 4):
            _review(conn, friend, listing, _completed_booking(conn, friend, pro, listing), rating)
        _review(conn, honest, listing, _completed_booking(conn, honest, pro, listing), 2)
        assert conn.execute("select review_count from professionals where id = %s", (listing,)).fetchone() == (5,)
    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)
    with psycopg.connect(fresh_db) as conn:
        reviews = conn.execute("select reviewer_id::text, rating from professional_reviews order by rating").fetchall()
        assert reviews == [(honest, 2), (friend, 4)]
        rating, count, score = conn.execute(
            "select rating, review_count, rating_score from professionals where id = %s", (listing,)
        ).fetchone()
    assert (float(rating), count, float(score)) == (3.0, 2, 3.0)
