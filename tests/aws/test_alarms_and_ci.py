"""Alerts (encrypted topic, e-mails, CDN 5xx, backup job, health check) and the CI identity, per stack file."""

from __future__ import annotations

import json

from tests.aws.aws_program import SUPABASE_REF
from tests.aws.helpers import all_of, one, policy, statement

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
OIDC = "token.actions.githubusercontent.com"


def alarm(run, name):
    return one(run, ALARM, name).inputs


def test_topics_are_encrypted_with_a_key_cloudwatch_may_use_and_mail_the_operators(deployed):
    topics = all_of(deployed, "aws:sns/topic:Topic")
    assert {t.inputs["region"] for t in topics} == {"eu-central-1", "us-east-1"}, "the stack's region and us-east-1"
    keys = {k.outputs["arn"]: k for k in all_of(deployed, "aws:kms/key:Key") if k.name.endswith("-topic-key")}
    for topic in topics:
        key = keys[topic.inputs["kmsMasterKeyId"]]
        assert key.inputs["region"] == topic.inputs["region"]
        publish = statement(policy(key), "AlarmsPublish")
        # CloudWatch alarms, and AWS Budgets' alerts (the cost budget notifies the same topic).
        assert publish["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]}
    emails = {"staging": "ops-staging@example.com", "prod": "ops@example.com"}[deployed.stack]
    subscriptions = all_of(deployed, "aws:sns/topicSubscription:TopicSubscription")
    assert {(s.inputs["topic"], s.inputs["endpoint"], s.inputs["protocol"]) for s in subscriptions} == {
        (t.outputs["arn"], emails, "email") for t in topics
    }
    main_topic = next(t for t in topics if t.inputs["region"] == "eu-central-1")
    assert deployed.outputs["alertsTopicArn"] == main_topic.outputs["arn"]


def test_each_cdn_has_a_5xx_rate_alarm_in_us_east_1(deployed):
    global_topic = next(t for t in all_of(deployed, "aws:sns/topic:Topic") if t.inputs.get("region") == "us-east-1")
    for label, distribution in (("frontend", "frontend-distribution"), ("storage-cdn", "storage-cdn-distribution")):
        rate = alarm(deployed, f"alerts-{label}-5xx")
        distribution_id = one(deployed, "aws:cloudfront/distribution:Distribution", distribution).id
        assert rate["namespace"] == "AWS/CloudFront" and rate["metricName"] == "5xxErrorRate"
        assert rate["dimensions"] == {"DistributionId": distribution_id, "Region": "Global"}
        assert rate["region"] == "us-east-1", "CloudFront metrics only exist in us-east-1"
        assert rate["comparisonOperator"] == "GreaterThanThreshold" and float(rate["threshold"]) == 5.0
        assert rate["alarmActions"] == [global_topic.outputs["arn"]]


def test_backup_job_alarms_on_a_failed_run_and_on_no_successful_run(deployed):
    project = one(deployed, "aws:codebuild/project:Project").outputs["name"]
    failed = alarm(deployed, "alerts-backup-failed")
    assert failed["metricName"] == "FailedBuilds" and failed["dimensions"] == {"ProjectName": project}
    assert failed["comparisonOperator"] == "GreaterThanOrEqualToThreshold" and float(failed["threshold"]) == 1
    missing = alarm(deployed, "alerts-backup-missing")
    assert missing["metricName"] == "SucceededBuilds" and missing["dimensions"] == {"ProjectName": project}
    assert missing["treatMissingData"] == "breaching", "a job that never runs must alarm"
    window_hours = int(missing["period"]) * int(missing["evaluationPeriods"]) / 3600
    assert window_hours == 26, "the daily schedule plus two hours of slack"
    assert int(missing["datapointsToAlarm"]) == int(missing["evaluationPeriods"])
    assert missing["comparisonOperator"] == "LessThanThreshold" and float(missing["threshold"]) == 1
    assert missing["region"] == failed["region"] == "eu-central-1", "CodeBuild metrics live in the stack's region"


def test_health_check_watches_the_health_check_function_with_an_alarm(deployed):
    check = one(deployed, "aws:route53/healthCheck:HealthCheck")
    assert check.inputs["type"] == "HTTPS_STR_MATCH" and check.inputs["enableSni"] is True
    assert check.inputs["searchString"] == '"status":"healthy"', "a degraded answer (an active alert) must alarm"
    assert check.inputs["fqdn"] == f"{SUPABASE_REF}.supabase.co"
    assert check.inputs["resourcePath"] == "/functions/v1/health-check"
    assert int(check.inputs["requestInterval"]) == {"staging": 30, "prod": 10}[deployed.stack]
    health = alarm(deployed, "alerts-health")
    assert health["namespace"] == "AWS/Route53" and health["dimensions"] == {"HealthCheckId": check.id}
    assert health["region"] == "us-east-1" and health["treatMissingData"] == "breaching"


def _trust(role):
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    return trust


def test_github_oidc_provider_trusts_sts_as_audience(deployed):
    provider = one(deployed, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == f"https://{OIDC}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_deploy_role_is_only_for_the_main_branch(deployed):
    role = one(deployed, "aws:iam/role:Role", "ci-identity-deploy")
    trust = _trust(role)
    provider = one(deployed, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").outputs["arn"]
    assert trust["Principal"] == {"Federated": provider}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    main = "repo:example-org/ai-platform:ref:refs/heads/main"
    # Staging's deploy job runs in the `staging` environment, whose token names the environment instead.
    subject = {"staging": [main, "repo:example-org/ai-platform:environment:staging"], "prod": main}[deployed.stack]
    assert trust["Condition"] == {"StringEquals": {f"{OIDC}:aud": "sts.amazonaws.com", f"{OIDC}:sub": subject}}, (
        "no wildcard: no other branch, environment, repository or pull request may deploy"
    )


def test_preview_role_is_read_only_for_pull_requests_and_cannot_read_secrets_or_dumps(deployed):
    role = one(deployed, "aws:iam/role:Role", "ci-identity-preview")
    assert _trust(role)["Condition"]["StringEquals"][f"{OIDC}:sub"] == "repo:example-org/ai-platform:pull_request"
    attachments = [
        a
        for a in all_of(deployed, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.outputs["name"]
    ]
    assert [a.inputs["policyArn"] for a in attachments] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    denials = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "ci-identity-preview-denials"))
    assert "secretsmanager:GetSecretValue" in statement(denials, "NoSecrets")["Action"]
    bucket = one(deployed, "aws:s3/bucket:Bucket", "backups-bucket").outputs["arn"]
    assert statement(denials, "NoDumps")["Resource"] == f"{bucket}/*"


def test_every_aws_resource_runs_under_the_stacks_explicit_provider(deployed):
    provider = one(deployed, "pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-central-1"
    for resource in deployed.resources:
        if resource.type.startswith("aws:"):
            assert resource.options["provider"].startswith(provider.urn), f"{resource.name} uses another provider"
