"""The alerts topics' Slack forwarder: each SNS message (a CloudWatch alarm's state change, or any other
notification) becomes one Slack message through an incoming webhook.

Why a forwarder: SNS first sends an HTTPS endpoint a SubscriptionConfirmation it must fetch, which a Slack
webhook cannot do; PagerDuty and Opsgenie can, and are subscribed directly (components/alert_webhooks.py).
The webhook URL is read from Secrets Manager at run time and never logged.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

ICONS = {"ALARM": ":rotating_light:", "OK": ":white_check_mark:", "INSUFFICIENT_DATA": ":grey_question:"}
RUNBOOK = "docs/runbooks.md#what-each-alarm-means"


class ForwardError(RuntimeError):
    """Slack refused or could not be reached; SNS retries the delivery."""


def slack_text(subject: str | None, message: str) -> str:
    try:
        alarm = json.loads(message)
    except ValueError:
        alarm = None
    if not isinstance(alarm, dict) or "AlarmName" not in alarm:
        return f"*{subject or 'Alert'}*\n{message[:3000]}"
    state = str(alarm.get("NewStateValue", ""))
    lines = [
        f"{ICONS.get(state, ':bell:')} *{alarm['AlarmName']}* is {state} (was {alarm.get('OldStateValue', '?')})",
        str(alarm.get("AlarmDescription") or "").strip(),
        f"_{str(alarm.get('NewStateReason') or '')[:500]}_",
        f"{alarm.get('Region', '')} · {alarm.get('StateChangeTime', '')} · what to do: {RUNBOOK}",
    ]
    return "\n".join(line for line in lines if line.strip("_ "))


def post(webhook_url: str, text: str, timeout: float = 10.0) -> None:
    request = urllib.request.Request(
        webhook_url,
        data=json.dumps({"text": text}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise ForwardError(f"Slack answered HTTP {exc.code} (a revoked webhook? set alertWebhooks.slack)") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ForwardError(f"Slack could not be reached ({getattr(exc, 'reason', exc)})") from None


def handler(event: dict[str, Any], _context: Any) -> int:
    import boto3

    webhook = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SLACK_WEBHOOK_SECRET"])[
        "SecretString"
    ]
    sent = 0
    for record in event.get("Records", []):
        sns = record.get("Sns") or {}
        post(webhook, slack_text(sns.get("Subject"), str(sns.get("Message", ""))))
        sent += 1
    return sent
