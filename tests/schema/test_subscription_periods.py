"""Migration 20261207144014: a paid tier lasts as long as what was paid for (issue 20, holes 2 and 3).

A Razorpay month ends with its period and the grace period; past_due keeps a tier only on a period already paid;
Stripe's statuses grant exactly what docs/payments.md says; refunds and disputes take the tier back; and every
limit check (rate limit, AI allowance, storage growth) and the schedule read the tier as it is now, not as it was
cached when the month was paid."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.schema.conftest import MIGRATIONS_DIR
from tests.schema.sessions import as_role, new_user

GIB = 1024**3
GRACE = timedelta(days=3)
MIGRATION = MIGRATIONS_DIR / "20261207144014_subscription_entitlement.sql"


@contextmanager
def _backend(conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """As service_role; afterwards the session's claims are empty JSON (as_role leaves '', which the audit
    trigger's auth.uid() cannot parse), so later writes as postgres, like the scheduler's, are audited."""
    with as_role(conn, "service_role"):
        yield conn
    conn.execute("select set_config('request.jwt.claims', '{}', true)")


def _now(conn: psycopg.Connection) -> datetime:
    return conn.execute("select now()").fetchone()[0]


def _razorpay_month(
    conn: psycopg.Connection, user: str, order: str, paid_at: datetime, *, paid_until_known: bool = True
) -> None:
    """What subscription-manager writes: the order stored at checkout, then its captured payment (a month, paid
    until its end). paid_until_known=False writes it as the function did before this migration: the period
    alone still ends the month."""
    end = paid_at + timedelta(days=30)
    paid_until = ", p_paid_until => %(end)s" if paid_until_known else ""
    with _backend(conn):
        conn.execute(
            "insert into subscriptions (user_id, tier, provider, provider_subscription_id, status) "
            "values (%s, 'premium', 'razorpay', %s, 'incomplete')",
            (user, order),
        )
        conn.execute(
            "select private.apply_subscription_event('razorpay', %(order)s, null, null, 'active', "
            f"%(paid_at)s, 'cust_1', %(paid_at)s, %(end)s{paid_until})",
            {"order": order, "paid_at": paid_at, "end": end},
        )


def _stripe(conn: psycopg.Connection, sub: str, user: str, status: str, at: datetime, **more: object) -> str:
    names = ", ".join(f"p_{name} => %({name})s" for name in more)
    with _backend(conn):
        return conn.execute(
            "select private.apply_subscription_event(p_provider => 'stripe', p_subscription_id => %(sub)s, "
            "p_user => %(user)s, p_tier => 'premium', p_status => %(status)s, p_event_at => %(at)s"
            + (f", {names}" if names else "")
            + ")",
            {"sub": sub, "user": user, "status": status, "at": at, **more},
        ).fetchone()[0]


def _tier(conn: psycopg.Connection, user: str) -> str:
    """The tier as the limit checks see it: the rate limiter's answer (which also refreshes a lapsed profile)."""
    with _backend(conn):
        return conn.execute("select tier from private.check_rate_limit(%s, 'ai-chat-message')", (user,)).fetchone()[0]


def _lapse_cache(conn: psycopg.Connection, user: str, tier: str = "premium") -> None:
    """The profile as it stands when the paid month ran out since it was cached: tier still paid, its end passed."""
    with _backend(conn):
        conn.execute(
            "update profiles set subscription_tier = %s, tier_valid_until = now() - interval '1 minute' where id = %s",
            (tier, user),
        )


# ---------------------------------------------------------------- hole 2: Razorpay's month ends


def test_a_razorpay_month_ends_with_its_period_and_grace(db):
    now = _now(db)
    lapsed, in_grace, running = new_user(db), new_user(db), new_user(db)
    # Paid 34 days ago: the month ended 4 days ago, a day past the grace period.
    _razorpay_month(db, lapsed, "order_lapsed00001", now - timedelta(days=34), paid_until_known=False)
    assert _tier(db, lapsed) == "free"
    with _backend(db):
        allowance = db.execute(
            "select tier from private.ai_model_allowance(%s, 'openai', 'gpt-4')", (lapsed,)
        ).fetchone()
    assert allowance == ("free",)
    _razorpay_month(db, in_grace, "order_ingrace0001", now - timedelta(days=32))  # ended 2 days ago
    _razorpay_month(db, running, "order_running0001", now - timedelta(days=10))
    assert (_tier(db, in_grace), _tier(db, running)) == ("premium", "premium")


def test_the_schedule_downgrades_every_lapsed_profile_and_records_it(db):
    user, operator_grant = new_user(db), new_user(db, tier="business")
    _razorpay_month(db, user, "order_sched000001", _now(db) - timedelta(days=40))
    _lapse_cache(db, user)
    assert db.execute("select subscription_tier, storage_limit from profiles where id = %s", (user,)).fetchone() == (
        "premium",
        50 * GIB,
    )
    # The command the migration schedules with pg_cron (where the server has it), run as the scheduler would.
    [command] = re.findall(r"cron\.schedule\('subscription-tier-expiry', '[^']+',\s*'([^']+)'\)", MIGRATION.read_text())
    db.execute(command)
    assert db.execute(
        "select subscription_tier, storage_limit, tier_valid_until from profiles where id = %s", (user,)
    ).fetchone() == ("free", 1 * GIB, None)
    assert db.execute(
        "select from_tier, to_tier from private.tier_downgrades where user_id = %s", (user,)
    ).fetchall() == [("premium", "free")]
    # A tier set by hand (no subscription, no end) is an operator's grant: the schedule leaves it.
    assert db.execute("select subscription_tier from profiles where id = %s", (operator_grant,)).fetchone() == (
        "business",
    )


