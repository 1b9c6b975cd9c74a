"""[db] as `config push` sends it: [db.settings] (Postgres parameters), [db.ssl_enforcement] and
[db.network_restrictions], as the fields of `supabaseDatabase` (stackconfig/supabase.py). [db.pooler] is read by
db_pooler.py. The CLI's local-only keys (port, major_version, migrations, seed...) are refused like any other:
the program would ignore them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackconfig.config_toml.errors import ConfigTomlError
from stackconfig.config_toml.fields import ApiFields, Context, Plain, boolean, convert_table, text_list
from stackconfig.config_toml.switch import require_enabled

SERVICE = "database"
TABLE = "db"
SUB_GROUPS = ("settings", "ssl_enforcement", "network_restrictions", "pooler")
SSL_ENFORCEMENT = {"enabled": Plain("ssl_enforced", boolean)}
NETWORK_RESTRICTIONS = {
    "enabled": Plain("enabled", boolean),
    "allowed_cidrs": Plain("allowed_cidrs", text_list),
    "allowed_cidrs_v6": Plain("allowed_cidrs_v6", text_list),
}


def read(table: Any, ctx: Context) -> ApiFields:
    out = convert_table(TABLE, table, {}, ctx, nested=SUB_GROUPS)
    if "settings" in table:
        out.settings["postgres"] = _postgres(table["settings"], ctx)
    if "ssl_enforcement" in table:
        out.merge(convert_table(f"{TABLE}.ssl_enforcement", table["ssl_enforcement"], SSL_ENFORCEMENT, ctx))
    if "network_restrictions" in table:
        where = f"{TABLE}.network_restrictions"
        restrictions = convert_table(where, table["network_restrictions"], NETWORK_RESTRICTIONS, ctx)
        out.merge(require_enabled(where, restrictions, "the database's network restrictions (open to all: "
                                  'allowed_cidrs = ["0.0.0.0/0"], allowed_cidrs_v6 = ["::/0"])'))  # fmt: skip
    return out


def _postgres(table: Any, ctx: Context) -> dict[str, Any]:
    """Postgres parameters by name; supabaseDatabase.postgres's validation names the ones the API refuses."""
    if not isinstance(table, Mapping):
        raise ConfigTomlError(f"{TABLE}.settings", "must be a table of Postgres parameters")
    return {name: ctx.resolve(f"{TABLE}.settings.{name}", value) for name, value in table.items()}
