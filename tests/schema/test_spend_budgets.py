"""Hole 4 of issue 20: every paid unit is budgeted per tier per day in data the backend owns
(private.spend_tier_limits), reserved in an append-only ledger (private.spend_ledger) before the provider is called,
under a lock, so neither parallel requests nor deleting one's own rows get an account past its budget."""

from __future__ import annotations

import threading
from decimal import Decimal

import psycopg
import pytest
import yaml

from stackconfig import ConfigError, validate_config
from stackconfig.loader import PROJECT_ROOT, declared_keys
from tests.schema.sessions import acting_as, as_role, new_user

FREE_LIMITS = {"translation_characters": 20000, "ocr_pages": 30, "ai_tokens": 15000, "embedding_tokens": 200000}


def reserve(conn: psycopg.Connection, user: str, unit: str, quantity: int) -> tuple[bool, int | None]:
    row = conn.execute(
        "select allowed, reservation_id from private.reserve_spend(%s, %s, %s, 'test')", (user, unit, quantity)
    ).fetchone()
    return row[0], row[1]


def spent_today(conn: psycopg.Connection, user: str, unit: str) -> int:
    return conn.execute(
        "select coalesce(sum(quantity), 0) from private.spend_ledger where user_id = %s and unit = %s "
        "and day = (now() at time zone 'utc')::date",
        (user, unit),
    ).fetchone()[0]


@pytest.mark.parametrize(("unit", "limit"), sorted(FREE_LIMITS.items()))
def test_a_free_account_cannot_pass_its_daily_budget_with_concurrent_requests(migrated_copy, unit, limit):
    with psycopg.connect(migrated_copy, autocommit=True) as conn:
        user = new_user(conn)
    # Twelve requests at once, each asking for a seventh of the day's budget: six fit, whatever the timing.
    quantity, workers = limit // 7 + 1, 12
    start = threading.Barrier(workers)
    answers: list[bool] = []

    def request() -> None:
        with psycopg.connect(migrated_copy, autocommit=True) as conn:
            start.wait()
            answers.append(reserve(conn, user, unit, quantity)[0])

    threads = [threading.Thread(target=request) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(True) == limit // quantity == 6
    with psycopg.connect(migrated_copy) as conn:
        assert spent_today(conn, user, unit) == 6 * quantity <= limit


def test_a_refusal_says_which_budget_how_much_is_left_and_when_it_resets(db):
    user = new_user(db)
    assert reserve(db, user, "translation_characters", 19000)[0]
    row = db.execute(
        "select allowed, reservation_id, tier, daily_limit, used, remaining, resets_at, "
        "resets_at = (date_trunc('day', now() at time zone 'utc') + interval '1 day') at time zone 'utc' "
        "from private.reserve_spend(%s, 'translation_characters', 1001, 'test')",
        (user,),
    ).fetchone()
    assert row[:6] == (False, None, "free", 20000, 19000, 1000)
    assert row[7] is True, row[6]
    assert spent_today(db, user, "translation_characters") == 19000, "a refusal writes nothing"


def test_deleting_its_own_rows_resets_nothing(db):
    user = new_user(db)
    assert reserve(db, user, "translation_characters", 20000)[0]
    db.execute(
        "insert into translations (user_id, source_sha256, target_language, translated_text, characters) "
        "values (%s, repeat('a', 64), 'de', 'x', 20000)",
        (user,),
    )
    with as_role(db, "authenticated", user):
        assert db.execute("select count(*) from private.spend_ledger").fetchone()[0] == 1, "users read their own"
        db.execute("delete from translations")
        db.execute("savepoint try_ledger")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("delete from private.spend_ledger")
        db.execute("rollback to savepoint try_ledger")
    assert not reserve(db, user, "translation_characters", 1)[0]


@pytest.mark.parametrize(
    "statement",
    [
        "insert into private.spend_ledger (user_id, unit, day, quantity, source) values (%(u)s, 'ocr_pages', "
        "current_date, -1000, 'me')",
        "update private.spend_ledger set quantity = 0",
        "select * from private.reserve_spend(%(u)s, 'ocr_pages', 1, 'me')",
        "select private.settle_spend(1, 0)",
    ],
)
def test_users_cannot_write_the_ledger_or_call_its_functions(db, statement):
    user = new_user(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute(statement, {"u": user})


def test_the_ledger_is_append_only_even_for_its_owner(db):
    user = new_user(db)
    reserve(db, user, "ocr_pages", 30)
    for statement in ("update private.spend_ledger set quantity = 1", "delete from private.spend_ledger"):
        db.execute("savepoint s")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=r"append-only|keeps its rows"):
            db.execute(statement)
        db.execute("rollback to savepoint s")
    assert not reserve(db, user, "ocr_pages", 1)[0]


def test_a_settlement_gives_back_what_was_not_used_once(db):
    user = new_user(db)
    allowed, reservation = reserve(db, user, "ai_tokens", 15000)
    assert allowed and not reserve(db, user, "ai_tokens", 1)[0]
    assert db.execute("select private.settle_spend(%s, 400)", (reservation,)).fetchone()[0] is True
    assert db.execute("select private.settle_spend(%s, 0)", (reservation,)).fetchone()[0] is False, "once"
    assert spent_today(db, user, "ai_tokens") == 400
    assert reserve(db, user, "ai_tokens", 14600)[0]


def test_a_tier_without_a_budget_for_a_unit_spends_nothing(db):
    user = new_user(db)
    db.execute("delete from private.spend_tier_limits where tier = 'free' and unit = 'sms_segments'")
    assert not reserve(db, user, "sms_segments", 1)[0]


def test_unknown_units_and_non_positive_quantities_are_refused(db):
    user = new_user(db)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown unit"):
        reserve(db, user, "gold_bars", 1)
    db.execute("rollback")
    db.execute("begin")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="positive"):
        reserve(db, user, "ocr_pages", 0)