def test_a_daily_spend_budget_is_the_lapsed_months_free_one(db):
    user = new_user(db)
    _razorpay_month(db, user, "order_spend000001", _now(db) - timedelta(days=40))
    _lapse_cache(db, user)
    free_tokens = db.execute(
        "select daily_limit from private.spend_tier_limits where tier = 'free' and unit = 'ai_tokens'"
    ).fetchone()[0]
    with _backend(db):
        allowed, tier, limit = db.execute(
            "select allowed, tier, daily_limit from private.reserve_spend(%s, 'ai_tokens', %s, 'test')",
            (user, free_tokens + 1),
        ).fetchone()
    assert (allowed, tier, limit) == (False, "free", free_tokens)


def test_storage_growth_on_a_lapsed_month_meets_the_free_limit(db):
    user = new_user(db)
    _razorpay_month(db, user, "order_storage0001", _now(db) - timedelta(days=40))
    _lapse_cache(db, user)
    # The storage triggers add to storage_used and read the limit back from the same update.
    db.execute("select set_config('request.jwt.claims', '{}', true)")
    used, limit = db.execute(
        "update profiles set storage_used = storage_used + %s where id = %s returning storage_used, storage_limit",
        (2 * GIB, user),
    ).fetchone()
    assert (used, limit) == (2 * GIB, 1 * GIB)


def test_a_razorpay_renewal_bought_early_extends_the_running_month(db):
    user = new_user(db)
    now = _now(db)
    _razorpay_month(db, user, "order_first000001", now - timedelta(days=25))
    _razorpay_month(db, user, "order_second00001", now)
    ends = db.execute(
        "select current_period_start, current_period_end, paid_until from subscriptions "
        "where provider_subscription_id = 'order_second00001'"
    ).fetchone()
    first_end = now - timedelta(days=25) + timedelta(days=30)
    assert ends == (first_end, first_end + timedelta(days=30), first_end + timedelta(days=30))
    assert db.execute("select tier_valid_until from profiles where id = %s", (user,)).fetchone()[0] == (
        first_end + timedelta(days=30) + GRACE
    )
    # The capture of either order replayed (the event id header is not signed) moves neither month.
    with _backend(db):
        for order, paid_at in (("order_first000001", now - timedelta(days=25)), ("order_second00001", now)):
            db.execute(
                "select private.apply_subscription_event('razorpay', %s, null, null, 'active', %s, 'cust_1', "
                "%s, %s, %s)",
                (order, paid_at, paid_at, paid_at + timedelta(days=30), paid_at + timedelta(days=30)),
            )
    periods = db.execute(
        "select provider_subscription_id, current_period_start, current_period_end from subscriptions "
        "where user_id = %s order by current_period_start",
        (user,),
    ).fetchall()
    assert periods == [
        ("order_first000001", now - timedelta(days=25), first_end),
        ("order_second00001", first_end, first_end + timedelta(days=30)),
    ]


# ---------------------------------------------------------------- hole 3: Stripe's statuses


@pytest.mark.parametrize(
    "status, tier",
    [
        ("active", "premium"),
        ("trialing", "premium"),
        ("incomplete", "free"),
        ("incomplete_expired", "free"),
        ("unpaid", "free"),
        ("paused", "free"),
        ("canceled", "free"),
    ],
)
def test_each_stripe_status_grants_what_stripe_documents(db, status, tier):
    user = new_user(db)
    now = _now(db)
    _stripe(db, f"sub_{status}", user, status, now, period_end=now + timedelta(days=20))
    assert _tier(db, user) == tier


def test_past_due_keeps_the_tier_only_on_a_period_already_paid(db):
    never_paid, paid, paid_long_ago = new_user(db), new_user(db), new_user(db)
    now = _now(db)
    # A delayed debit: the checkout completed unpaid, and the invoice then failed.
    _stripe(db, "sub_never_paid", never_paid, "incomplete", now - timedelta(hours=2))
    _stripe(db, "sub_never_paid", never_paid, "past_due", now - timedelta(hours=1))
    assert _tier(db, never_paid) == "free"
    # A renewal failed: the month paid before ended a day ago, within the grace period.
    _stripe(db, "sub_paid", paid, "active", now - timedelta(days=31), paid_until=now - timedelta(days=1))
    _stripe(db, "sub_paid", paid, "past_due", now - timedelta(hours=1))
    assert _tier(db, paid) == "premium"
    # Still retrying long after the paid month: no tier.
    _stripe(
        db, "sub_paid_long_ago", paid_long_ago, "active", now - timedelta(days=40), paid_until=now - timedelta(days=5)
    )
    _stripe(db, "sub_paid_long_ago", paid_long_ago, "past_due", now - timedelta(days=4))
    assert _tier(db, paid_long_ago) == "free"


