"""A web application firewall (AWS WAFv2) in front of the stack's CloudFront distributions.

One web ACL serves both distributions (CloudFront takes it by ARN in its `web_acl_id`; there is no separate
association resource for CloudFront). A CLOUDFRONT-scope ACL must live in us-east-1, as must its log group and
the metrics its alarm reads. Rules, lowest priority first (WAF stops at the first rule that blocks):

  0 rateLimitPerIp   rate-based, per client IP over 5 minutes: a flood is cut before anything inspects it
  1 ipReputation     AWSManagedRulesAmazonIpReputationList: addresses Amazon's threat intelligence lists
  2 knownBadInputs   AWSManagedRulesKnownBadInputsRuleSet: Log4j-style payloads and other known exploits
  3 commonRules      AWSManagedRulesCommonRuleSet: the OWASP-style baseline (XSS, bad bots, oversized parts)

A rule named in `waf.countOnly` counts instead of blocking (override_action count for a managed group, action
count for the rate rule): the switch an operator uses while a false positive is investigated.
Logs: blocked and counted requests only (allowed ones would cost the most and say the least), with the query
string and the Authorization and Cookie headers redacted (signed Storage URLs carry their token in the query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws_policy import GLOBAL_SERVICES_REGION

__all__ = ["MANAGED_RULE_GROUPS", "RATE_RULE", "WebFirewall", "WebFirewallArgs"]

RATE_RULE = "rateLimitPerIp"
# (rule name, AWS managed rule group), in priority order after the rate rule. All three are free groups:
# WAF bills them as rules ($1/month each), with no subscription fee.
MANAGED_RULE_GROUPS = (
    ("ipReputation", "AWSManagedRulesAmazonIpReputationList"),
    ("knownBadInputs", "AWSManagedRulesKnownBadInputsRuleSet"),
    ("commonRules", "AWSManagedRulesCommonRuleSet"),
)
RATE_WINDOW_SECONDS = 300


@dataclass(frozen=True, kw_only=True)
class WebFirewallArgs:
    rate_limit_per_5_minutes: int = 2000
    count_only: Sequence[str] = field(default_factory=tuple)
    log_retention_days: int = 30


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class WebFirewall(pulumi.ComponentResource):
    web_acl_arn: pulumi.Output[str]
    web_acl_name: pulumi.Output[str]

    def __init__(self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:waf:WebFirewall", name, None, opts)
        known = {RATE_RULE, *(rule for rule, _ in MANAGED_RULE_GROUPS)}
        unknown = sorted(set(args.count_only) - known)
        if unknown:
            raise ValueError(
                f"waf.countOnly: unknown rule {', '.join(unknown)}; the rules are {', '.join(sorted(known))}"
            )
        self._name = name
        counting = set(args.count_only)
        prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"

        rules = [
            aws.wafv2.WebAclRuleArgs(
                name=RATE_RULE,
                priority=0,
                action=aws.wafv2.WebAclRuleActionArgs(count=aws.wafv2.WebAclRuleActionCountArgs())
                if RATE_RULE in counting
                else aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                        aggregate_key_type="IP",
                        limit=args.rate_limit_per_5_minutes,
                        evaluation_window_sec=RATE_WINDOW_SECONDS,
                    )
                ),
                visibility_config=_visibility(RATE_RULE),
            )
        ]
        for priority, (rule, group) in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(
                aws.wafv2.WebAclRuleArgs(
                    name=rule,
                    priority=priority,
                    # Count keeps the group's verdicts in the metrics and logs without acting on them.
                    override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                        count=aws.wafv2.WebAclRuleOverrideActionCountArgs()
                    )
                    if rule in counting
                    else aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                            vendor_name="AWS", name=group
                        )
                    ),
                    visibility_config=_visibility(rule),
                )
            )

        acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            region=GLOBAL_SERVICES_REGION,
            name=f"{prefix}-waf",
            scope="CLOUDFRONT",
            description=f"In front of the CloudFront distributions of {prefix}",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{prefix}-waf", sampled_requests_enabled=True
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # WAF writes only to log groups whose name starts with aws-waf-logs-.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            region=GLOBAL_SERVICES_REGION,
            name=f"aws-waf-logs-{prefix}",
            retention_in_days=args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            region=GLOBAL_SERVICES_REGION,
            resource_arn=acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    query_string=aws.wafv2.WebAclLoggingConfigurationRedactedFieldQueryStringArgs()
                ),
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(
                        name="authorization"
                    )
                ),
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name="cookie")
                ),
            ],
            logging_filter=aws.wafv2.WebAclLoggingConfigurationLoggingFilterArgs(
                default_behavior="DROP",
                filters=[
                    aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterArgs(
                        behavior="KEEP",
                        requirement="MEETS_ANY",
                        conditions=[
                            aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionArgs(
                                action_condition=aws.wafv2.WebAclLoggingConfigurationLoggingFilterFilterConditionActionConditionArgs(
                                    action=action
                                )
                            )
                            for action in ("BLOCK", "COUNT")
                        ],
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.web_acl_arn = acl.arn
        self.web_acl_name = acl.name
        self.log_group_name = log_group.name
        self.register_outputs({"webAclArn": self.web_acl_arn, "logGroupName": self.log_group_name})

    def alarm_on_blocked_requests(self, *, threshold: int, topic_arn: pulumi.Input[str]) -> aws.cloudwatch.MetricAlarm:
        """An alarm (us-east-1, where CLOUDFRONT-scope metrics are) on the blocked requests of every rule."""
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-blocked-requests",
            region=GLOBAL_SERVICES_REGION,
            alarm_description=(
                f"The web firewall blocked more than {threshold} requests in 5 minutes: an attack, or a rule blocking "
                "real users (its log group shows which rule; docs/runbooks.md says how to switch a rule to count)"
            ),
            namespace="AWS/WAFV2",
            metric_name="BlockedRequests",
            dimensions={"WebACL": self.web_acl_name, "Rule": "ALL"},
            statistic="Sum",
            period=RATE_WINDOW_SECONDS,
            evaluation_periods=1,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold,
            treat_missing_data="notBreaching",  # nothing blocked, nothing published
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=pulumi.ResourceOptions(parent=self),
        )
