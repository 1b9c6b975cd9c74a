"""The schema's triggers and functions: signup, rate limit, storage accounting, hybrid search, billing,
webhook idempotency, analytics partitions, the health check and the storage policies."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.sessions import acting_as, as_role, new_user
from tests.schema.world import insert, vector


def test_signup_creates_the_profile_and_the_default_model_configs(db):
    user = new_user(db)
    profile = db.execute(
        "select subscription_tier, storage_used, storage_limit, full_name from profiles where id = %s", (user,)
    ).fetchone()
    assert profile == ("free", 0, 1073741824, "Test User")
    configs = db.execute(
        "select provider, model_name, temperature::float, max_tokens, is_default "
        "from ai_model_configs where user_id = %s order by provider",
        (user,),
    ).fetchall()
    # The guide's gpt-4, and current models where the guide's (claude-3-opus, gemini-pro) have been retired.
    assert configs == [
        ("claude", "claude-sonnet-4-5", 0.7, 2000, False),
        ("gemini", "gemini-2.5-flash", 0.7, 2000, False),
        ("openai", "gpt-4", 0.7, 2000, True),
    ]


def test_users_cannot_raise_their_own_tier_or_limits(db):
    user = new_user(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("update profiles set subscription_tier = 'business' where id = %s", (user,))
    with acting_as(db, "authenticated", user):
        assert db.execute("update profiles set full_name = 'New' where id = %s", (user,)).rowcount == 1


@pytest.mark.parametrize(("tier", "limit"), [("free", 100), ("premium", 500)])
def test_rate_limit_allows_the_tiers_hourly_budget_then_refuses(db, tier, limit):
    user = new_user(db, tier=tier)
    with as_role(db, "authenticated", user):
        results = db.execute(
            "select (r).allowed, (r).remaining from (select private.check_rate_limit(%s, 'ai-chat-message') as r "
            "from generate_series(1, %s)) s",
            (user, limit + 1),
        ).fetchall()
        assert [allowed for allowed, _ in results] == [True] * limit + [False]
        assert results[limit - 1][1] == 0
        refused = db.execute("select * from private.check_rate_limit(%s, 'ai-chat-message')", (user,)).fetchone()
        assert refused[:5] == (False, tier, limit, limit, 0) and refused[5] > 0
        # Each action has its own budget.
        assert db.execute("select allowed from private.check_rate_limit(%s, 'search-engine')", (user,)).fetchone()[0]
    counted = db.execute(
        "select count(*) from usage_metrics where user_id = %s and action = 'ai-chat-message'", (user,)
    ).fetchone()[0]
    assert counted == limit


def test_rate_limit_forgets_requests_older_than_an_hour(db):
    user = new_user(db)
    db.execute(
        "insert into usage_metrics (user_id, action, created_at) "
        "select %s, 'ai-chat', now() - interval '61 minutes' from generate_series(1, 100)",
        (user,),
    )
    assert db.execute("select allowed from private.check_rate_limit(%s, 'ai-chat')", (user,)).fetchone()[0]


def test_a_user_cannot_spend_someone_elses_rate_limit(db):
    user, victim = new_user(db), new_user(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select * from private.check_rate_limit(%s, 'ai-chat')", (victim,))
    with acting_as(db, "service_role"):
        assert db.execute("select allowed from private.check_rate_limit(%s, 'ai-chat')", (victim,)).fetchone()[0]
    with acting_as(db, "anon"), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select * from private.check_rate_limit(%s, 'ai-chat')", (victim,))


def test_paid_subscription_sets_the_tier_and_its_storage_limit(db):
    user = new_user(db)
    subscription = insert(
        db,
        "subscriptions",
        user_id=user,
        tier="premium",
        provider="stripe",
        provider_subscription_id="sub_1",
        status="active",
    )
    assert db.execute("select subscription_tier, storage_limit from profiles where id = %s", (user,)).fetchone() == (
        "premium",
        53687091200,
    )
    db.execute("update subscriptions set status = 'canceled' where id = %s", (subscription,))
    assert db.execute("select subscription_tier from profiles where id = %s", (user,)).fetchone()[0] == "free"
    audited = db.execute(
        "select count(*) from audit_log where table_name = 'profiles' and record_id = %s", (user,)
    ).fetchone()[0]
    assert audited == 2


def test_webhook_events_are_recorded_once(db):
    calls = [("stripe", "evt_1"), ("stripe", "evt_1"), ("razorpay", "evt_1")]
    fresh = [
        db.execute("select record_webhook_event(%s, %s, 'invoice.paid', '{}')", call).fetchone()[0] for call in calls
    ]
    assert fresh == [True, False, True]
    db.execute("update webhook_events set status = 'failed' where provider = 'stripe'")
    assert db.execute("select record_webhook_event('stripe', 'evt_1', 'invoice.paid', '{}')").fetchone()[0]
    assert db.execute("select count(*) from webhook_events").fetchone()[0] == 2


def test_hybrid_search_ranks_by_full_text_and_vector_similarity(db):
    user, stranger = new_user(db), new_user(db)
    fixtures = {
        "car": ("Car insurance policy", "Insurance for the family car, insurance number 42", vector(1.0)),
        "home": ("Home insurance", "Covers the house", vector(0.7, 0.7)),
        "passport": ("Passport", "Travel document", vector(0.95, 0.05)),
        "recipe": ("Recipe", "Grandmother's cake", vector(0.0, 0.0, 1.0)),
    }
    ids = {}
    for key, (title, summary, embedding) in fixtures.items():
        ids[key] = insert(
            db,
            "documents",
            user_id=user,
            title=title,
            ai_summary=summary,
            file_name=key,
            file_path=f"{user}/{key}",
            file_size=1,
        )
        insert(db, "document_embeddings", document_id=ids[key], chunk_index=0, content=summary, embedding=embedding)
    foreign = insert(
        db,
        "documents",
        user_id=stranger,
        title="Insurance claim",
        ai_summary="insurance",
        file_name="x",
        file_path=f"{stranger}/x",
        file_size=1,
    )
    insert(db, "document_embeddings", document_id=foreign, chunk_index=0, content="x", embedding=vector(1.0))
    names = {v: k for k, v in ids.items()}

    with as_role(db, "authenticated", user):
        hybrid = db.execute(
            "select id::text, full_text_rank, semantic_rank from search_documents(%s, %s)", ("insurance", vector(1.0))
        ).fetchall()
        semantic = db.execute("select id::text from search_documents(null, %s)", (vector(1.0),)).fetchall()
        text_only = db.execute("select id::text from search_documents('insurance', null)").fetchall()
    assert [names[r[0]] for r in hybrid] == ["car", "home", "passport", "recipe"]
    assert hybrid[0][1:] == (1, 1)
    assert [names[r[0]] for r in semantic] == ["car", "passport", "home", "recipe"]
    assert [names[r[0]] for r in text_only] == ["car", "home"]


def test_analytics_rows_land_in_their_partition_and_are_read_through_the_parent_only(db):
    owner, other = new_user(db), new_user(db)
    for day in ("2024-03-01", "2025-06-01", "2099-01-01"):
        insert(db, "analytics_data", user_id=owner, metric_type="uploads", metric_value=1, date_recorded=day)
    placed = db.execute(
        "select tableoid::regclass::text from analytics_data where user_id = %s order by 1", (owner,)
    ).fetchall()
    assert [r[0] for r in placed] == [
        "partitions.analytics_data_2024",
        "partitions.analytics_data_2025",
        "partitions.analytics_data_default",
    ]
    with as_role(db, "authenticated", owner):
        assert db.execute("select count(*) from analytics_data").fetchone()[0] == 3
    with as_role(db, "authenticated", other):
        assert db.execute("select count(*) from analytics_data").fetchone()[0] == 0
    with acting_as(db, "authenticated", owner), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select count(*) from partitions.analytics_data_2025")


def test_a_new_years_partition_takes_over_rows_from_the_default_partition(db):
    user = new_user(db)
    year = db.execute("select extract(year from now())::int + 2").fetchone()[0]
    insert(db, "analytics_data", user_id=user, metric_type="uploads", metric_value=1, date_recorded=f"{year}-05-05")
    assert (
        db.execute("select tableoid::regclass::text from analytics_data where user_id = %s", (user,)).fetchone()[0]
        == "partitions.analytics_data_default"
    )
    assert db.execute("select private.ensure_analytics_data_partitions(2)").fetchone()[0] == 1
    assert (
        db.execute("select tableoid::regclass::text from analytics_data where user_id = %s", (user,)).fetchone()[0]
        == f"partitions.analytics_data_{year}"
    )
    assert db.execute("select private.ensure_analytics_data_partitions(2)").fetchone()[0] == 0


def test_monitor_system_health_raises_the_guides_alerts(db):
    assert db.execute("select private.monitor_system_health()").fetchone()[0] == []
    # Spread over five accounts: one account alone raises nothing (tests/schema/test_platform_signals.py).
    for _ in range(5):
        user = new_user(db)
        db.execute(
            "insert into documents (user_id, title, file_name, file_path, status) "
            "select %s, 'f', 'f', %s || '/' || g, 'failed' from generate_series(1, 3) g",
            (user, user),
        )
        conversation = insert(db, "conversations", user_id=user)
        db.execute(
            "insert into messages (conversation_id, user_id, role, content) "
            "select %s, %s, 'assistant', '' from generate_series(1, 11)",
            (conversation, user),
        )
    db.execute("update profiles set storage_used = storage_limit")
    db.execute("listen system_alert")
    alerts = db.execute("select private.monitor_system_health()").fetchone()[0]
    assert {a["type"] for a in alerts} == {"high_failure_rate", "high_storage_usage", "ai_service_degraded"}
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select private.monitor_system_health()")


def test_analytics_summary_shows_each_user_their_own_events(db):
    user, other = new_user(db), new_user(db)
    insert(db, "analytics_events", user_id=user, event_type="page_view")
    insert(db, "analytics_events", user_id=other, event_type="page_view")
    with as_role(db, "authenticated", user):
        rows = db.execute("select event_type, event_count from analytics_summary").fetchall()
    assert rows == [("page_view", 1)]


def test_storage_objects_only_in_the_users_own_folder(db):
    user, other = new_user(db), new_user(db)
    db.execute(
        "insert into storage.buckets (id, name, public) values ('documents', 'documents', false), "
        "('avatars', 'avatars', true) on conflict do nothing"
    )
    db.execute(
        "insert into storage.objects (bucket_id, name) values ('documents', %s), ('avatars', %s)",
        (f"{user}/tax.pdf", f"{user}/me.png"),
    )
    with as_role(db, "authenticated", user):
        assert db.execute("select count(*) from storage.objects").fetchone()[0] == 2
        db.execute("insert into storage.objects (bucket_id, name) values ('documents', %s)", (f"{user}/new.pdf",))
    # Avatars are served by their public URLs, which need no policy; listing them is nobody's business.
    with as_role(db, "authenticated", other):
        assert db.execute("select bucket_id from storage.objects").fetchall() == []
        assert db.execute("delete from storage.objects where name like %s", (f"{user}/%",)).rowcount == 0
    with acting_as(db, "authenticated", other), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("insert into storage.objects (bucket_id, name) values ('documents', %s)", (f"{user}/evil.pdf",))
    with as_role(db, "anon"):
        assert db.execute("select bucket_id from storage.objects").fetchall() == []
