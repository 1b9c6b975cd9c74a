"""[db.pooler]: the shared Supavisor pooler's mode and pool size, as the fields of `supabasePooler`. config push
never sends this table for a hosted project (docs/supabase.md); the program's PoolerSettings does."""

from __future__ import annotations

from typing import Any

from stackconfig.config_toml.fields import ApiFields, Context, Plain, boolean, convert_table, integer, text
from stackconfig.config_toml.switch import require_enabled

SERVICE = "pooler"
TABLE = "db.pooler"
KEYS = {
    "enabled": Plain("enabled", boolean),
    "pool_mode": Plain("pool_mode", text),
    "default_pool_size": Plain("default_pool_size", integer),
}


def read(table: Any, ctx: Context) -> ApiFields:
    return require_enabled(TABLE, convert_table(TABLE, table, KEYS, ctx), "the project's pooler")
