"""Key `waf`: the web application firewall in front of both CloudFront distributions (components/web_firewall.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from stackconfig.base import SECTION_CONFIG

# The rules by the names operators use in `waf.countOnly` (and see in the WAF console's metrics).
WafRuleName = Literal["rateLimitPerIp", "ipReputation", "knownBadInputs", "commonRules"]


class WafConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    # Requests one client IP may send in 5 minutes to either distribution before it is blocked (WAF's minimum: 10).
    rate_limit_per_5_minutes: int = Field(default=2000, ge=10, le=2_000_000_000)
    # Rules that only count what they would block (a false positive is being investigated); docs/runbooks.md.
    count_only: tuple[WafRuleName, ...] = ()
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731] = 30
    # Blocked requests in 5 minutes (all rules together) that alarm the alerts topic: an attack, or a rule
    # blocking real users.
    blocked_requests_alarm_per_5_minutes: int = Field(default=1000, ge=1)


def waf_problems(waf: WafConfig, *, aws_enabled: bool, distributions: int) -> list[str]:
    if not waf.enabled:
        return []
    if not aws_enabled:
        return ["waf.enabled: needs aws.enabled: true (or set waf.enabled: false)"]
    if distributions == 0:
        return ["waf.enabled: protects the CloudFront distributions, and neither frontend nor storageCdn is enabled"]
    return []
