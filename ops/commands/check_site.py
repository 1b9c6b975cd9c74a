"""`python -m ops check-site`: guide 000 section 6.5's checks of a deployed stack; exits 1 when one fails."""

from __future__ import annotations

import argparse
from typing import Any

from ops.commands.support import fail, read_outputs, usage_error
from ops.exit_codes import EXIT_OK
from ops.publish.site_checks import DEFAULT_ROUTES, check_site


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check-site",
        help="check the deployed frontend (home page, assets, SPA routes) and the health check",
        description="Reads frontendUrl and functionsUrl from `pulumi stack output --json` (--outputs) unless "
        "given. Each check is retried (--attempts, --wait-seconds) before it counts as failed.",
    )
    parser.add_argument("--outputs", help="file with `pulumi stack output --json` (- for stdin)")
    parser.add_argument("--frontend-url", help="default: the frontendUrl output")
    parser.add_argument("--health-url", help="default: the functionsUrl output + /health-check")
    parser.add_argument(
        "--route",
        action="append",
        default=None,
        help=f"a client-side route to fetch (repeatable; default: {' '.join(DEFAULT_ROUTES)})",
    )
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--wait-seconds", type=float, default=10.0)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    frontend_url, health_url = args.frontend_url, args.health_url
    if args.outputs:
        try:
            outputs = read_outputs(args.outputs)
        except ValueError as exc:
            return fail(str(exc))
        frontend_url = frontend_url or outputs.get("frontendUrl")
        functions_url = outputs.get("functionsUrl")
        health_url = health_url or (f"{str(functions_url).rstrip('/')}/health-check" if functions_url else None)
    if not isinstance(frontend_url, str) or not frontend_url.startswith(("https://", "http://")):
        return usage_error("--frontend-url (or --outputs with a frontendUrl output) is required")
    if args.attempts < 1:
        return usage_error("--attempts must be at least 1")
    results = check_site(
        frontend_url,
        health_url,
        tuple(args.route or DEFAULT_ROUTES),
        attempts=args.attempts,
        wait_seconds=args.wait_seconds,
    )
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.name}: {result.detail}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        return fail(f"{len(failed)} of {len(results)} post-deployment checks failed: {', '.join(failed)}")
    return EXIT_OK
