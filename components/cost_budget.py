"""A monthly AWS Budgets cost budget for the stack's account, alerting the stack's alerts topic.

Budgets publishes to SNS as the budgets.amazonaws.com service: the alerts topic's policy must let it in (this
component sets that policy, keeping the account's own rights and CloudWatch's), and so must the topic's KMS key
(components/alarms.py allows budgets.amazonaws.com beside cloudwatch.amazonaws.com). Budgets itself costs
nothing for the first two budgets of an account (docs/architecture.md, costs).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_policy import policy_document

__all__ = ["CostBudget", "CostBudgetArgs"]


@dataclass(frozen=True, kw_only=True)
class CostBudgetArgs:
    monthly_limit_usd: float
    actual_threshold_percent: float = 80.0
    forecast_threshold_percent: float = 100.0
    topic_arn: pulumi.Input[str]


class CostBudget(pulumi.ComponentResource):
    budget_name: pulumi.Output[str]

    def __init__(self, name: str, args: CostBudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:cost:CostBudget", name, None, opts)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        same_account = {"StringEquals": {"aws:SourceAccount": account_id}}
        topic_policy = aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=args.topic_arn,
            policy=policy_document(
                [
                    {
                        # What SNS's default policy grants: the account manages and publishes to its topic.
                        "Sid": "AccountOwns",
                        "Effect": "Allow",
                        "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
                        "Action": [
                            "sns:Publish",
                            "sns:Subscribe",
                            "sns:GetTopicAttributes",
                            "sns:SetTopicAttributes",
                            "sns:ListSubscriptionsByTopic",
                        ],
                        "Resource": args.topic_arn,
                    },
                    {
                        "Sid": "AlarmsPublish",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": args.topic_arn,
                        "Condition": same_account,
                    },
                    {
                        "Sid": "BudgetsPublish",
                        "Effect": "Allow",
                        "Principal": {"Service": "budgets.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": args.topic_arn,
                        "Condition": same_account,
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        notifications = [
            aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN",
                notification_type=kind,
                threshold=threshold,
                threshold_type="PERCENTAGE",
                subscriber_sns_topic_arns=[args.topic_arn],
            )
            for kind, threshold in (
                ("ACTUAL", args.actual_threshold_percent),
                ("FORECASTED", args.forecast_threshold_percent),
            )
        ]
        budget = aws.budgets.Budget(
            f"{name}-monthly",
            name=f"{pulumi.get_project()}-{pulumi.get_stack()}-monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{args.monthly_limit_usd:.2f}",
            limit_unit="USD",
            notifications=notifications,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[topic_policy]),
        )
        self.budget_name = budget.name
        self.register_outputs({"budgetName": self.budget_name})
