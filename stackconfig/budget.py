"""Key `budget`: an AWS Budgets cost budget per stack, alerting the stack's alerts topic (components/cost_budget.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from stackconfig.base import SECTION_CONFIG


class BudgetConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    # The month's AWS cost (unblended, USD) of the account the stack deploys into: one account per stack.
    monthly_limit_usd: float = Field(default=100.0, gt=0, le=1_000_000)
    # Alerts when the actual spend passes this share of the limit, and when the month's forecast passes it.
    actual_threshold_percent: float = Field(default=80.0, gt=0, le=1000)
    forecast_threshold_percent: float = Field(default=100.0, gt=0, le=1000)


def budget_problems(budget: BudgetConfig, *, aws_enabled: bool, alerts_enabled: bool) -> list[str]:
    if not budget.enabled:
        return []
    if not aws_enabled or not alerts_enabled:
        return [
            "budget.enabled: alerts go to the alerts topic; needs aws.enabled and alerts.enabled (or set "
            "budget.enabled: false)"
        ]
    return []


class ProviderSpendConfig(BaseModel):
    """Key `providerSpend`: the platform's own provider spend per UTC day against a ceiling (components/provider_spend.py)."""

    model_config = SECTION_CONFIG

    enabled: bool = False
    # Today's (UTC) spend on AI, translation, OCR, SMS, e-mail and embeddings together: the spend ledger's units
    # at the database's prices.
    daily_ceiling_usd: float = Field(default=50.0, gt=0, le=1_000_000)


def provider_spend_problems(spend: ProviderSpendConfig, *, aws_enabled: bool, alerts_enabled: bool) -> list[str]:
    if spend.enabled and (not aws_enabled or not alerts_enabled):
        return [
            "providerSpend.enabled: its alarm goes to the alerts topic; needs aws.enabled and alerts.enabled (or "
            "set providerSpend.enabled: false)"
        ]
    return []
