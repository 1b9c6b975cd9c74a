"""The whole stack configuration: one field per key of Pulumi.yaml's config block."""

from __future__ import annotations

from pydantic import BaseModel, Field

from stackconfig.base import SECTION_CONFIG
from stackconfig.database import DatabaseConfig
from stackconfig.platform import Environment, FeatureFlags


class StackConfig(BaseModel):
    model_config = SECTION_CONFIG

    environment: Environment
    app_name: str = Field(min_length=1, max_length=80)
    app_version: str = Field(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    feature_flags: FeatureFlags
    database: DatabaseConfig
