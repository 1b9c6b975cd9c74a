"""`python -m ops account delete|process-requests`: erasing accounts (docs/data.md, "Getting rid of it")."""

from __future__ import annotations

import argparse
import os
import uuid
from typing import Any

import boto3
import psycopg
from pydantic import ValidationError

from ops.commands.lifecycle_support import add_database_argument, archive_from_env, failed
from ops.exit_codes import EXIT_OK, EXIT_USAGE
from ops.lifecycle.account import Erasure, delete_account, pending_requests
from ops.lifecycle.backup_remnants import record_remnants
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.payments import PaymentProviders
from ops.lifecycle.queue import DEFAULT_BATCH_SIZE
from ops.lifecycle.rows import one_row
from ops.lifecycle.storage_api import StorageApi
from stackconfig.aws import BackupConfig
from stackconfig.errors import ConfigError
from stackconfig.stack_section import stack_section

ENVIRONMENT = (
    "Storage through $SUPABASE_URL and $SUPABASE_SERVICE_ROLE_KEY; subscriptions through "
    "$STRIPE_SECRET_KEY and $RAZORPAY_KEY_ID / $RAZORPAY_KEY_SECRET (needed only when the account has "
    "a live subscription there); the archive bucket's copies through $ARCHIVE_BUCKET and AWS credentials "
    "(needed only when the account has archived documents)."
)


def register(subparsers: Any) -> None:
    account = subparsers.add_parser("account", help="erase accounts: every row, object and subscription")
    commands = account.add_subparsers(dest="account_command", required=True, metavar="COMMAND")
    delete = commands.add_parser(
        "delete",
        help="erase one account now",
        description="Erases the account: cancels its subscriptions, "
        "removes every object of its folder in every bucket, then every row. Safe to rerun. " + ENVIRONMENT,
    )
    delete.add_argument("--user-id", required=True, help="the account's id (auth.users.id)")
    delete.add_argument(
        "--yes", action="store_true", help="do it (without --yes the command only says what it would erase)"
    )
    process = commands.add_parser(
        "process-requests",
        help="finish every erasure users asked for (and any left unfinished)",
        description="Runs each pending erasure in private.account_deletions, oldest first. " + ENVIRONMENT,
    )
    for parser in (delete, process):
        add_database_argument(parser)
        parser.add_argument(
            "--stack",
            default=os.environ.get("PULUMI_STACK"),
            help="the stack (default: $PULUMI_STACK): its backup section says when the backups' copies of the "
            "account go, recorded in the erasure; with $BACKUP_BUCKET they are counted too",
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="objects per Storage call")
    delete.set_defaults(run=run_delete)
    process.set_defaults(run=run_process)


def run_delete(args: argparse.Namespace) -> int:
    try:
        user_id = uuid.UUID(args.user_id)
    except ValueError:
        print(f"account delete: --user-id must be the account's UUID, not {args.user_id!r}")
        return EXIT_USAGE
    if not args.database_url:
        print("account delete: give --database-url or set DATABASE_URL")
        return EXIT_USAGE
    if not args.yes:
        return _describe(args.database_url, user_id)
    return _erase_each(args, [user_id], "operator")


def run_process(args: argparse.Namespace) -> int:
    if not args.database_url:
        print("account process-requests: give --database-url or set DATABASE_URL")
        return EXIT_USAGE
    pending = pending_requests(args.database_url)
    if not pending:
        print("no account erasure is pending")
        return EXIT_OK
    return _erase_each(args, pending, "user")


def _erase_each(args: argparse.Namespace, user_ids: list[uuid.UUID], requested_by: str) -> int:
    try:
        storage, payments, archive = StorageApi.from_env(), PaymentProviders.from_env(), archive_from_env()
    except LifecycleError as exc:
        return failed("account", str(exc))
    failures = 0
    for user_id in user_ids:
        try:
            erasure = delete_account(
                args.database_url,
                storage,
                payments,
                user_id,
                requested_by=requested_by,
                batch_size=args.batch_size,
                archive=archive,
            )
        except (LifecycleError, psycopg.Error) as exc:
            failures += 1
            message = str(exc) if isinstance(exc, LifecycleError) else f"the database failed ({type(exc).__name__})"
            failed("account", f"{user_id}: {message}; rerun to finish it")
            continue
        print(_summary(user_id, erasure))
        if erasure.erasure_id is not None:
            print(f"{user_id}: {_backups_line(args, erasure.erasure_id, user_id)}")
    return 1 if failures else EXIT_OK


def _backups_line(args: argparse.Namespace, erasure_id: str, user_id: uuid.UUID) -> str:
    """What the backups still hold of the account and the day it is gone, recorded in the erasure."""
    if not args.stack:
        return "backups: give --stack (or $PULUMI_STACK) to record when the backups' copies of the account go"
    try:
        backup = BackupConfig.model_validate(stack_section(args.stack, "backup"))
    except (ConfigError, ValidationError) as exc:
        return f"backups: the {args.stack} stack's backup section is not valid ({exc}); nothing recorded"
    if not backup.enabled:
        return f"backups: the {args.stack} stack keeps none"
    bucket = os.environ.get("BACKUP_BUCKET")
    s3 = boto3.client("s3", region_name=os.environ.get("AWS_REGION")) if bucket else None
    try:
        remnants = record_remnants(args.database_url, erasure_id, user_id, args.stack, backup, s3=s3, bucket=bucket)
    except LifecycleError as exc:
        return f"backups: {exc}; the erasure itself is done"
    return remnants.line()


def _summary(user_id: uuid.UUID, erasure: Erasure) -> str:
    if erasure.erasure_id is None:
        return f"{user_id}: nothing to erase (no such account, or already erased)"
    return (
        f"{user_id}: erased (record {erasure.erasure_id}): {erasure.subscriptions_canceled} subscriptions "
        f"cancelled, {erasure.objects_removed} objects removed"
    )


def _describe(database_url: str, user_id: uuid.UUID) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        exists = one_row(conn.execute("select count(*) from auth.users where id = %s", (user_id,)), "the account")[0]
        objects = one_row(
            conn.execute(
                "select count(*), coalesce(sum(private.object_size(metadata)), 0) "
                "from storage.objects where name like private.like_prefix(%s)",
                (f"{user_id}/",),
            ),
            "the account's objects",
        )
        live = one_row(
            conn.execute(
                "select count(*) from public.subscriptions where user_id = %s and status in "
                "('trialing', 'active', 'past_due', 'incomplete', 'unpaid')",
                (user_id,),
            ),
            "the account's subscriptions",
        )[0]
    if not exists:
        print(f"{user_id}: no such account (nothing to erase)")
        return EXIT_OK
    print(
        f"{user_id}: would cancel {live} subscriptions, remove {objects[0]} objects ({objects[1]} bytes) and "
        "every row; rerun with --yes to do it"
    )
    return EXIT_OK
