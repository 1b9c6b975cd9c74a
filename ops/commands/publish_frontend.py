"""`python -m ops publish-frontend`: upload the frontend's Vite build to its bucket and invalidate CloudFront."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ops.commands.support import fail, read_outputs, s3_client, terminate_as_interrupt, usage_error
from ops.exit_codes import EXIT_OK
from ops.publish import BuildError, publish, scan_build
from ops.publish.run import DEFAULT_GRACE

# The stack outputs components/aws_platform.py exports for the frontend.
BUCKET_OUTPUT = "frontendBucket"
DISTRIBUTION_OUTPUT = "distributionId"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "publish-frontend",
        help="upload the frontend build (dist/) to its bucket and invalidate CloudFront",
        description="Uploads what changed (hashed assets immutable for a year, everything else revalidated), "
        "index.html last; records the release; invalidates / and /index.html and the other "
        "changed paths; removes files no release from the last --keep-hours uses.",
    )
    parser.add_argument("--dist", type=Path, required=True, help="the build folder (Vite: dist/)")
    parser.add_argument("--bucket", help=f"the frontend bucket (default: the {BUCKET_OUTPUT} output)")
    parser.add_argument("--distribution-id", help=f"its CloudFront distribution (default: {DISTRIBUTION_OUTPUT})")
    parser.add_argument(
        "--outputs",
        help="file with `pulumi stack output --json` (- for stdin) to read the bucket and distribution from",
    )
    parser.add_argument(
        "--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"), help="S3 and CloudFront endpoint (default: AWS)"
    )
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="the bucket's region")
    parser.add_argument(
        "--keep-hours",
        type=float,
        default=DEFAULT_GRACE.total_seconds() / 3600,
        help="keep a replaced release's files this long for clients still running it "
        f"(default: {DEFAULT_GRACE.total_seconds() / 3600:g})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    bucket, distribution_id = args.bucket, args.distribution_id
    if args.outputs and not (bucket and distribution_id):
        try:
            outputs = read_outputs(args.outputs)
        except ValueError as exc:
            return fail(str(exc))
        bucket = bucket or outputs.get(BUCKET_OUTPUT)
        distribution_id = distribution_id or outputs.get(DISTRIBUTION_OUTPUT)
    for option, value in (("--bucket", bucket), ("--distribution-id", distribution_id)):
        if not isinstance(value, str) or not value:
            return usage_error(
                f"{option} is required (or --outputs with the stack's outputs; a stack without "
                "frontend.enabled has no frontend to publish)"
            )
    if args.keep_hours < 0:
        return usage_error("--keep-hours must be zero or more")
    assert isinstance(bucket, str) and isinstance(distribution_id, str)
    s3 = s3_client(args.endpoint_url, args.region)
    cloudfront = boto3.client(
        "cloudfront",
        endpoint_url=args.endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
    )
    try:
        files = scan_build(args.dist)
        with terminate_as_interrupt():
            report = publish(
                s3, cloudfront, bucket, distribution_id, files, now=_now(), grace=timedelta(hours=args.keep_hours)
            )
    except BuildError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail(
            "interrupted; index.html goes up last, so the site still serves the previous release. Run the publish again"
        )
    except (BotoCoreError, ClientError) as exc:
        return fail(
            f"S3 or CloudFront refused or could not be reached ({exc}); check --bucket, "
            "--distribution-id, --endpoint-url and credentials. Running the publish again is safe"
        )
    if not report.new_release:
        print(
            f"release {report.release} is already live: nothing uploaded"
            + (f", {len(report.deleted)} old files removed" if report.deleted else "")
        )
        return EXIT_OK
    print(
        f"release {report.release}: {len(report.uploaded)} files uploaded, {len(report.unchanged)} unchanged, "
        f"{len(report.deleted)} old files removed"
    )
    print(f"invalidated {', '.join(report.invalidated)} ({', '.join(report.invalidation_ids)})")
    return EXIT_OK


def _now() -> datetime:
    return datetime.now(UTC)
