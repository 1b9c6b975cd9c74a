"""Key `supabaseBranch`: the stack runs on a Supabase branch of its parent project (the `supabase` section names
the parent, as the staging stack does) instead of a project of its own. Previews (`pr-<N>`, written by
`ops preview up` from Pulumi.preview.yaml) are non-persistent branches under a cap and an age limit; the dev stack
is a persistent branch (Pulumi.dev.yaml). docs/previews.md describes both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, Field, SecretStr, model_validator

from stackconfig.base import SECTION_CONFIG
from stackconfig.supabase import InstanceSize
from stackconfig.urls import insecure_url_problem

# Live-mode keys of the payment providers: a preview runs code nobody has reviewed yet, so it gets test keys only.
LIVE_KEY = re.compile(r"^(sk|rk|pk)_live_|^rzp_live_")


class SupabaseBranchConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    name: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    git_branch: str | None = None
    # Persistent branches (dev) are never counted against the cap nor removed for their age.
    persistent: bool = False
    # None: Supabase's default for branches (micro); docs/previews.md has what each size costs per hour.
    instance_size: InstanceSize | None = None
    # The frontend's preview build for this branch: its site URL and one of its redirect URLs.
    preview_url: str | None = Field(default=None, pattern=r"^https://[^,\s*]+$")
    # How many non-persistent branches the parent may have at once (counted from Supabase's own list).
    max_concurrent: int = Field(default=5, ge=1, le=50)
    # Past this age the nightly job removes a preview (`ops preview sweep`); its next push brings it back.
    max_age_hours: int = Field(default=72, ge=1, le=24 * 30)

    @model_validator(mode="after")
    def _named_when_enabled(self) -> SupabaseBranchConfig:
        if self.enabled and not self.name:
            raise ValueError("name is required when the branch is enabled (`ops preview up --pr N` writes pr-<N>)")
        problem = insecure_url_problem(self.preview_url) if self.preview_url else None
        if problem:
            raise ValueError(f"previewUrl: {problem}")
        return self


def live_key_names(secrets: Mapping[str, SecretStr]) -> list[str]:
    """The function secrets holding a live payment key (by name only: the values are never shown)."""
    return sorted(name for name, value in secrets.items() if LIVE_KEY.match(value.get_secret_value().strip()))
