"""How long rows that only matter for a while are kept (docs/data.md): the stack's `retention` section."""

from __future__ import annotations

from pydantic import BaseModel, Field

from stackconfig.base import SECTION_CONFIG


class RetentionConfig(BaseModel):
    model_config = SECTION_CONFIG

    usage_metrics_days: int | None = Field(default=90, ge=1, le=36500)
    analytics_events_days: int | None = Field(default=395, ge=1, le=36500)
    # Who changed sharing, billing and limits: long enough for a yearly audit and its follow-up.
    audit_log_days: int | None = Field(default=730, ge=30, le=36500)
    # A conversation is the user's: kept until they delete it (or their account) unless the stack says otherwise.
    messages_days: int | None = Field(default=None, ge=1, le=36500)
    system_alerts_days: int | None = Field(default=30, ge=1, le=36500)
    # Processed payment webhook events only; the provider's own retry window is 3 days (Stripe).
    webhook_events_days: int | None = Field(default=90, ge=7, le=36500)
    # Every function's sampled request rows (functions/_shared/performance.ts): owned by no one, so never "until
    # the owner deletes" (null), and at least the week `ops report` plots.
    performance_metrics_days: int = Field(default=30, ge=7, le=36500)
    # The analytics rollups, dropped a yearly partition at a time once wholly older.
    analytics_data_days: int | None = Field(default=1095, ge=1, le=36500)
    # Documents unopened this long move to the archive bucket (guide 002: six months). At least 90 days: Glacier
    # Instant Retrieval bills 90 days of every object it holds, so a shorter wait would cost more than it saves.
    archive_after_days: int | None = Field(default=180, ge=90, le=36500)

    def policies(self) -> dict[str, int | None]:
        """table name -> days kept (None: until the owner deletes), as private.retention_policies holds them."""
        return {
            name.removesuffix("_days"): days
            for name, days in self.model_dump().items()
            if name != "archive_after_days"  # not a table's retention: the archival job reads it (ops archive)
        }
