"""`ops functions serve` and `ops functions token EMAIL`: the edge functions on this machine, as `supabase
functions serve` runs them, against the local stack's database (see ops/functions_serve.py)."""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

from ops.exit_codes import EXIT_FAILED, EXIT_OK
from ops.functions_serve import (
    DEFAULT_PORT,
    PROJECT_ROOT,
    FunctionsServeError,
    ensure_user,
    jwt_secret,
    local_database_url,
    mint_token,
    serve_command,
    serve_env,
)


def register(commands: argparse._SubParsersAction) -> None:
    functions = commands.add_parser("functions", help="serve the edge functions locally; tokens to call them with")
    actions = functions.add_subparsers(dest="action", required=True, metavar="ACTION")

    serve = actions.add_parser("serve", help="every function at http://127.0.0.1:PORT/functions/v1/<name>")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--database-url", help="default: database.localUrl of Pulumi.local.yaml")
    serve.set_defaults(run=run_serve)

    token = actions.add_parser("token", help="print an access token of a signed-in user (created when missing)")
    token.add_argument("email")
    token.add_argument("--database-url", help="default: database.localUrl of Pulumi.local.yaml")
    token.add_argument("--lifetime-seconds", type=int, default=3600)
    token.set_defaults(run=run_token)


def run_serve(args: argparse.Namespace) -> int:
    try:
        database_url = args.database_url or local_database_url()
        command = serve_command(args.port)
    except FunctionsServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    base = f"http://127.0.0.1:{args.port}/functions/v1"
    print(
        f"Serving functions/ at {base}/<name> against {without_password(database_url)}\n"
        "Providers without a key in this shell are local stand-ins (AI answers after AI_STAND_IN_LATENCY_MS, "
        "default 300-1500).\nA signed-in user's token for curl:\n"
        "  TOKEN=$(ops functions token you@example.test)\n"
        f'  curl -H "Authorization: Bearer $TOKEN" -H "content-type: application/json" \\\n'
        f'       -d \'{{"query": "insurance"}}\' {base}/search-engine\n',
        flush=True,
    )
    # Deno takes this process's place, so Ctrl-C and a service manager's SIGTERM reach the server itself.
    os.chdir(PROJECT_ROOT)
    os.execve(command[0], command, serve_env(database_url, args.port))


def without_password(url: str) -> str:
    """The URL as it may be printed: a password in it is replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def run_token(args: argparse.Namespace) -> int:
    try:
        database_url = args.database_url or local_database_url()
        user_id = ensure_user(database_url, args.email)
    except (FunctionsServeError, psycopg.Error) as exc:
        print(
            f"error: cannot create or find {args.email} in the local database: {exc} "
            "(is it running? `ops local-db start`)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(mint_token(user_id, args.email, jwt_secret(os.environ), args.lifetime_seconds))
    return EXIT_OK
