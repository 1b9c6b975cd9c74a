"""[api]: the Data API (PostgREST) - the exposed schemas, the search path and the rows a request returns at most.

The service groups ([api], [db], [db.pooler], [storage]) give their settings by the field names of their stack
config key (here `supabaseApi`), whose model validates them (stackconfig/supabase_services.py); the component
turns them into API fields the way it does for the stack key.
"""

from __future__ import annotations

from typing import Any

from stackconfig.config_toml.fields import ApiFields, Context, Plain, boolean, convert_table, integer, text_list
from stackconfig.config_toml.switch import require_enabled

SERVICE = "api"
TABLE = "api"
KEYS = {
    "enabled": Plain("enabled", boolean),
    "schemas": Plain("schemas", text_list),
    "extra_search_path": Plain("extra_search_path", text_list),
    "max_rows": Plain("max_rows", integer),
}


def read(table: Any, ctx: Context) -> ApiFields:
    return require_enabled(TABLE, convert_table(TABLE, table, KEYS, ctx), "the Data API")
