"""How the migrations reach the database and which of the engine's safety rules an operator relaxed."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from stackconfig.base import SECTION_CONFIG

MigrationVersion = Annotated[str, StringConstraints(pattern=r"^\d{14}$")]


class DatabaseConfig(BaseModel):
    model_config = SECTION_CONFIG

    # Only for stacks without a Supabase project (the local stack): where the migrations go.
    # Staging and prod connect through the Supabase project's pooler instead.
    local_url: str | None = None
    migrations_dir: str = "sql/migrations"
    lock_timeout_seconds: int = Field(default=30, ge=1, le=600)
    allow_out_of_order: bool = False
    # Emergency override: applied versions whose edited file is accepted as it now is.
    accept_changed_versions: tuple[MigrationVersion, ...] = ()