def test_incomplete_expired_is_final(db):
    user = new_user(db)
    now = _now(db)
    _stripe(db, "sub_expired", user, "incomplete_expired", now - timedelta(minutes=5))
    assert _stripe(db, "sub_expired", user, "active", now, period_end=now + timedelta(days=30)) == "incomplete_expired"
    assert _tier(db, user) == "free"


def test_a_refund_or_dispute_takes_the_tier_until_a_later_payment(db):
    refunded, disputed = new_user(db), new_user(db)
    now = _now(db)
    for user, sub in ((refunded, "sub_refunded"), (disputed, "sub_disputed")):
        _stripe(
            db,
            sub,
            user,
            "active",
            now - timedelta(days=2),
            customer=f"cus_{sub}",
            period_end=now + timedelta(days=28),
            paid_until=now + timedelta(days=28),
        )
        with _backend(db):
            db.execute(
                "insert into payments (user_id, subscription_id, provider, provider_payment_id, amount_cents, "
                "currency, status) select %s, id, 'stripe', %s, 999, 'USD', 'succeeded' from subscriptions "
                "where provider_subscription_id = %s",
                (user, f"in_{sub}", sub),
            )
    with _backend(db):
        # A refund names the invoice; a dispute only the customer (its charge's).
        db.execute(
            "select private.reverse_subscription_payment('stripe', 'in_sub_refunded', null, %s, 'refunded')",
            (now - timedelta(hours=1),),
        )
        db.execute(
            "select private.reverse_subscription_payment('stripe', null, 'cus_sub_disputed', %s, 'disputed')",
            (now - timedelta(hours=1),),
        )
    assert (_tier(db, refunded), _tier(db, disputed)) == ("free", "free")
    assert db.execute("select status from payments where provider_payment_id = 'in_sub_refunded'").fetchone() == (
        "refunded",
    )
    # The next month paid brings the tier back.
    _stripe(db, "sub_refunded", refunded, "active", now, paid_until=now + timedelta(days=58))
    assert _tier(db, refunded) == "premium"


def test_a_reversal_that_arrives_after_a_newer_payment_changes_nothing(db):
    user = new_user(db)
    now = _now(db)
    _stripe(
        db,
        "sub_late_refund",
        user,
        "active",
        now - timedelta(minutes=1),
        customer="cus_late",
        paid_until=now + timedelta(days=30),
    )
    with _backend(db):
        touched = db.execute(
            "select private.reverse_subscription_payment('stripe', null, 'cus_late', %s, 'refunded')",
            (now - timedelta(days=20),),
        ).fetchone()[0]
    assert touched == 0
    assert _tier(db, user) == "premium"


# ---------------------------------------------------------------- upgrade of a deployed database


def test_upgrading_ends_the_months_razorpay_already_sold(fresh_db, tmp_path: Path):
    import dbmigrate
    from tests.schema.conftest import apply_migrations_before

    apply_migrations_before(fresh_db, MIGRATION.name, tmp_path)
    with psycopg.connect(fresh_db) as conn:  # one transaction, committed when the block ends
        lapsed, running, retrying = new_user(conn), new_user(conn), new_user(conn)
        now = _now(conn)
        _razorpay_month(conn, lapsed, "order_old_lapsed1", now - timedelta(days=60), paid_until_known=False)
        _razorpay_month(conn, running, "order_old_running", now - timedelta(days=3), paid_until_known=False)
        # Stripe, as the function wrote it: a paid month ended 10 days ago, and the renewal's failed invoice stored
        # its own (unpaid) period with past_due.
        with _backend(conn):
            for status, start, at in (
                ("active", now - timedelta(days=40), now - timedelta(days=40)),
                ("past_due", now - timedelta(days=10), now - timedelta(days=9)),
            ):
                conn.execute(
                    "select private.apply_subscription_event('stripe', 'sub_old_retrying', %s, 'premium', "
                    "%s, %s, 'cus_old', %s, %s)",
                    (retrying, status, at, start, start + timedelta(days=30)),
                )
                if status == "active":
                    conn.execute(
                        "insert into payments (user_id, subscription_id, provider, provider_payment_id, "
                        "amount_cents, currency, status) select %s, id, 'stripe', 'in_old_paid', 999, 'USD', "
                        "'succeeded' from subscriptions where provider_subscription_id = 'sub_old_retrying'",
                        (retrying,),
                    )
        assert conn.execute(
            "select count(*) from profiles where subscription_tier = 'premium' and id in (%s, %s)", (lapsed, retrying)
        ).fetchone() == (2,)
    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)
    with psycopg.connect(fresh_db) as conn:
        tiers = dict(
            conn.execute(
                "select id::text, subscription_tier from profiles where id in (%s, %s, %s)", (lapsed, running, retrying)
            ).fetchall()
        )
    assert tiers == {lapsed: "free", running: "premium", retrying: "free"}
