"""The deploy workflow's last step: its result, job by job, to the team's Slack (the same incoming-webhook kind
as alertWebhooks.slack), when the repository secret DEPLOY_NOTIFY_WEBHOOK_URL is set. Without it, nothing.

    DEPLOY_RESULTS='${{ toJSON(needs) }}' RUN_URL=... python -m ops.alerts.deploy_result
"""

from __future__ import annotations

import json
import os
import sys

from ops.alerts.slack import ForwardError, post

ICONS = {"success": ":white_check_mark:", "failure": ":x:", "cancelled": ":no_entry_sign:", "skipped": ":fast_forward:"}


def deploy_text(results: dict[str, dict[str, object]], run_url: str, commit: str) -> str:
    failed = [name for name, job in results.items() if job.get("result") in ("failure", "cancelled")]
    head = f":x: Deploy of {commit[:12]} failed in {', '.join(failed)}" if failed else f"Deploy of {commit[:12]} done"
    lines = [head] + [
        f"{ICONS.get(str(job.get('result')), ':grey_question:')} {name}: {job.get('result')}"
        for name, job in results.items()
    ]
    return "\n".join([*lines, run_url])


def main() -> int:
    url = os.environ.get("DEPLOY_NOTIFY_WEBHOOK_URL", "").strip()
    if not url:
        print("DEPLOY_NOTIFY_WEBHOOK_URL is not set: the deploy's result is not posted anywhere")
        return 0
    if not url.startswith("https://"):
        print("DEPLOY_NOTIFY_WEBHOOK_URL must be an https:// URL", file=sys.stderr)
        return 1
    try:
        results = json.loads(os.environ.get("DEPLOY_RESULTS") or "{}")
        post(url, deploy_text(results, os.environ.get("RUN_URL", ""), os.environ.get("GITHUB_SHA", "")))
    except (ValueError, ForwardError) as exc:
        print(f"the deploy's result was not posted: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
