"""`python -m ops google-cloud-check`: one call to each Google Cloud API with its key; says what is missing."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ops.exit_codes import EXIT_FAILED, EXIT_OK
from ops.google_cloud import TRANSLATION, VISION, check_api


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "google-cloud-check",
        help="call Google Vision and Translation once each with the configured keys",
        description="Reads the keys from $GOOGLE_VISION_API_KEY and $GOOGLE_TRANSLATE_API_KEY (the values of the "
        "stack's functionSecrets of the same names) and calls each API once; exits 1 naming what to "
        "fix in Google Cloud when one is refused. docs/google-cloud.md has the whole setup.",
    )
    parser.add_argument("--vision-url", default=os.environ.get(VISION.base_variable, "https://vision.googleapis.com"))
    parser.add_argument(
        "--translate-url", default=os.environ.get(TRANSLATION.base_variable, "https://translation.googleapis.com")
    )
    parser.add_argument(
        "--project",
        default=os.environ.get("GOOGLE_CLOUD_PROJECT_ID"),
        help="GOOGLE_CLOUD_PROJECT_ID, named as Vision's parent as the functions do",
    )
    parser.add_argument(
        "--skip",
        choices=["vision", "translation"],
        action="append",
        default=[],
        help="leave one API out (a stack that does not use it)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    results = []
    if "vision" not in args.skip:
        results.append(check_api(VISION, os.environ.get(VISION.secret), args.vision_url, args.project))
    if "translation" not in args.skip:
        results.append(check_api(TRANSLATION, os.environ.get(TRANSLATION.secret), args.translate_url))
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.api.name}: {result.detail}")
    return EXIT_OK if all(result.ok for result in results) else EXIT_FAILED
