"""The web application firewall, per stack file: one CLOUDFRONT-scope web ACL in us-east-1 in front of both
distributions, its rules in the order that matters, logs that keep no tokens, an alarm on blocked requests, and
the count-mode switch."""

from __future__ import annotations

import pytest

from stackconfig.errors import ConfigError
from tests.aws.aws_program import run_aws_program
from tests.aws.helpers import all_of, one

ACL = "aws:wafv2/webAcl:WebAcl"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
MANAGED = {
    "ipReputation": "AWSManagedRulesAmazonIpReputationList",
    "knownBadInputs": "AWSManagedRulesKnownBadInputsRuleSet",
    "commonRules": "AWSManagedRulesCommonRuleSet",
}


def rules_by_name(acl) -> dict[str, dict]:
    return {rule["name"]: rule for rule in acl.inputs["rules"]}


def test_the_web_acl_is_cloudfront_scoped_in_us_east_1_and_allows_what_no_rule_blocks(deployed):
    acl = one(deployed, ACL)
    assert acl.inputs["scope"] == "CLOUDFRONT", "a REGIONAL ACL cannot be attached to a distribution"
    assert acl.inputs["region"] == "us-east-1", "CloudFront takes web ACLs from us-east-1 only"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    assert acl.inputs["visibilityConfig"]["cloudwatchMetricsEnabled"] is True


def test_the_rate_limit_per_ip_runs_first_then_reputation_bad_inputs_and_common_rules(deployed):
    rules = rules_by_name(one(deployed, ACL))
    assert sorted(rules, key=lambda name: int(rules[name]["priority"])) == [
        "rateLimitPerIp",
        "ipReputation",
        "knownBadInputs",
        "commonRules",
    ]
    assert len({int(rule["priority"]) for rule in rules.values()}) == 4, "priorities must be distinct"
    rate = rules["rateLimitPerIp"]
    statement = rate["statement"]["rateBasedStatement"]
    assert statement["aggregateKeyType"] == "IP"
    assert int(statement["limit"]) == 2000 and int(statement["evaluationWindowSec"]) == 300
    assert rate["action"] == {"block": {}}
    for name, group in MANAGED.items():
        managed = rules[name]["statement"]["managedRuleGroupStatement"]
        assert (managed["vendorName"], managed["name"]) == ("AWS", group)
        assert rules[name]["overrideAction"] == {"none": {}}, f"{name} must act on the group's own verdicts"
        assert "action" not in rules[name], "a managed group takes overrideAction, never action"
        assert rules[name]["visibilityConfig"]["metricName"] == name


def test_both_distributions_sit_behind_the_one_web_acl(deployed):
    acl_arn = one(deployed, ACL).outputs["arn"]
    distributions = all_of(deployed, DISTRIBUTION)
    assert {d.name for d in distributions} == {"frontend-distribution", "storage-cdn-distribution"}
    assert all(d.inputs["webAclId"] == acl_arn for d in distributions), "CloudFront takes the ACL by its ARN"
    assert deployed.outputs["webAclArn"] == acl_arn


def test_blocked_and_counted_requests_are_logged_for_the_retention_without_tokens(deployed):
    acl = one(deployed, ACL)
    group = one(deployed, "aws:cloudwatch/logGroup:LogGroup", "web-firewall-logs")
    assert group.inputs["name"].startswith("aws-waf-logs-"), "WAF writes only to aws-waf-logs-* groups"
    assert group.inputs["region"] == "us-east-1" and int(group.inputs["retentionInDays"]) == 30
    logging = one(deployed, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert logging.inputs["resourceArn"] == acl.outputs["arn"]
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    redacted = logging.inputs["redactedFields"]
    assert {"queryString": {}} in redacted, "signed Storage URLs carry their token in the query string"
    assert {f["singleHeader"]["name"] for f in redacted if "singleHeader" in f} == {"authorization", "cookie"}
    kept = logging.inputs["loggingFilter"]
    assert kept["defaultBehavior"] == "DROP"
    actions = {c["actionCondition"]["action"] for f in kept["filters"] for c in f["conditions"]}
    assert actions == {"BLOCK", "COUNT"}


def test_a_spike_of_blocked_requests_alarms_the_us_east_1_topic(deployed):
    alarm = one(deployed, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-firewall-blocked-requests")
    acl = one(deployed, ACL)
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("AWS/WAFV2", "BlockedRequests")
    assert alarm.inputs["dimensions"] == {"WebACL": acl.inputs["name"], "Rule": "ALL"}
    assert alarm.inputs["region"] == "us-east-1", "CLOUDFRONT-scope metrics exist in us-east-1 only"
    [global_topic] = [t for t in all_of(deployed, "aws:sns/topic:Topic") if t.inputs["region"] == "us-east-1"]
    assert alarm.inputs["alarmActions"] == [global_topic.outputs["arn"]]
    assert float(alarm.inputs["threshold"]) == 1000 and int(alarm.inputs["period"]) == 300


def test_count_only_switches_a_managed_group_and_the_rate_rule_to_counting():
    run = run_aws_program(
        "prod", {"waf": {"enabled": True, "countOnly": ["commonRules", "rateLimitPerIp"], "rateLimitPer5Minutes": 500}}
    )
    rules = rules_by_name(one(run, ACL))
    assert rules["commonRules"]["overrideAction"] == {"count": {}}
    assert rules["rateLimitPerIp"]["action"] == {"count": {}}
    assert int(rules["rateLimitPerIp"]["statement"]["rateBasedStatement"]["limit"]) == 500
    assert rules["knownBadInputs"]["overrideAction"] == {"none": {}}, "only the named rules count"


def test_an_unknown_rule_in_count_only_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"waf\.countOnly\.0"):
        run_aws_program("prod", {"waf": {"enabled": True, "countOnly": ["sqlInjection"]}})


def test_a_firewall_without_a_distribution_to_protect_is_refused():
    with pytest.raises(ConfigError, match=r"waf\.enabled: protects the CloudFront distributions"):
        run_aws_program("staging", {"frontend": {"enabled": False}, "storageCdn": {"enabled": False}})