# ---------------------------------------------------------------- hole 5: invitations from the ledger
def invite(db: psycopg.Connection, owner: str, vault: str, email: str) -> None:
    with as_role(db, "authenticated", owner):
        db.execute("insert into family_invitations (vault_id, email) values (%s, %s)", (vault, email))


def test_deleting_invitations_does_not_reset_the_daily_invitation_count(db):
    owner = new_user(db)
    vaults = [
        db.execute(
            "insert into family_vaults (owner_id, name) values (%s, %s) returning id", (owner, f"v{i}")
        ).fetchone()[0]
        for i in range(2)
    ]
    for n in range(20):
        invite(db, owner, vaults[n % 2], f"guest{n}@example.test")
    with as_role(db, "authenticated", owner):
        assert db.execute("delete from family_invitations").rowcount == 20
    with (
        acting_as(db, "authenticated", owner),
        pytest.raises(psycopg.errors.ConfigurationLimitExceeded, match="at most 20 family invitations a day"),
    ):
        db.execute(
            "insert into family_invitations (vault_id, email) values (%s, 'one-more@example.test')", (vaults[0],)
        )


# ---------------------------------------------------------------- the spend table
def worst_case(conn: psycopg.Connection, tier: str) -> dict[str, tuple[int, Decimal | None, Decimal | None]]:
    rows = conn.execute("select unit, daily_limit, usd_per_unit, usd from private.spend_worst_case(%s)", (tier,))
    return {unit: (limit, price, usd) for unit, limit, price, usd in rows.fetchall()}


def ceilings_in_cents() -> dict[str, int]:
    """freeTierDailySpendCeilingCents of each stack: its stack file's value, else Pulumi.yaml's default."""
    default = declared_keys()["freeTierDailySpendCeilingCents"]["default"]
    ceilings = {}
    for stack in ("local", "staging", "prod"):
        document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
        ceilings[stack] = (document.get("config") or {}).get("ai-platform:freeTierDailySpendCeilingCents", default)
    return ceilings


def test_a_free_accounts_worst_day_stays_under_the_configured_ceiling(schema_url):
    with psycopg.connect(schema_url) as conn:
        units = worst_case(conn, "free")
    paid = {
        "ai_tokens",
        "translation_characters",
        "ocr_pages",
        "embedding_tokens",
        "sms_segments",
        "emails",
        "push_messages",
    }
    assert paid <= set(units), paid - set(units)
    unpriced = [unit for unit, (_, price, _) in units.items() if price is None]
    assert not unpriced, f"no list price for {unpriced}: add the model's row to private.ai_model_prices"
    total_cents = sum(usd for _, _, usd in units.values()) * 100
    for stack, ceiling in ceilings_in_cents().items():
        assert total_cents <= ceiling, (
            f"a free account can make the platform spend {total_cents:.1f} cents a day, above {stack}'s "
            f"freeTierDailySpendCeilingCents of {ceiling}: lower private.spend_tier_limits for the free tier"
        )


def test_every_model_a_tier_may_use_has_a_list_price(db):
    missing = db.execute(
        "select m.tier, m.provider, m.model_name from private.ai_tier_models m "
        "left join private.ai_model_prices p using (provider, model_name) "
        "where p.model_name is null"
    ).fetchall()
    assert missing == []


def test_the_spend_table_in_the_docs_is_the_one_the_data_gives(schema_url):
    table = (PROJECT_ROOT / "docs" / "security.md").read_text().split("<!-- spend-table -->")[1]
    with psycopg.connect(schema_url) as conn:
        for tier in ("free", "premium", "family_plus", "business"):
            total = sum(usd for _, _, usd in worst_case(conn, tier).values())
            assert f"| {tier} | ${total:,.2f} |" in table, f"docs/security.md: {tier}'s total is ${total:,.2f}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "freeTierDailySpendCeilingCents: Input should be greater than or equal to 1"),
        (100_001, "freeTierDailySpendCeilingCents: Input should be less than or equal to 100000"),
        ("two dollars", "freeTierDailySpendCeilingCents: Input should be a valid integer"),
    ],
)
def test_the_ceiling_in_the_stack_config_is_validated(value, expected):
    with pytest.raises(ConfigError) as error:
        validate_config({"freeTierDailySpendCeilingCents": value}, stack_file="Pulumi.prod.yaml")
    assert expected in str(error.value)
