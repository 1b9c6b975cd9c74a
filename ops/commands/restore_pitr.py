"""`python -m ops restore-pitr`: restore the project's database to a point in time (the PITR add-on).

The restore replaces the database in place and takes the project offline while it runs, so the command
asks for the project ref twice (`--project-ref` and `--confirm`), refuses a time outside the retention
window or in the future, and sends the request once (never retried).
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.commands.support import fail, usage_error
from ops.exit_codes import EXIT_OK
from providers.supabase.client import DEFAULT_API_URL, ManagementClient, resolve_token
from providers.supabase.errors import SupabaseError
from providers.supabase.pitr import ADDON_TYPE


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "restore-pitr",
        help="restore the Supabase database to a point in time (needs the PITR add-on)",
        description="Token from $SUPABASE_ACCESS_TOKEN. The project is offline while Supabase restores it.",
    )
    parser.add_argument("--project-ref", required=True, help="the project (stack output supabaseProjectRef)")
    parser.add_argument(
        "--to",
        required=True,
        dest="target",
        help="the moment to restore to, ISO 8601 with a zone: 2026-12-01T08:30:00Z",
    )
    parser.add_argument("--confirm", default=None, help="the project ref again: the restore overwrites the database")
    parser.add_argument("--management-api-url", default=os.environ.get("SUPABASE_MANAGEMENT_API_URL", DEFAULT_API_URL))
    parser.set_defaults(run=run)


def parse_moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("it has no time zone; write it in UTC, e.g. 2026-12-01T08:30:00Z")
    return moment.astimezone(UTC)


def run(args: argparse.Namespace) -> int:
    try:
        moment = parse_moment(args.target)
    except ValueError as exc:
        return usage_error(f"--to {args.target!r}: {exc}")
    if args.confirm != args.project_ref:
        return usage_error(f"pass --confirm {args.project_ref} to overwrite that project's database")
    now = datetime.now(UTC)
    if moment > now:
        return fail(f"{moment.isoformat()} is in the future; pick a moment before now ({now:%Y-%m-%dT%H:%M:%SZ})")
    try:
        client = ManagementClient(resolve_token(None), args.management_api_url)
        addon = client.selected_addon(args.project_ref, ADDON_TYPE)
        if addon is None:
            return fail(
                f"project {args.project_ref} has no point-in-time recovery add-on; set "
                "supabase.pitrRetentionDays and run `pulumi up`, or restore the newest backup "
                "(`ops restore`, docs/runbooks.md)"
            )
        days = int(addon.removeprefix("pitr_"))
        if now - moment > timedelta(days=days):
            return fail(
                f"{moment.isoformat()} is older than the add-on's {days}-day window; restore a backup "
                "from that day instead (`ops restore --backup <timestamp>`)"
            )
        client.restore_pitr(args.project_ref, int(moment.timestamp()))
    except SupabaseError as exc:
        return fail(str(exc))
    print(
        f"restore of {args.project_ref} to {moment:%Y-%m-%dT%H:%M:%SZ} started; the project is offline until "
        "Supabase reports it ACTIVE_HEALTHY again (dashboard, or GET /v1/projects/<ref>)"
    )
    return EXIT_OK
