"""What a preview branch costs: Supabase bills branch compute per hour, by the branch's compute size.

Prices in USD per hour, from Supabase's published pricing: "Compute and Disk"
(https://supabase.com/docs/guides/platform/compute-and-disk, the hourly column of the compute table) and
"Branching" (https://supabase.com/docs/guides/deployment/branching, "Pricing": a Preview branch on the default
Micro compute costs $0.01344 per hour, about $0.32 a day, billed until it is removed; no fixed fee). Checked
2026-12-07; update both the table and the date when Supabase changes them. Disk above the included 8 GB and egress
are billed too but are negligible for a preview's test data, so the estimate is compute only.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_CHECKED = "2026-12-07"
PRICING_SOURCE = "https://supabase.com/docs/guides/deployment/branching#pricing"
HOURLY_USD = {
    "micro": 0.01344,
    "small": 0.0206,
    "medium": 0.0822,
    "large": 0.1517,
    "xlarge": 0.2877,
    "2xlarge": 0.562,
    "4xlarge": 1.32,
}
DEFAULT_SIZE = "micro"  # what Supabase gives a branch created without desired_instance_size


@dataclass(frozen=True)
class CostEstimate:
    size: str
    hourly_usd: float
    max_age_hours: int

    @property
    def daily_usd(self) -> float:
        return self.hourly_usd * 24

    @property
    def ceiling_usd(self) -> float:
        """At most this much: the nightly job removes the branch once it is max_age_hours old."""
        return self.hourly_usd * self.max_age_hours

    def so_far_usd(self, age_hours: float) -> float:
        return self.hourly_usd * max(age_hours, 0.0)

    def sentence(self) -> str:
        return (
            f"Branch compute ({self.size}): ${self.hourly_usd:.5f}/hour, about ${self.daily_usd:.2f}/day; removed "
            f"after {self.max_age_hours} h at the latest, so at most ${self.ceiling_usd:.2f} "
            f"(Supabase's published price, {PRICING_SOURCE}, checked {PRICES_CHECKED})."
        )


def estimate(size: str | None, max_age_hours: int) -> CostEstimate:
    name = size or DEFAULT_SIZE
    if name not in HOURLY_USD:
        raise ValueError(
            f"no published hourly price for compute size {name!r} in ops/preview/cost.py; previews use "
            f"{', '.join(HOURLY_USD)} (add the size with its price and source)"
        )
    return CostEstimate(size=name, hourly_usd=HOURLY_USD[name], max_age_hours=max_age_hours)
